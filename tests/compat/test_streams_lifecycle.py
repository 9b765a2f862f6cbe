"""Stream lifecycle in process, on both anyio backends: keepalive, bounded buffers, send timeout,
cancellation, and where ferroapi deliberately differs from FastAPI (documented in each test)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator, MutableMapping
from typing import Any

import anyio
import pytest
from _asgi import never_disconnects, scope
from pydantic import BaseModel

from ferroapi import Depends, FerroAPI, sse
from ferroapi._pipeline.streaming.handoff import MAX_ITEMS
from ferroapi.sse import EventSourceResponse
from ferroapi.testclient import TestClient

pytestmark = pytest.mark.anyio


class Tick(BaseModel):
    n: int


@pytest.mark.parametrize("module", ["sse", "routing"])
def test_keepalive_interval_is_monkeypatchable(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setattr(f"ferroapi.{module}._PING_INTERVAL", 0.02)
    app = FerroAPI()
    go_on = anyio.Event()

    @app.get("/slow", response_class=EventSourceResponse)
    async def slow() -> AsyncIterator[int]:
        yield 1
        with anyio.move_on_after(0.3):
            await go_on.wait()
        yield 2

    with TestClient(app) as client:
        body = client.get("/slow").text
    assert body.startswith("data: 1\n\n: ping\n\n")
    assert body.endswith(": ping\n\ndata: 2\n\n")


async def test_a_stalled_client_bounds_the_buffer_and_times_out() -> None:
    pulled: list[int] = []
    closed: list[str] = []
    app = FerroAPI(stream_send_timeout=0.2)

    @app.get("/fast")
    async def fast() -> AsyncIterator[int]:
        try:
            n = 0
            while True:  # never awaits: only the bounded hand-off stops it
                pulled.append(n)
                yield n
                n += 1
        finally:
            closed.append("finally")

    sent: list[MutableMapping[str, Any]] = []

    async def stalled_send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await anyio.sleep_forever()  # the client stopped reading

    with anyio.fail_after(10):
        await app(scope("/fast"), never_disconnects, stalled_send)
    # one batch being sent + one full pending batch + the item in flight, never more
    assert len(pulled) <= 2 * MAX_ITEMS + 1
    assert closed == ["finally"]
    assert sent[-1]["more_body"] is True  # the response was left incomplete


async def test_outer_cancellation_finalizes_the_generator_once() -> None:
    closed: list[str] = []
    app = FerroAPI()

    @app.get("/forever", response_class=EventSourceResponse)
    async def forever() -> AsyncIterator[Tick]:
        try:
            while True:
                yield Tick(n=1)
        finally:
            await anyio.sleep(0)  # the generator's own async cleanup may await (shielded)
            closed.append("finally")

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    with anyio.move_on_after(0.1) as scope_:
        await app(scope("/forever"), never_disconnects, send)
    assert scope_.cancelled_caught
    assert closed == ["finally"]


def test_sse_failure_mid_stream_keeps_the_events_before_it() -> None:
    """FastAPI may drop events produced before a failing one (its producer's error cancels the task
    that forwards them); ferroapi sends every event before the failure, then surfaces the error
    (bare, not in an ExceptionGroup), as both do for JSON Lines."""
    app = FerroAPI()

    @app.get("/bad", response_class=EventSourceResponse)
    async def bad() -> AsyncIterator[Tick]:
        yield Tick(n=1)
        yield Tick(n=2)
        yield {"n": "x"}  # type: ignore[misc]

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/bad").content == b'data: {"n":1}\n\ndata: {"n":2}\n\n'
    from ferroapi.exceptions import ResponseValidationError

    with TestClient(app) as client, pytest.raises(ResponseValidationError) as info:
        client.get("/bad")
    assert info.value.errors()[0]["loc"] == ("response", "n")


def test_sse_fields_are_rejected_before_any_byte_is_framed() -> None:
    bad_fields: list[dict[str, Any]] = [{"event": "a\nb"}, {"event": "a\rb"}, {"id": "a\nb"}, {"id": "a\0b"}]
    for bad in bad_fields:
        with pytest.raises(ValueError):
            sse.ServerSentEvent(**bad)
        with pytest.raises(ValueError):
            sse.format_sse_event(**bad)


# ---- sync generators: pulled in worker threads, many items per job --------------------------------


async def test_a_sync_generator_that_waits_between_items_sees_each_item_sent_at_once() -> None:
    """Items of a sync generator are handed over one by one as they come: a worker-thread job that
    pulls several items never holds back an item while the next `next()` blocks."""
    app = FerroAPI()
    produced: dict[int, float] = {}

    @app.get("/slow")
    def slow() -> Iterator[Tick]:
        for n in range(3):
            produced[n] = time.monotonic()
            yield Tick(n=n)
            time.sleep(0.3)

    sent: list[tuple[float, bytes]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            sent.append((time.monotonic(), message["body"]))

    with anyio.fail_after(10):
        await app(scope("/slow"), never_disconnects, send)
    assert [body for _, body in sent] == [b'{"n":0}\n', b'{"n":1}\n', b'{"n":2}\n']
    for n, (at, _) in enumerate(sent):
        assert at - produced[n] < 0.2, f"item {n} waited {at - produced[n]:.3f}s"


@pytest.mark.parametrize("burst", [10, MAX_ITEMS + 44])
async def test_a_burst_of_a_sync_generator_is_sent_before_its_next_blocking_next(burst: int) -> None:
    """Items produced back to back (the hand-off stops waking the loop for each) and then a `next()`
    that blocks: the whole burst is sent while the generator is still blocked."""
    app = FerroAPI()
    gate = threading.Event()
    seen: list[int] = []

    @app.get("/burst")
    def burst_then_block() -> Iterator[int]:
        yield from range(burst)
        gate.wait(5)  # released by the test once the burst arrived (or after 5 s: the test fails)
        yield -1

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            seen.extend(int(line) for line in message["body"].splitlines())
            if len(seen) == burst:
                released.append(time.monotonic() - started)
                gate.set()

    released: list[float] = []
    started = time.monotonic()
    with anyio.fail_after(10):
        await app(scope("/burst"), never_disconnects, send)
    assert seen == [*range(burst), -1]
    assert released and released[0] < 1.0


async def test_a_stalled_client_bounds_a_sync_generator_and_closes_it_in_its_thread() -> None:
    pulled: list[int] = []
    closed: list[str] = []
    loop_thread = threading.get_ident()
    app = FerroAPI(stream_send_timeout=0.2)

    @app.get("/fast")
    def fast() -> Iterator[int]:
        try:
            n = 0
            while True:  # never blocks: only the bounded hand-off stops it
                pulled.append(n)
                yield n
                n += 1
        finally:
            closed.append("loop" if threading.get_ident() == loop_thread else "worker")

    sent: list[MutableMapping[str, Any]] = []

    async def stalled_send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await anyio.sleep_forever()  # the client stopped reading

    with anyio.fail_after(10):
        await app(scope("/fast"), never_disconnects, stalled_send)
    # one batch being sent + one full pending batch + the item in flight, never more
    assert len(pulled) <= 2 * MAX_ITEMS + 1
    assert closed == ["worker"]  # closed once, in a worker thread, before the call returned
    assert sent[-1]["more_body"] is True


async def test_a_client_that_leaves_stops_a_sync_generator_before_the_teardown() -> None:
    events: list[str] = []
    pulled = [0]
    app = FerroAPI()

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        finally:
            events.append("dep-close")

    @app.get("/ticks", response_class=EventSourceResponse, dependencies=[Depends(resource)])
    def ticks() -> Iterator[Tick]:
        try:
            while True:
                pulled[0] += 1
                yield Tick(n=pulled[0])
                time.sleep(0.002)
        finally:
            events.append("finally")

    first = anyio.Event()

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            first.set()

    async def receive() -> dict[str, Any]:
        await first.wait()
        await anyio.sleep(0.05)
        return {"type": "http.disconnect"}

    with anyio.fail_after(10):
        await app(scope("/ticks"), receive, send)
    assert events == ["finally", "dep-close"]
    stopped = pulled[0]
    await anyio.sleep(0.05)
    assert pulled[0] == stopped  # nothing pulls the generator any more


async def test_outer_cancellation_closes_a_sync_generator_once() -> None:
    closed: list[str] = []
    app = FerroAPI()

    @app.get("/forever", response_class=EventSourceResponse)
    def forever() -> Iterator[Tick]:
        try:
            while True:
                yield Tick(n=1)
        finally:
            closed.append("finally")

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    with anyio.move_on_after(0.1) as scope_:
        await app(scope("/forever"), never_disconnects, send)
    assert scope_.cancelled_caught
    assert closed == ["finally"]


def test_keepalive_flows_while_a_sync_generator_blocks_in_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ferroapi.sse._PING_INTERVAL", 0.02)
    app = FerroAPI()
    gate = threading.Event()

    @app.get("/slow", response_class=EventSourceResponse)
    def slow() -> Iterator[int]:
        yield 1
        gate.wait(0.3)  # never set: next() blocks its worker thread for 0.3 s
        yield 2

    with TestClient(app) as client:
        body = client.get("/slow").text
    assert body.startswith("data: 1\n\n: ping\n\n")
    assert body.endswith(": ping\n\ndata: 2\n\n")
