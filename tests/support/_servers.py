"""What tests that start a server process share: a free port on 127.0.0.1, waiting until it listens,
and stopping it.

Importable from every test module by its bare name (pytest's `pythonpath` puts `tests/support` on
`sys.path`). The port is
picked by binding port 0 and closing the socket: another process could take it before the server
binds it, which on this machine's test runs has not been seen; servers started in-process
(`tests/e2e/conftest.py`) bind port 0 themselves and read it back instead.
"""

from __future__ import annotations

import socket
import subprocess
import time

__all__ = ["free_port", "stop_process", "wait_for_port"]

POLL_INTERVAL = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    host: str, port: int, deadline: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Return once `host:port` accepts a TCP connection; raise TimeoutError at `deadline` (monotonic),
    or RuntimeError as soon as `process` (the server, when it is a child process) has exited."""
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError as exc:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before listening") from exc
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port}") from exc
            time.sleep(POLL_INTERVAL)


def stop_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM (the server's graceful shutdown), then SIGKILL if it is still running after `timeout`
    seconds; each wait bounded. A process that already exited is left as it is."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
