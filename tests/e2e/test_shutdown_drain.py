"""Graceful drain, for real: a uvicorn process serving open SSE streams and a websocket gets SIGTERM
(or SIGINT). Every SSE client receives every event its generator yielded, then a `retry:` hint and a
clean end; the websocket client gets close code 1001; each endpoint's generator and yield dependency
are torn down once; the server exits at once instead of at its graceful timeout (20 s here; without
the drain uvicorn closes websockets with 1012 and waits for the SSE streams until that timeout).

The app is `drain_app.py`, served by `python -m uvicorn` on a free port of 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

HERE = Path(__file__).parent
GRACEFUL_TIMEOUT = 20  # uvicorn's --timeout-graceful-shutdown: the drain must beat it by far
EXIT_WITHIN = 5.0
STARTUP_TIMEOUT = 20.0
RETRY = 800  # ms, the app's sse_drain_retry; each stream's hint is in [RETRY, 1.5 x RETRY]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    marks: Path

    def lines(self) -> list[str]:
        return self.marks.read_text(encoding="utf-8").splitlines() if self.marks.exists() else []


def command(kind: str, port: int) -> list[str]:
    if kind == "granian":
        # --workers-kill-timeout: how long granian's main process waits for a worker that does not stop.
        line = [sys.executable, "-m", "granian", "--interface", "asgi", "drain_app:app"]
        line += ["--host", "127.0.0.1", "--port", str(port), "--workers-kill-timeout", str(GRACEFUL_TIMEOUT)]
        return [*line, "--log-level", "warning"]
    line = [sys.executable, "-m", "uvicorn", "drain_app:app", "--host", "127.0.0.1", "--port", str(port)]
    return [*line, "--timeout-graceful-shutdown", str(GRACEFUL_TIMEOUT), "--log-level", "warning"]


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    kind = getattr(request, "param", "uvicorn")
    port = free_port()
    marks = tmp_path / "marks.txt"
    env = {**os.environ, "DRAIN_MARKS": str(marks), "DRAIN_RETRY": str(RETRY)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    process = subprocess.Popen(command(kind, port), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url, process), STARTUP_TIMEOUT, "the server to start")
        yield Server(process, url, marks)
    finally:
        if process.poll() is None:
            process.kill()
        output = process.communicate(timeout=10)[0].decode(errors="replace")
        # Nothing the server logged may be an error (a failed close, a cancelled task...).
        assert "ERROR" not in output and "Traceback" not in output, output


def _answers(url: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise RuntimeError(f"uvicorn exited with {process.returncode} during startup")
    try:
        return httpx.get(f"{url}/ping", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.01)


@dataclass
class SseClient:
    """Reads one SSE stream to its end in a thread: the raw bytes, and how it ended."""

    url: str
    body: bytearray = field(default_factory=bytearray)
    error: BaseException | None = None
    ended: bool = False
    thread: threading.Thread | None = None

    def start(self) -> SseClient:
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        return self

    def _read(self) -> None:
        try:
            with httpx.stream("GET", self.url, timeout=30) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                for chunk in response.iter_raw():
                    self.body.extend(chunk)
            self.ended = True
        except BaseException as exc:  # reported by the test
            self.error = exc

    def events(self) -> list[dict[str, str]]:
        parsed = []
        for block in bytes(self.body).decode().split("\n\n"):
            fields: dict[str, str] = {}
            for line in block.splitlines():
                name, _, value = line.partition(": ")
                fields[name] = value
            if fields:
                parsed.append(fields)
        return parsed

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(15)
        assert not self.thread.is_alive(), "the SSE stream did not end"


@dataclass
class WsClient:
    url: str
    greeting: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> WsClient:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            with connect(self.url, open_timeout=10) as websocket:
                self.greeting = str(websocket.recv(timeout=10))
                try:
                    websocket.recv(timeout=30)
                except ConnectionClosed as closed:
                    assert closed.rcvd is not None, "the server sent no close frame"
                    self.close_code, self.close_reason = closed.rcvd.code, closed.rcvd.reason
        except BaseException as exc:
            self.error = exc

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(15)
        assert not self.thread.is_alive(), "the websocket was not closed"


def data_of(events: list[dict[str, str]]) -> list[int]:
    return [int(event["data"]) for event in events if "data" in event]


def assert_drained(client: SseClient) -> list[dict[str, str]]:
    """A clean end whose last event is the retry hint; returns the events before it."""
    assert client.error is None, repr(client.error)
    assert client.ended
    *events, last = client.events()
    assert set(last) == {"retry"}, last
    assert RETRY <= int(last["retry"]) <= RETRY * 3 // 2
    return events


def test_sigterm_drains_sse_streams_and_websockets(server: Server) -> None:
    events = SseClient(f"{server.url}/events").start()
    burst = SseClient(f"{server.url}/burst").start()
    sync = SseClient(f"{server.url}/sync").start()
    ws = WsClient(server.url.replace("http", "ws") + "/ws").start()
    wait_until(lambda: "events yielded 5" in server.lines(), 10, "the five events")
    wait_until(lambda: len(burst.events()) > 20 and len(sync.events()) > 3, 10, "streams under way")
    wait_until(lambda: ws.greeting == "hello", 10, "the websocket")

    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    returncode = server.process.wait(timeout=GRACEFUL_TIMEOUT + 10)
    took = time.monotonic() - signalled
    for client in (events, burst, sync):
        client.join()
    ws.join()

    assert took < EXIT_WITHIN, f"the server took {took:.1f}s to exit (graceful timeout {GRACEFUL_TIMEOUT}s)"
    assert returncode == -signal.SIGTERM  # uvicorn re-raises the signal once it has shut down
    # Every event the generator yielded, in order, then the hint.
    drained = assert_drained(events)
    assert [(event["id"], json.loads(event["data"])) for event in drained] == [
        (str(n), {"n": n}) for n in range(5)
    ]
    marks = server.lines()
    burst_last = int(next(line for line in marks if line.startswith("burst last")).split()[-1])
    assert data_of(assert_drained(burst)) == list(range(burst_last + 1))
    sync_last = int(next(line for line in marks if line.startswith("sync last")).split()[-1])
    assert data_of(assert_drained(sync)) == list(range(sync_last + 1))
    assert ws.error is None, repr(ws.error)
    assert (ws.close_code, ws.close_reason) == (1001, "server shutting down")
    # Torn down once each, as after a client left.
    for line in ("events generator closed", "events dep closed", "burst dep closed", "sync dep closed"):
        assert marks.count(line) == 1, (line, marks)
    assert marks.count("ws disconnect 1001") == 1, marks
    assert marks.count("ws dep closed") == 1, marks


def test_sigint_drains_too(server: Server) -> None:
    events = SseClient(f"{server.url}/events").start()
    ws = WsClient(server.url.replace("http", "ws") + "/ws").start()
    wait_until(lambda: "events yielded 5" in server.lines() and ws.greeting == "hello", 10, "the streams")

    signalled = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    returncode = server.process.wait(timeout=GRACEFUL_TIMEOUT + 10)
    took = time.monotonic() - signalled
    events.join()
    ws.join()

    assert took < EXIT_WITHIN
    assert returncode == 0  # uvicorn's own exit on SIGINT (KeyboardInterrupt handled)
    assert len(assert_drained(events)) == 5
    assert ws.close_code == 1001
    assert server.lines().count("events dep closed") == 1


@pytest.mark.parametrize("server", ["granian"], indirect=True)
def test_granian_sigterm_drains_sse_streams(server: Server) -> None:
    """granian learns of the signal from the event loop's wakeup fd, at the same time as the drain,
    and drops its websockets itself: the client sees the drain's 1001 or granian's abnormal closure
    (1006), whichever comes first. SSE streams are drained as under uvicorn."""
    events = SseClient(f"{server.url}/events").start()
    ws = WsClient(server.url.replace("http", "ws") + "/ws").start()
    wait_until(lambda: "events yielded 5" in server.lines() and ws.greeting == "hello", 10, "the streams")

    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    returncode = server.process.wait(timeout=GRACEFUL_TIMEOUT + 10)
    took = time.monotonic() - signalled
    events.join()
    ws.join()

    assert took < EXIT_WITHIN
    assert returncode == 0
    assert len(assert_drained(events)) == 5
    assert server.lines().count("events generator closed") == 1
    assert server.lines().count("events dep closed") == 1
