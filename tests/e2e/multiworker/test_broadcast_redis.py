"""The redis:// backend against a real redis-server, in this process: two `Broadcast` objects on one
Redis stand for two workers. Delivery across them, resumption, trimming, the slow-subscriber policy,
and a Redis outage (publish fails fast, subscribers resume after the restart, nothing retained is lost).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from ferroapi.broadcast import Broadcast, BroadcastUnavailable, Event, SubscriberTooSlow, Subscription

from .redis_server import RedisServer, command

T = TypeVar("T")


def run(scenario: Callable[[], Coroutine[Any, Any, T]], timeout: float = 20) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), timeout)

    return asyncio.run(bounded())


async def take(events: Subscription, n: int, timeout: float = 5) -> list[Event]:
    got: list[Event] = []

    async def read() -> None:
        async for event in events:
            got.append(event)
            if len(got) == n:
                return

    await asyncio.wait_for(read(), timeout)
    return got


def broadcast_on(server: RedisServer, **options: Any) -> Broadcast:
    options.setdefault("timeout", 1.0)
    options.setdefault("reconnect_backoff", (0.02, 0.2))
    return Broadcast(server.url, **options)


def test_events_reach_subscribers_of_both_processes_in_order(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        async with (
            broadcast_on(redis_server) as one,
            broadcast_on(redis_server) as two,
            one.subscribe("room:a") as on_one,
            two.subscribe("room:a") as on_two,
        ):
            ids = [await (one if i % 2 else two).publish("room:a", f"m{i}") for i in range(20)]
            got_one, got_two = await take(on_one, 20), await take(on_two, 20)
        assert [e.id for e in got_one] == [e.id for e in got_two] == ids
        assert [e.data for e in got_one] == [f"m{i}" for i in range(20)]

    run(scenario)


def test_a_new_channel_is_read_at_once(redis_server: RedisServer) -> None:
    """The reader blocks 5 s in XREAD; a new channel wakes it, so its first event is not 5 s late."""

    async def scenario() -> float:
        async with broadcast_on(redis_server) as one, broadcast_on(redis_server) as two:
            async with one.subscribe("room:warm") as warm:
                await two.publish("room:warm", "x")
                await take(warm, 1)
            async with one.subscribe("room:new") as events:
                start = time.monotonic()
                await two.publish("room:new", "first")
                await take(events, 1)
                return time.monotonic() - start

    assert run(scenario) < 2.0


def test_resume_from_last_event_id_exactly_once(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        async with broadcast_on(redis_server) as one, broadcast_on(redis_server) as two:
            async with one.subscribe("room:b") as first:
                ids = [await two.publish("room:b", f"m{i}") for i in range(6)]
                seen = await take(first, 3)
            # Away: three more are published; then resumed on the other process.
            ids += [await one.publish("room:b", f"m{i}") for i in range(6, 9)]
            async with two.subscribe("room:b", last_event_id=seen[-1].id) as resumed:
                ids.append(await one.publish("room:b", "m9"))
                rest = await take(resumed, 7)
        assert [e.id for e in seen + rest] == ids
        assert [e.data for e in rest] == [f"m{i}" for i in range(3, 10)]

    run(scenario)


def test_streams_are_trimmed_to_about_the_retention(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        async with broadcast_on(redis_server, retention=10) as one:
            for i in range(600):
                await one.publish("room:trim", str(i))

    run(scenario)
    reply = command(redis_server.port, "XLEN", "ferroapi:broadcast:room:trim")
    assert reply.startswith(b":"), reply
    # MAXLEN ~ trims whole macro nodes (100 entries by default): about the retention, never all 600.
    assert 10 <= int(reply[1:]) <= 200


def test_slow_subscriber_ends_and_catches_up(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        async with broadcast_on(redis_server, buffer=3) as one:
            async with one.subscribe("room:slow") as slow:
                ids = [await one.publish("room:slow", f"m{i}") for i in range(10)]
                got = await take(slow, 3)
                # The reader delivers asynchronously: wait until it has overflowed the buffer.
                with pytest.raises(SubscriberTooSlow) as caught:
                    await take(slow, 10)
            assert caught.value.last_event_id == got[-1].id == ids[2]
            async with one.subscribe("room:slow", last_event_id=caught.value.last_event_id) as again:
                rest = await take(again, 7)
        assert [e.id for e in rest] == ids[3:]

    run(scenario)


def test_redis_outage_publish_fails_fast_and_subscribers_resume(
    private_redis: Callable[[], RedisServer],
) -> None:
    server = private_redis()

    async def scenario() -> None:
        async with (
            broadcast_on(server) as one,
            broadcast_on(server) as two,
            one.subscribe("room:o") as events,
        ):
            before = [await two.publish("room:o", f"b{i}") for i in range(3)]
            assert [e.id for e in await take(events, 3)] == before
            await asyncio.to_thread(server.stop)
            start = time.monotonic()
            with pytest.raises(BroadcastUnavailable) as caught:
                await two.publish("room:o", "lost")
            assert time.monotonic() - start < 3.0
            assert caught.value.status_code == 503
            # A new subscription cannot open while Redis is down: a clear error, no hang. Neither can
            # one that needs a replay; one joining a channel already read here needs no Redis.
            with pytest.raises(BroadcastUnavailable):
                async with one.subscribe("room:other"):
                    pass  # pragma: no cover
            with pytest.raises(BroadcastUnavailable):
                async with one.subscribe("room:o", last_event_id=before[0]):
                    pass  # pragma: no cover
            async with one.subscribe("room:o") as joined:
                await asyncio.to_thread(server.restart)
                after = [await publish_when_back(two, "room:o", f"a{i}") for i in range(3)]
                got = await take(events, 3)
                assert [e.id for e in await take(joined, 3)] == after
        assert [e.id for e in got] == after
        assert [e.data for e in got] == ["a0", "a1", "a2"]

    run(scenario, timeout=30)


def test_connect_to_an_absent_redis_is_a_clear_error(private_redis: Callable[[], RedisServer]) -> None:
    server = private_redis()
    server.stop()

    async def scenario() -> None:
        with pytest.raises(BroadcastUnavailable):
            await broadcast_on(server).connect()

    run(scenario)


async def publish_when_back(broadcast: Broadcast, channel: str, data: str, timeout: float = 10) -> str:
    """Publish, retrying while Redis is still coming back (the first commands may fail)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await broadcast.publish(channel, data)
        except BroadcastUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def test_a_broadcast_reconnects_after_disconnect(redis_server: RedisServer) -> None:
    async def scenario() -> list[str]:
        broadcast = broadcast_on(redis_server)
        got: list[str] = []
        for round_ in range(2):
            async with broadcast, broadcast.subscribe("room:again") as events:
                await broadcast.publish("room:again", f"round {round_}")
                got += [e.data for e in await take(events, 1)]
        return got

    assert run(scenario) == ["round 0", "round 1"]


def test_the_reader_survives_an_unexpected_error(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An error that is not Redis' (here: in the fanout, once) is logged and the reader reads on
    from its last ids; it does not end, leaving the subscribers waiting for good."""

    async def scenario() -> list[str]:
        async with broadcast_on(redis_server) as one, one.subscribe("room:bug") as events:
            dispatch = one._fanout.dispatch
            failures = [RuntimeError("a bug")]

            def failing_once(channel: str, batch: list[Event]) -> None:
                if failures:
                    raise failures.pop()
                dispatch(channel, batch)

            monkeypatch.setattr(one._fanout, "dispatch", failing_once)
            await one.publish("room:bug", "m0")
            await one.publish("room:bug", "m1")
            return [e.data for e in await take(events, 2)]

    assert run(scenario) == ["m0", "m1"]
    assert "the reader failed" in caplog.text
