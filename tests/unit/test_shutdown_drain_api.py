"""`FerroAPI.drain()`, the explicit drain, through TestClient: open SSE streams send what was yielded,
a `retry:` hint and end; websockets close with 1001; streams opened during the drain end at once
while ordinary requests are served; the next lifespan startup serves streams normally again; JSON
Lines streams are left alone. (The drain on SIGTERM/SIGINT, with real servers:
tests/e2e/test_shutdown_drain.py.)
"""

import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

import anyio
import pytest
from starlette.websockets import WebSocketDisconnect

import ferroapi._shutdown.websocket
from ferroapi import Depends, FerroAPI, WebSocket
from ferroapi.sse import EventSourceResponse
from ferroapi.testclient import TestClient

WAIT = 10.0
SLOW_TEARDOWN = 0.5
Backend = Literal["asyncio", "trio"]


class Marks:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.lock = threading.Lock()

    def add(self, line: str) -> None:
        with self.lock:
            self.lines.append(line)

    def count(self, line: str) -> int:
        with self.lock:
            return self.lines.count(line)

    def wait_for(self, line: str) -> None:
        deadline = time.monotonic() + WAIT
        while not self.count(line):
            assert time.monotonic() < deadline, f"never saw {line!r}: {self.lines}"
            time.sleep(0.005)


class Slow(EventSourceResponse):
    drain_retry = 3000


def build(marks: Marks, **options: Any) -> FerroAPI:
    app = FerroAPI(**options)

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        finally:
            marks.add("dep closed")

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    @app.get("/events", response_class=EventSourceResponse)
    async def events(_: Annotated[None, Depends(resource)], count: int = 3) -> AsyncIterator[int]:
        try:
            for n in range(count):
                yield n
            marks.add("yielded")
            await anyio.sleep_forever()
        finally:
            marks.add("generator closed")

    @app.get("/finite", response_class=EventSourceResponse)
    async def finite() -> AsyncIterator[int]:
        for n in range(2):
            yield n

    @app.get("/slow", response_class=Slow)
    async def slow() -> AsyncIterator[int]:
        yield 0
        marks.add("yielded")
        await anyio.sleep_forever()

    @app.get("/sync", response_class=EventSourceResponse)
    def sync_events() -> Iterator[int]:
        n = -1
        try:
            while True:
                n += 1
                yield n
                if n == 2:
                    marks.add("yielded")
                time.sleep(0.005)
        finally:
            marks.add(f"sync last {n}")

    @app.get("/lines")
    async def lines() -> AsyncIterator[int]:  # JSON Lines: not drained
        yield 0
        marks.add("yielded")
        for _ in range(20):
            await anyio.sleep(0.01)
        yield 1

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, _: Annotated[None, Depends(resource)]) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as exc:
            marks.add(f"ws disconnect {exc.code}")

    @app.websocket("/ws-sender")
    async def ws_sender(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text("tick")
                await anyio.sleep(0.01)
        except WebSocketDisconnect as exc:
            marks.add(f"sender disconnect {exc.code}")

    @app.websocket("/ws-deaf")
    async def ws_deaf(websocket: WebSocket, _: Annotated[None, Depends(resource)]) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        try:
            await anyio.sleep_forever()  # neither receives nor sends: cancelled after the grace
        finally:
            marks.add("deaf ended")

    def sync_resource() -> Iterator[None]:
        yield
        marks.add("sync teardown done")

    async def slow_resource() -> AsyncIterator[None]:
        try:
            yield
        finally:
            marks.add("slow teardown started")
            await anyio.sleep(SLOW_TEARDOWN)  # past the grace the drain gives the endpoint
            marks.add("slow teardown done")

    @app.websocket("/ws-slow-teardown")
    async def ws_slow_teardown(
        websocket: WebSocket,
        _sync: Annotated[None, Depends(sync_resource)],  # torn down last, after the slow one
        _slow: Annotated[None, Depends(slow_resource)],
    ) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    return app


def sse_events(body: bytes) -> list[dict[str, str]]:
    events = []
    for block in body.decode().split("\n\n"):
        fields = dict(line.partition(": ")[::2] for line in block.splitlines())
        if fields:
            events.append(fields)
    return events


def stream_then_drain(client: TestClient, app: FerroAPI, marks: Marks, path: str) -> bytes:
    """GET `path` in a thread (TestClient returns once the app is done), drain once it yielded."""
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(client.get(path).content), daemon=True)
    reader.start()
    marks.wait_for("yielded")
    app.drain()
    reader.join(WAIT)
    assert not reader.is_alive(), "the stream did not end"
    return got[0]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_drain_ends_open_sse_stream_after_what_was_yielded(backend: Backend) -> None:
    marks = Marks()
    app = build(marks, sse_drain_retry=500)
    with TestClient(app, backend=backend) as client:
        body = stream_then_drain(client, app, marks, "/events?count=3")
    *events, hint = sse_events(body)
    assert [json.loads(event["data"]) for event in events] == [0, 1, 2]
    assert set(hint) == {"retry"} and 500 <= int(hint["retry"]) <= 750
    assert body.endswith(b"\n\n")
    assert marks.count("generator closed") == 1
    assert marks.count("dep closed") == 1


