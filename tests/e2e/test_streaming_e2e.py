"""Streaming endpoints against a real uvicorn server on 127.0.0.1: teardown, keepalive, faults.

The app records what its generators and yield dependencies did (`Probe`), and exposes the number of
asyncio tasks of its event loop; tests poll those with bounded timeouts, never sleep-and-hope.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from httpx_sse import connect_sse
from pydantic import BaseModel

from ferroapi import Depends, FerroAPI
from ferroapi.sse import EventSourceResponse, ServerSentEvent

TIMEOUT = 30.0


class Tick(BaseModel):
    n: int


class Probe:
    """What happened inside the server: (what, request id) pairs, appended from the server thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.gate = threading.Event()  # releases the blocked sync generator

    def add(self, what: str, rid: str) -> None:
        self.events.append((what, rid))

    def count(self, what: str, rid: str | None = None) -> int:
        return sum(1 for w, r in list(self.events) if w == what and (rid is None or r == rid))


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


class Fast(EventSourceResponse):
    keepalive_interval = 0.05


def build(probe: Probe, **app_options: Any) -> FerroAPI:
    app = FerroAPI(**app_options)

    async def resource(rid: str = "-") -> AsyncIterator[str]:
        probe.add("dep-open", rid)
        try:
            yield rid
        finally:
            probe.add("dep-close", rid)

    @app.get("/ticks", response_class=EventSourceResponse)
    async def ticks(rid: str = Depends(resource)) -> AsyncIterator[Tick]:
        try:
            n = 0
            while True:
                yield Tick(n=n)
                n += 1
                await anyio.sleep(0.005)
        finally:
            probe.add("finally", rid)

    @app.get("/ticks-sync", response_class=EventSourceResponse)
    def ticks_sync(rid: str = Depends(resource)) -> Iterator[Tick]:
        try:
            n = 0
            while True:
                yield Tick(n=n)
                n += 1
                time.sleep(0.005)
        finally:
            probe.add("finally", rid)

    @app.get("/jsonl-sync")
    def jsonl_sync(rid: str = Depends(resource), n: int = 100_000) -> Iterator[Tick]:
        try:
            for i in range(n):
                yield Tick(n=i)
        finally:
            probe.add("finally", rid)

    @app.get("/idle", response_class=EventSourceResponse)
    async def idle(rid: str = Depends(resource)) -> AsyncIterator[Tick]:
        try:
            yield Tick(n=0)
            await anyio.Event().wait()  # never yields again: only keepalive comments flow
        finally:
            probe.add("finally", rid)

    @app.get("/idle-fast", response_class=Fast)
    async def idle_fast(rid: str = Depends(resource)) -> AsyncIterator[Tick]:
        async for tick in idle(rid):
            yield tick

    @app.get("/flood")
    async def flood(rid: str = Depends(resource)) -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                yield {"pad": "x" * 4096}
        finally:
            probe.add("finally", rid)

    @app.get("/bad-at")
    async def bad_at(rid: str = Depends(resource), n: int = 5000) -> AsyncIterator[Tick]:
        try:
            for i in range(1, n + 1):
                yield Tick(n=i) if i < n else {"n": "not a number"}  # type: ignore[misc]
        finally:
            probe.add("finally", rid)

    @app.get("/raises")
    def raises(rid: str = Depends(resource)) -> Iterator[Tick]:
        try:
            yield Tick(n=1)
            yield Tick(n=2)
            raise RuntimeError("generator failed")
        finally:
            probe.add("finally", rid)

    @app.post("/events", response_class=EventSourceResponse)
    async def events(rid: str = Depends(resource)) -> AsyncIterator[Tick | ServerSentEvent]:
        yield Tick(n=1)
        yield ServerSentEvent(data={"k": "v"}, event="update", id="7", retry=2500, comment="c1\nc2")
        yield ServerSentEvent(raw_data="line1\r\nline2\rline3", event="text")
        yield ServerSentEvent(comment="only a comment")
        yield Tick(n=2)

    @app.get("/evil", response_class=EventSourceResponse)
    async def evil(rid: str = Depends(resource), field: str = "event") -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(data="ok", id="1")
            value = {"event": "x\ndata: injected", "id": "x\0injected", "cr": "x\rdata: injected"}[field]
            name = "event" if field == "cr" else field
            # model_construct skips the model's own check: the native framing must refuse it too.
            yield ServerSentEvent.model_construct(**{name: value})  # type: ignore[arg-type]
        finally:
            probe.add("finally", rid)

    @app.get("/sync-blocked", response_class=EventSourceResponse)
    def sync_blocked(rid: str = Depends(resource)) -> Iterator[Tick]:
        try:
            yield Tick(n=0)
            probe.gate.wait()
            yield Tick(n=1)
        finally:
            probe.add("finally", rid)

    @app.get("/health")
    async def health() -> dict[str, int]:
        return {"tasks": len(asyncio.all_tasks())}

    return app


