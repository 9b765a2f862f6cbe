"""Worker processes for the multi-worker tests and the fan-out benchmark: `python -m uvicorn` serving
worker_app.py on a free port of 127.0.0.1, each its own process sharing one Redis.

A worker is ready when GET /health answers (polled, bounded); it is stopped with SIGTERM (uvicorn's
graceful shutdown, which ends its streams), then SIGKILL, each step bounded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from _servers import free_port, stop_process

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parents[2] / "python"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class Worker:
    def __init__(self, redis_url: str, **env: str) -> None:
        self.redis_url = redis_url
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Worker:
        for _ in range(3):  # the probed port may be taken before uvicorn binds it
            self.port = free_port()
            if self._launch():
                return self
        raise RuntimeError("the uvicorn worker did not start")

    def _launch(self) -> bool:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(PACKAGE), os.environ.get("PYTHONPATH", "")]),
            "FERROAPI_TEST_REDIS_URL": self.redis_url,
            **self.env,
        }
        server = ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "worker_app:app", "--app-dir", str(HERE), *server],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process, STOP_TIMEOUT)