def test_response_class_sets_the_retry_hint() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client:
        body = stream_then_drain(client, app, marks, "/slow")
    *_, hint = sse_events(body)
    assert 3000 <= int(hint["retry"]) <= 4500


def test_default_retry_hint() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client:
        body = stream_then_drain(client, app, marks, "/events?count=1")
    *_, hint = sse_events(body)
    assert 1000 <= int(hint["retry"]) <= 1500


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_generator_stream_loses_nothing_it_yielded(backend: Backend) -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app, backend=backend) as client:
        body = stream_then_drain(client, app, marks, "/sync")
    *events, hint = sse_events(body)
    last = next(int(line.split()[-1]) for line in marks.lines if line.startswith("sync last"))
    assert [int(event["data"]) for event in events] == list(range(last + 1))
    assert "retry" in hint


def test_during_drain_new_streams_end_at_once_and_requests_are_served() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client:
        app.drain()
        assert client.get("/ping").json() == "pong"
        body = client.get("/events?count=0").content
        events = sse_events(body)
        assert len(events) == 1 and set(events[0]) == {"retry"}
        assert marks.count("dep closed") == 1
        assert marks.count("generator closed") == 1
    # The next serve (lifespan startup) serves streams normally again.
    with TestClient(app) as client:
        assert client.get("/finite").content == b"data: 0\n\ndata: 1\n\n"


def test_json_lines_streams_are_not_drained() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client:
        body = stream_then_drain(client, app, marks, "/lines")
    assert body == b"0\n1\n"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_drain_closes_websocket_with_1001(backend: Backend) -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app, backend=backend) as client, client.websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hello"
        app.drain()
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_text()
        assert (closed.value.code, closed.value.reason) == (1001, "server shutting down")
    assert marks.count("dep closed") == 1


def test_sending_endpoint_sees_the_client_gone() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client, client.websocket_connect("/ws-sender") as websocket:
        assert websocket.receive_text() == "tick"
        app.drain()
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                websocket.receive_text()
        assert closed.value.code == 1001
        marks.wait_for("sender disconnect 1001")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_endpoint_that_never_returns_is_cancelled_after_the_grace(backend: Backend) -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app, backend=backend) as client, client.websocket_connect("/ws-deaf") as websocket:
        assert websocket.receive_text() == "hello"
        app.drain()
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_text()
        assert closed.value.code == 1001
        marks.wait_for("deaf ended")
    assert marks.count("dep closed") == 1


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_websocket_teardown_is_not_cut_by_the_grace(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grace bounds the endpoint, not its yield dependencies' teardown after it."""
    monkeypatch.setattr(ferroapi._shutdown.websocket, "CLOSE_GRACE", SLOW_TEARDOWN / 5)
    marks = Marks()
    app = build(marks)
    with (
        TestClient(app, backend=backend) as client,
        client.websocket_connect("/ws-slow-teardown") as websocket,
    ):
        assert websocket.receive_text() == "hello"
        app.drain()
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_text()
        assert closed.value.code == 1001
        websocket.close()  # the client answers the close: the endpoint ends, its teardown runs
        marks.wait_for("slow teardown started")
        marks.wait_for("slow teardown done")
        time.sleep(SLOW_TEARDOWN)  # the session stays open: only the drain could cut the teardown
        assert marks.count("sync teardown done") == 1, marks.lines


def test_websocket_accepted_during_drain_is_closed_after_accept() -> None:
    marks = Marks()
    app = build(marks)
    with TestClient(app) as client:
        app.drain()
        with client.websocket_connect("/ws") as websocket:
            messages = [websocket.receive()]
            if messages[0]["type"] == "websocket.send":
                messages.append(websocket.receive())
        assert messages[-1] == {"type": "websocket.close", "code": 1001, "reason": "server shutting down"}


def test_drain_reaches_mounted_apps() -> None:
    marks = Marks()
    parent = FerroAPI()
    mounted = build(marks)
    parent.mount("/sub", mounted)
    with TestClient(parent) as client:
        body = stream_then_drain(client, parent, marks, "/sub/events?count=2")
        assert [json.loads(event["data"]) for event in sse_events(body)[:-1]] == [0, 1]
        assert "retry" in sse_events(body)[-1]
    # The parent's next lifespan startup resets the mounted app's drain too.
    with TestClient(parent) as client:
        assert client.get("/sub/finite").content == b"data: 0\n\ndata: 1\n\n"
