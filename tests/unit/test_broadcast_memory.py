"""ferroapi.broadcast on the memory:// backend: delivery, resumption, retention, the slow-subscriber
policy, lifecycle errors, and the SSE and websocket helpers through an app (TestClient)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import pytest

from ferroapi import FastAPI, Header, Query, WebSocket, WebSocketDisconnect
from ferroapi.broadcast import (
    Broadcast,
    Event,
    InvalidEventId,
    LastEventID,
    SubscriberTooSlow,
    join_room,
    sse_events,
)
from ferroapi.sse import EventSourceResponse, ServerSentEvent
from ferroapi.testclient import TestClient

pytestmark = pytest.mark.anyio


async def take(events: object, n: int) -> list[Event]:
    got: list[Event] = []
    with anyio.fail_after(5):
        async for event in events:  # type: ignore[attr-defined]
            got.append(event)
            if len(got) == n:
                break
    return got


async def test_every_subscriber_gets_every_event_in_order() -> None:
    async with (
        Broadcast("memory://") as broadcast,
        broadcast.subscribe("room") as a,
        broadcast.subscribe("room") as b,
    ):
        ids = [await broadcast.publish("room", f"m{i}") for i in range(5)]
        await broadcast.publish("other", "not for room")
        got_a, got_b = await take(a, 5), await take(b, 5)
    assert [e.data for e in got_a] == [e.data for e in got_b] == [f"m{i}" for i in range(5)]
    assert [e.id for e in got_a] == ids
    assert {e.channel for e in got_a} == {"room"}
    keys = [tuple(map(int, i.split("-"))) for i in ids]
    assert keys == sorted(set(keys))  # strictly increasing


async def test_without_last_event_id_only_new_events() -> None:
    async with Broadcast("memory://") as broadcast:
        await broadcast.publish("room", "before")
        async with broadcast.subscribe("room") as events:
            await broadcast.publish("room", "after")
            assert [e.data for e in await take(events, 1)] == ["after"]


async def test_resume_gets_missed_then_live_exactly_once() -> None:
    async with Broadcast("memory://") as broadcast:
        # A subscriber is open on the channel while the others resume (the channel's position moves).
        async with broadcast.subscribe("room") as live:
            ids = [await broadcast.publish("room", f"m{i}") for i in range(5)]
            async with broadcast.subscribe("room", last_event_id=ids[1]) as resumed:
                await broadcast.publish("room", "m5")
                got = await take(resumed, 4)
                assert resumed.last_event_id == got[-1].id
            assert [e.data for e in got] == ["m2", "m3", "m4", "m5"]
            assert len(await take(live, 6)) == 6
        # A resumption id newer than everything: nothing replayed, live events only.
        async with broadcast.subscribe("room", last_event_id=got[-1].id) as resumed:
            await broadcast.publish("room", "m6")
            assert [e.data for e in await take(resumed, 1)] == ["m6"]


async def test_retention_bounds_the_replay() -> None:
    async with Broadcast("memory://", retention=3) as broadcast:
        ids = [await broadcast.publish("room", f"m{i}") for i in range(6)]
        async with broadcast.subscribe("room", last_event_id=ids[0]) as events:
            await broadcast.publish("room", "m6")
            assert [e.data for e in await take(events, 4)] == ["m3", "m4", "m5", "m6"]


async def test_slow_subscriber_is_ended_after_its_buffer_and_resumes() -> None:
    async with Broadcast("memory://", buffer=2) as broadcast:
        async with broadcast.subscribe("room") as slow, broadcast.subscribe("room") as fast:
            reader = [await broadcast.publish("room", "m0")]
            assert [e.data for e in await take(fast, 1)] == ["m0"]
            for i in range(1, 5):
                reader.append(await broadcast.publish("room", f"m{i}"))
            got = await take(slow, 2)
            assert [e.data for e in got] == ["m0", "m1"]
            with pytest.raises(SubscriberTooSlow) as caught:
                await take(slow, 1)
            assert caught.value.last_event_id == reader[1]
            # The other subscriber is untouched by the slow one (it had room for two more).
            assert [e.data for e in await take(fast, 2)] == ["m1", "m2"]
        async with broadcast.subscribe("room", last_event_id=caught.value.last_event_id) as again:
            assert [e.data for e in await take(again, 3)] == ["m2", "m3", "m4"]


async def test_disconnect_ends_subscriptions_quietly() -> None:
    broadcast = Broadcast("memory://")
    await broadcast.connect()
    async with broadcast.subscribe("room") as events:
        await broadcast.publish("room", "last")
        await broadcast.disconnect()
        assert [e.data async for e in events] == ["last"]


@pytest.mark.parametrize(
    "bad", ["", "abc", "1", "1-", "-1", "1-2-3", "1-2\n", " 1-2", "1" * 21 + "-0", f"{2**64}-0"]
)
async def test_malformed_last_event_id(bad: str) -> None:
    async with Broadcast("memory://") as broadcast:
        with pytest.raises(InvalidEventId) as caught:
            async with broadcast.subscribe("room", last_event_id=bad):
                pass  # pragma: no cover
    assert caught.value.status_code == 400


async def test_lifecycle_and_url_errors() -> None:
    broadcast = Broadcast("memory://")
    with pytest.raises(RuntimeError, match="not connected"):
        await broadcast.publish("room", "x")
    with pytest.raises(ValueError, match="unsupported broadcast URL"):
        Broadcast("kafka://localhost")
    with pytest.raises(ValueError, match="at least 1"):
        Broadcast("memory://", buffer=0)
    async with broadcast:
        with pytest.raises(TypeError, match="must be a str"):
            await broadcast.publish("room", {"not": "serialized"})  # type: ignore[arg-type]


def room_app(broadcast: Broadcast) -> FastAPI:
    """An app with the broadcast in its lifespan: publish by POST, read by SSE or websocket."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with broadcast:
            yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/publish/{room}")
    async def publish(room: str, data: Annotated[str, Query()]) -> dict[str, str]:
        return {"id": await broadcast.publish(room, data)}

    @app.get("/events/{room}", response_class=EventSourceResponse)
    async def events(
        room: str, limit: Annotated[int, Query()], last_event_id: LastEventID = None
    ) -> AsyncIterator[ServerSentEvent]:
        sent = 0
        async for event in sse_events(broadcast, room, last_event_id):
            yield event
            sent += 1
            if sent == limit:
                return

    @app.websocket("/ws/{room}")
    async def room_ws(websocket: WebSocket, room: str, last_event_id: str | None = None) -> None:
        await websocket.accept()
        await join_room(broadcast, websocket, room, last_event_id=last_event_id)

    @app.websocket("/listen/{room}")
    async def listen_ws(websocket: WebSocket, room: str, last_event_id: str) -> None:
        await websocket.accept()
        await join_room(broadcast, websocket, room, last_event_id=last_event_id, publish_messages=False)

    @app.get("/raw-header/{room}", response_class=EventSourceResponse)
    async def raw_header(
        room: str, last_event_id: Annotated[str, Header()]
    ) -> AsyncIterator[ServerSentEvent]:
        async for event in sse_events(broadcast, room, last_event_id):
            yield event

    return app


