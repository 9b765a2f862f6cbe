"""A throwaway `redis-server` on 127.0.0.1 for tests and the fan-out benchmark.

Started on a free port with persistence off (`--save "" --appendonly no`), ready when it answers
PING (polled, never slept on), stopped with SIGTERM then SIGKILL, each step bounded in time.
`restart()` keeps the port, which is what the clients of a restarted Redis see.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from _servers import free_port, stop_process

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def available() -> bool:
    return Path(REDIS_SERVER).is_file()


def command(port: int, *args: str) -> bytes:
    """One command in RESP, the raw reply (enough for integer and status replies)."""
    request = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096)


def ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        # A free port can be taken between the probe and the bind: a few attempts, each bounded.
        for _ in range(5):
            self.port = self.port or free_port()
            if self._launch():
                return self
            self.port = 0
        raise RuntimeError("redis-server did not start")

    def _launch(self) -> bool:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [REDIS_SERVER, *options, "--protected-mode", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if ping(self.port):
                return True
            time.sleep(0.02)
        self.stop()
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, STOP_TIMEOUT)

    def restart(self) -> None:
        self.stop()
        if not self._launch():
            raise RuntimeError(f"redis-server did not restart on port {self.port}")
