"""Lifespan-scoped dependencies under a real uvicorn process on 127.0.0.1: created once at startup and
shared by every request, torn down on SIGTERM (uvicorn's graceful shutdown) in reverse order inside
the app's lifespan; a creation that fails makes uvicorn refuse to start, saying why.

uvicorn runs as a subprocess (so SIGTERM is handled as in production) on a socket this test bound to a
free port and hands over with `--fd`; readiness is polled, every wait is bounded.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

APP = """
import os
from contextlib import asynccontextmanager
from typing import Annotated

from ferroapi import Depends, FerroAPI

LOG = os.environ["LIFESPAN_LOG"]


def log(line):
    with open(LOG, "a") as f:
        f.write(line + "\\n")


@asynccontextmanager
async def lifespan(app):
    log("app lifespan start")
    try:
        yield
    finally:
        log("app lifespan end")


def settings():
    log("settings")
    if os.environ.get("BREAK_SETTINGS"):
        raise ConnectionRefusedError("settings store unreachable")
    return {"dsn": "db://e2e"}


async def pool(cfg: Annotated[dict, Depends(settings, scope="lifespan")]):
    log("open pool")
    yield {"pool": id(cfg), "dsn": cfg["dsn"]}
    log("close pool")


app = FerroAPI(lifespan=lifespan)


@app.get("/pool")
async def read(p: Annotated[dict, Depends(pool, scope="lifespan")], n: int = 0):
    return {**p, "n": n}
"""

DEADLINE = 20.0


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock
    sock.close()


def start(tmp_path: Path, sock: socket.socket, **env: str) -> subprocess.Popen[str]:
    (tmp_path / "lifespan_app.py").write_text(APP)
    environment = {**os.environ, **env, "LIFESPAN_LOG": str(tmp_path / "log.txt")}
    environment["PYTHONPATH"] = os.pathsep.join([str(tmp_path), environment.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "uvicorn", "lifespan_app:app", "--fd", str(sock.fileno())]
    command += ["--log-level", "info", "--no-access-log"]
    return subprocess.Popen(
        command, cwd=tmp_path, env=environment, pass_fds=(sock.fileno(),), stderr=subprocess.PIPE, text=True
    )


def log_of(tmp_path: Path) -> list[str]:
    path = tmp_path / "log.txt"
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.timeout(90)
def test_created_once_and_torn_down_on_sigterm(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    process = start(tmp_path, listener)
    try:
        url = f"http://127.0.0.1:{port}/pool"
        deadline = time.monotonic() + DEADLINE
        with httpx.Client(timeout=5) as client:
            while True:
                assert process.poll() is None, process.communicate(timeout=10)[1]
                try:
                    client.get(url)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "uvicorn did not answer in time"
                    time.sleep(0.05)
            answers = [client.get(url, params={"n": n}).json() for n in range(30)]
        assert log_of(tmp_path) == ["app lifespan start", "settings", "open pool"]
        assert len({a["pool"] for a in answers}) == 1
        assert [a["n"] for a in answers] == list(range(30))
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=DEADLINE)
    # uvicorn re-raises the signal once its graceful shutdown is done (older versions exit 0)
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert log_of(tmp_path)[3:] == ["close pool", "app lifespan end"]


@pytest.mark.timeout(90)
def test_a_failing_creation_stops_uvicorn_at_startup(tmp_path: Path, listener: socket.socket) -> None:
    process = start(tmp_path, listener, BREAK_SETTINGS="1")
    try:
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=DEADLINE)
    assert process.returncode != 0
    assert "ConnectionRefusedError: settings store unreachable" in stderr
    assert "Application startup failed" in stderr
    if sys.version_info >= (3, 11):
        assert 'while creating the lifespan-scoped dependency "pool" at startup' in stderr
    # the app's lifespan was entered, and exited on the failure; nothing was created
    assert log_of(tmp_path) == ["app lifespan start", "settings", "app lifespan end"]