def parse_sse(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append(fields)
    return events


def test_sse_replays_after_last_event_id_with_ids() -> None:
    with TestClient(room_app(Broadcast("memory://"))) as client:
        ids = [client.post("/publish/r", params={"data": f"m{i}"}).json()["id"] for i in range(4)]
        response = client.get("/events/r", params={"limit": 2}, headers={"Last-Event-ID": ids[1]})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert parse_sse(response.text) == [{"data": "m2", "id": ids[2]}, {"data": "m3", "id": ids[3]}]


@pytest.mark.parametrize("bad", ["abc", "1-2-3", "12", "1" * 30 + "-1"])
def test_sse_malformed_last_event_id_is_422(bad: str) -> None:
    with TestClient(room_app(Broadcast("memory://"))) as client:
        response = client.get("/events/r", params={"limit": 1}, headers={"Last-Event-ID": bad})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["header", "last-event-id"]


def receive_until(ws: Any, data: str) -> dict[str, str]:
    for _ in range(10):
        message: dict[str, str] = ws.receive_json()
        if message["data"] == data:
            return message
    raise AssertionError(f"{data!r} not received")


def test_websocket_room_publishes_and_receives() -> None:
    with (
        TestClient(room_app(Broadcast("memory://"))) as client,
        client.websocket_connect("/ws/r") as one,
        client.websocket_connect("/ws/r") as two,
    ):
        # Each has joined once its own message comes back to it.
        one.send_text("one")
        assert receive_until(one, "one")["channel"] == "r"
        two.send_text("two")
        from_two = receive_until(two, "two")
        assert one.receive_json() == from_two
        event_id = client.post("/publish/r", params={"data": "from http"}).json()["id"]
        assert one.receive_json() == {"id": event_id, "channel": "r", "data": "from http"}
        assert two.receive_json()["id"] == event_id


def test_websocket_resumes_from_last_event_id_and_rejects_a_malformed_one() -> None:
    with TestClient(room_app(Broadcast("memory://"))) as client:
        ids = [client.post("/publish/r", params={"data": f"m{i}"}).json()["id"] for i in range(3)]
        with client.websocket_connect(f"/ws/r?last_event_id={ids[0]}") as ws:
            assert [ws.receive_json()["data"] for _ in range(2)] == ["m1", "m2"]
        with (
            client.websocket_connect("/ws/r?last_event_id=nope") as ws,
            pytest.raises(WebSocketDisconnect) as closed,
        ):
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (1008, "malformed last_event_id")


def test_websocket_binary_message_closes_1003_and_listeners_do_not_publish() -> None:
    with TestClient(room_app(Broadcast("memory://"))) as client:
        with client.websocket_connect("/ws/r") as ws, pytest.raises(WebSocketDisconnect) as closed:
            ws.send_bytes(b"\x00")
            ws.receive_json()
        assert closed.value.code == 1003
        marker = client.post("/publish/r", params={"data": "marker"}).json()["id"]
        with (
            client.websocket_connect(f"/listen/r?last_event_id={marker}") as listener,
            client.websocket_connect("/ws/r") as talker,
        ):
            listener.send_text("ignored")
            talker.send_text("heard")
            # The talker is subscribed before it reads its messages: its own comes back. The listener
            # resumes after the marker whenever it joined: the first event it gets is the talker's.
            assert receive_until(talker, "heard")["data"] == "heard"
            assert listener.receive_json()["data"] == "heard"


def test_sse_malformed_id_without_the_header_type_ends_the_stream_with_a_comment() -> None:
    with TestClient(room_app(Broadcast("memory://"))) as client:
        response = client.get("/raw-header/r", headers={"Last-Event-ID": "nope"})
        assert response.status_code == 200
        assert response.text == ": InvalidEventId\n\n"


async def test_redis_url_without_the_redis_package_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if redis-py were not installed: a None entry in sys.modules makes its import fail.
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    broadcast = Broadcast("redis://127.0.0.1:1/0")  # constructing needs nothing
    with pytest.raises(ImportError, match=r"pip install 'ferroapi\[redis\]'"):
        await broadcast.connect()


async def test_sse_events_end_with_a_retry_hint_when_the_broadcast_disconnects() -> None:
    broadcast = Broadcast("memory://")
    await broadcast.connect()
    marker = await broadcast.publish("room", "marker")
    received: list[ServerSentEvent] = []
    got_one = anyio.Event()

    async def consume() -> None:
        # From the marker: whenever the generator subscribes, it gets "last".
        async for item in sse_events(broadcast, "room", marker, retry=250):
            received.append(item)
            got_one.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(consume)
            await broadcast.publish("room", "last")
            await got_one.wait()
            await broadcast.disconnect()
    assert [(e.raw_data, e.comment, e.retry) for e in received] == [
        ("last", None, None),
        (None, "BroadcastClosed", 250),
    ]


@pytest.mark.parametrize("anyio_backend", ["trio"])  # only trio: asyncio is what the backend needs
async def test_redis_url_under_trio_says_it_needs_asyncio(anyio_backend: str) -> None:
    with pytest.raises(RuntimeError, match="needs asyncio"):
        await Broadcast("redis://127.0.0.1:1/0").connect()


@pytest.mark.parametrize("first_leaves", ["cancelled while opening", "right after opening"])
async def test_a_subscriber_waiting_on_the_channel_opening_is_not_failed_by_the_first(
    first_leaves: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first subscriber opens the channel (reads its newest id, here held until `release`); the
    # second waits for that. The first one's request ending is no outage for the second.
    release = anyio.Event()
    async with Broadcast("memory://") as broadcast:
        last_id = broadcast._backend.last_id

        async def held_last_id(channel: str) -> Any:
            await release.wait()
            return await last_id(channel)

        monkeypatch.setattr(broadcast._backend, "last_id", held_last_id)
        got: list[Event] = []

        async def first() -> None:
            async with broadcast.subscribe("room"):
                pass

        async def second() -> None:
            async with broadcast.subscribe("room") as events:
                await broadcast.publish("room", "m0")
                got.extend(await take(events, 1))

        async with anyio.create_task_group() as tasks:
            opener = anyio.CancelScope()

            async def first_in_scope() -> None:
                with opener:
                    await first()

            tasks.start_soon(first_in_scope)
            await anyio.wait_all_tasks_blocked()
            tasks.start_soon(second)
            await anyio.wait_all_tasks_blocked()
            if first_leaves == "cancelled while opening":
                opener.cancel()
                await anyio.wait_all_tasks_blocked()
            release.set()
        assert [e.data for e in got] == ["m0"]


async def test_a_channel_idle_for_idle_expiry_is_dropped() -> None:
    # As Redis deletes the stream: the retained events go (0 s: at once), and a channel published
    # to since is kept.
    async with Broadcast("memory://", idle_expiry=0) as broadcast:
        await broadcast.publish("room", "m0")
        async with broadcast.subscribe("room", last_event_id="0-0") as events:
            await broadcast.publish("room", "m1")
            assert [e.data for e in await take(events, 1)] == ["m1"]
    async with Broadcast("memory://", idle_expiry=60) as broadcast:
        await broadcast.publish("room", "m0")
        await broadcast.publish("other", "x")
        async with broadcast.subscribe("room", last_event_id="0-0") as events:
            assert [e.data for e in await take(events, 1)] == ["m0"]