@pytest.fixture
def probe() -> Probe:
    return Probe()


def first_event(client: httpx.Client, url: str) -> bytes:
    """Read until the first SSE frame is complete, then drop the connection."""
    buffer = b""
    with client.stream("GET", url) as response:
        assert response.status_code == 200
        for chunk in response.iter_raw():
            buffer += chunk
            if b"\n\n" in buffer:
                break
    return buffer


@pytest.mark.parametrize("path", ["/ticks", "/ticks-sync"])
def test_disconnect_mid_stream_tears_down_exactly_once(serve: Any, probe: Probe, path: str) -> None:
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        assert first_event(client, f"{base}{path}?rid=a").startswith(b'data: {"n":0}\n\n')
        wait_until(lambda: probe.count("dep-close", "a") == 1, what="the dependency teardown")
        assert probe.count("finally", "a") == 1
        # the generator is finalized before the dependency it uses is closed
        assert probe.events.index(("finally", "a")) < probe.events.index(("dep-close", "a"))
        assert client.get(f"{base}/health").status_code == 200  # the server keeps serving
    assert probe.count("finally", "a") == probe.count("dep-close", "a") == probe.count("dep-open", "a") == 1


def test_thousand_disconnecting_clients_leave_no_task(serve: Any, probe: Probe) -> None:
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        baseline = client.get(f"{base}/health").json()["tasks"]
        for i in range(1000):
            assert first_event(client, f"{base}/ticks?rid=c{i}").startswith(b"data: ")
        wait_until(lambda: probe.count("dep-close") == 1000, what="1,000 dependency teardowns")
        wait_until(lambda: client.get(f"{base}/health").json()["tasks"] <= baseline, what="the tasks to end")
    counts = Counter(what for what, _ in probe.events)
    assert counts == {"dep-open": 1000, "finally": 1000, "dep-close": 1000}
    assert len({rid for what, rid in probe.events if what == "finally"}) == 1000


@pytest.mark.parametrize(
    ("path", "options"),
    [("/idle", {"sse_keepalive_interval": 0.05}), ("/idle-fast", {})],
    ids=["app-setting", "route-class"],
)
def test_keepalive_flows_while_the_generator_is_idle(
    serve: Any, probe: Probe, path: str, options: dict[str, Any]
) -> None:
    base = serve(build(probe, **options))
    seen = b""
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{base}{path}?rid=k") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        for chunk in response.iter_raw():
            seen += chunk
            if seen.count(b": ping\n\n") >= 3:
                break
    assert seen.startswith(b'data: {"n":0}\n\n: ping\n\n: ping\n\n')
    wait_until(lambda: probe.count("dep-close", "k") == 1, what="teardown of the idle stream")
    assert probe.count("finally", "k") == 1


def test_an_sse_client_library_parses_the_events(serve: Any, probe: Probe) -> None:
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        with connect_sse(client, "GET", f"{base}/ticks?rid=s") as source:
            events = []
            for event in source.iter_sse():
                events.append(event)
                if len(events) == 3:
                    break
        assert [e.json() for e in events] == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert {e.event for e in events} == {"message"}
        with connect_sse(client, "POST", f"{base}/events?rid=s2") as source:
            got = [(e.event, e.data, e.id, e.retry) for e in source.iter_sse()]
        assert got == [
            ("message", '{"n":1}', "", None),
            ("update", '{"k": "v"}', "7", 2500),
            ("text", "line1\nline2\nline3", "7", None),  # the last event id carries over
            ("message", "", "7", None),  # httpx-sse dispatches the comment-only frame as an empty event
            ("message", '{"n":2}', "7", None),
        ]
    wait_until(lambda: probe.count("dep-close") == 2, what="teardowns")


