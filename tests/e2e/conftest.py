"""A real uvicorn server on 127.0.0.1 for end-to-end tests.

    def test_root(serve):
        base_url = serve(app)                      # an ASGI app object, or "package.module:app"
        assert httpx.get(f"{base_url}/").json() == {...}

The server binds port 0 (the OS picks a free port, read back from the bound socket), runs in a
background thread with its own event loop, and is ready when uvicorn reports `started` (lifespan
startup done, socket listening) and a TCP connect succeeds: polled, never slept on. Every server a test
started is stopped at teardown (graceful, then forced), each step bounded by a timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from _servers import wait_for_port

STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 10.0
POLL_INTERVAL = 0.01


class LiveServer:
    """One uvicorn.Server in a daemon thread."""

    def __init__(self, app: Any, **config: Any) -> None:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "log_level": "warning",
            "access_log": False,
        }
        options.update(config)
        self.server = uvicorn.Server(uvicorn.Config(app, **options))
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="uvicorn-e2e", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()  # not the main thread: uvicorn installs no signal handlers
        except BaseException as exc:  # surfaced by start()
            self.error = exc

    @property
    def port(self) -> int:
        (listener,) = self.server.servers
        return int(listener.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError(
                    f"uvicorn exited during startup (lifespan or import failure): {self.error!r}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"uvicorn did not start within {timeout}s")
            time.sleep(POLL_INTERVAL)
        wait_for_port("127.0.0.1", self.port, deadline)
        return self.url

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        if not self.thread.is_alive():
            return
        self.server.should_exit = True  # graceful: finish in-flight requests, run lifespan shutdown
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError(f"uvicorn did not stop within {2 * timeout}s")


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """Start a server for an app (object or import string); returns its base URL. Stopped at teardown."""
    servers: list[LiveServer] = []

    def start(app: Any, **config: Any) -> str:
        server = LiveServer(app, **config)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()
