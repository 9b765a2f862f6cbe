"""Fixtures of the broadcast tests: one `redis-server` per session (and a private one for a test
that restarts it), and pairs of uvicorn worker processes sharing it.

Without redis-server (or the redis package) the tests skip, saying why; with
FERROAPI_REQUIRE_REDIS=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from importlib.util import find_spec

import pytest

from .redis_server import RedisServer, available
from .workers import Worker


def _require_redis() -> None:
    if available() and find_spec("redis") is not None:
        return
    if not available():
        message = "redis-server is not installed (apt-get install redis-server)"
    else:
        message = "the redis package is not installed (pip install 'ferroapi[redis]')"
    if os.environ.get("FERROAPI_REQUIRE_REDIS") == "1":
        pytest.fail(f"{message}, and FERROAPI_REQUIRE_REDIS=1")
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    _require_redis()
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def private_redis() -> Iterator[Callable[[], RedisServer]]:
    """Start a Redis of the test's own (one it may stop and restart); stopped at teardown."""
    _require_redis()
    servers: list[RedisServer] = []

    def start() -> RedisServer:
        servers.append(RedisServer().start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def workers() -> Iterator[Callable[..., Worker]]:
    """Start a uvicorn worker process on a Redis URL (with extra environment); stopped at teardown."""
    started: list[Worker] = []

    def start(redis_url: str, **env: str) -> Worker:
        started.append(Worker(redis_url, **env).start())
        return started[-1]

    yield start
    for worker in reversed(started):
        worker.stop()