def test_a_client_that_never_reads_is_dropped_after_the_send_timeout(serve: Any, probe: Probe) -> None:
    base = serve(build(probe, stream_send_timeout=0.3))
    port = int(base.rsplit(":", 1)[1])
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /flood?rid=n HTTP/1.1\r\nHost: test\r\n\r\n")  # and never read
        wait_until(lambda: probe.count("dep-close", "n") == 1, what="the stalled stream to end")
        assert probe.count("finally", "n") == 1
        assert httpx.get(f"{base}/health", timeout=TIMEOUT).status_code == 200
    finally:
        sock.close()


@pytest.mark.parametrize(("path", "lines"), [("/bad-at?n=5000&", 4999), ("/raises?", 2)])
def test_a_failing_item_ends_the_stream_after_the_items_before_it(
    serve: Any, probe: Probe, path: str, lines: int
) -> None:
    base = serve(build(probe))
    received: list[str] = []
    with httpx.Client(timeout=TIMEOUT) as client:
        with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", f"{base}{path}rid=f") as r:
            received.extend(r.iter_lines())  # the body ends without its last chunk: incomplete
        assert [int(line.split(":")[1].rstrip("}")) for line in received] == list(range(1, lines + 1))
        wait_until(lambda: probe.count("dep-close", "f") == 1, what="teardown after the failure")
        assert probe.count("finally", "f") == 1
        assert client.get(f"{base}/health").status_code == 200


@pytest.mark.parametrize("field", ["event", "id", "cr"])
def test_sse_fields_with_line_breaks_or_nul_are_never_emitted(serve: Any, probe: Probe, field: str) -> None:
    base = serve(build(probe))
    body = b""
    with httpx.Client(timeout=TIMEOUT) as client:
        url = f"{base}/evil?rid=e&field={field}"
        with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as response:
            for chunk in response.iter_raw():
                body += chunk
        assert body == b'data: "ok"\nid: 1\n\n'
        assert b"injected" not in body
        wait_until(lambda: probe.count("dep-close", "e") == 1, what="teardown")
        assert client.get(f"{base}/health").status_code == 200


def test_a_sync_generator_blocked_in_next_does_not_hang_the_stream(
    serve: Any, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ferroapi._pipeline.streaming.producer.CLOSE_GRACE", 0.2)
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        assert first_event(client, f"{base}/sync-blocked?rid=b").startswith(b'data: {"n":0}')
        # the stream ends and, after the close grace, the dependency closes although a worker thread
        # is still inside next()
        wait_until(lambda: probe.count("dep-close", "b") == 1, what="teardown while next() blocks")
        assert probe.count("finally", "b") == 0
        assert client.get(f"{base}/health").status_code == 200
        probe.gate.set()  # next() returns: its thread closes the generator
        wait_until(lambda: probe.count("finally", "b") == 1, what="the abandoned generator's close")


def test_a_sync_generator_blocked_in_next_is_closed_before_the_teardown(serve: Any, probe: Probe) -> None:
    """Within the close grace, the teardown waits for the thread inside next() to close the generator."""
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        assert first_event(client, f"{base}/sync-blocked?rid=g").startswith(b'data: {"n":0}')
        probe.gate.set()  # next() returns after the client left (or while the server notices it)
        wait_until(lambda: probe.count("dep-close", "g") == 1, what="the teardown")
        assert probe.events.index(("finally", "g")) < probe.events.index(("dep-close", "g"))
        assert probe.count("finally", "g") == 1


def test_a_sync_generator_streams_a_long_body_intact(serve: Any, probe: Probe) -> None:
    base = serve(build(probe))
    with httpx.Client(timeout=TIMEOUT) as client:
        lines = client.get(f"{base}/jsonl-sync?rid=l&n=100000").text.splitlines()
    assert lines == [f'{{"n":{i}}}' for i in range(100_000)]
    wait_until(lambda: probe.count("dep-close", "l") == 1, what="teardown")
    assert probe.events.index(("finally", "l")) < probe.events.index(("dep-close", "l"))
