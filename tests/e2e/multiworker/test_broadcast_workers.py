"""Two uvicorn worker processes sharing one redis-server (issue #17): an event published through
either reaches the SSE and websocket clients of both; a client that drops and reconnects (to the
other worker) with `Last-Event-ID` gets every event exactly once; a Redis restart mid-stream is
survived as docs/broadcast.md says (publish is a 503 meanwhile, streams wait and resume).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
import pytest
import websockets

from .redis_server import RedisServer
from .workers import Worker

T = TypeVar("T")
READ_TIMEOUT = 10.0
EXIT_TIMEOUT = 15.0


def run(scenario: Callable[[], Coroutine[Any, Any, T]], timeout: float = 40) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), timeout)

    return asyncio.run(bounded())


class SSEStream:
    """The events of one open SSE response, as dicts of their fields (comments skipped)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()

    async def next(self) -> dict[str, str] | None:
        """The next event; None when the stream ended."""
        fields: dict[str, str] = {}
        async for line in self.lines:
            if not line:
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        return fields or None

    async def comment(self) -> str:
        """The next comment line (a keepalive), skipping events."""

        async def read() -> str:
            async for line in self.lines:
                if line.startswith(":"):
                    return line
            raise AssertionError("the stream ended without a comment")

        return await asyncio.wait_for(read(), READ_TIMEOUT)

    async def take(self, n: int) -> list[dict[str, str]]:
        async def read() -> list[dict[str, str]]:
            events: list[dict[str, str]] = []
            while len(events) < n:
                event = await self.next()
                assert event is not None, f"the stream ended after {events}"
                events.append(event)
            return events

        return await asyncio.wait_for(read(), READ_TIMEOUT)


@asynccontextmanager
async def sse(
    client: httpx.AsyncClient, worker: Worker, room: str, last_id: str, route: str = "events"
) -> AsyncIterator[SSEStream]:
    headers = {"Last-Event-ID": last_id}
    async with client.stream("GET", f"{worker.url}/{route}/{room}", headers=headers) as response:
        assert response.status_code == 200
        yield SSEStream(response)


@asynccontextmanager
async def room_socket(worker: Worker, room: str, last_id: str) -> AsyncIterator[Any]:
    url = f"ws://127.0.0.1:{worker.port}/ws/{room}?last_event_id={last_id}"
    async with websockets.connect(url, open_timeout=5, close_timeout=2) as ws:
        yield ws


async def ws_take(ws: Any, n: int) -> list[dict[str, str]]:
    async def read() -> list[dict[str, str]]:
        return [json.loads(await ws.recv()) for _ in range(n)]

    return await asyncio.wait_for(read(), READ_TIMEOUT)


async def publish(client: httpx.AsyncClient, worker: Worker, room: str, data: str) -> str:
    response = await client.post(f"{worker.url}/publish/{room}", json={"data": data})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_an_event_published_through_one_worker_reaches_clients_of_both(
    redis_server: RedisServer, workers: Callable[..., Worker]
) -> None:
    a, b = workers(redis_server.url), workers(redis_server.url)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=READ_TIMEOUT) as client:
            assert (await client.get(f"{a.url}/health")).json() != (
                await client.get(f"{b.url}/health")
            ).json()
            # Clients resume from a marker: whenever each one subscribes, it misses nothing after it.
            marker = await publish(client, a, "fan", "marker")
            async with (
                sse(client, a, "fan", marker) as sse_a,
                sse(client, b, "fan", marker) as sse_b,
                room_socket(a, "fan", marker) as ws_a,
                room_socket(b, "fan", marker) as ws_b,
            ):
                ids = [await publish(client, (a, b)[i % 2], "fan", f"m{i}") for i in range(10)]
                # A message a websocket client sends is published to the room too (and to itself).
                await ws_b.send("from ws")
                for stream in (sse_a, sse_b):
                    got = await stream.take(11)
                    assert [e["id"] for e in got[:10]] == ids
                    assert [e["data"] for e in got] == [*(f"m{i}" for i in range(10)), "from ws"]
                for ws in (ws_a, ws_b):
                    got_ws = await ws_take(ws, 11)
                    assert [e["id"] for e in got_ws[:10]] == ids
                    assert got_ws[-1]["data"] == "from ws" and got_ws[-1]["channel"] == "fan"

    run(scenario)


def test_a_reconnecting_sse_client_gets_every_event_exactly_once(
    redis_server: RedisServer, workers: Callable[..., Worker]
) -> None:
    a, b = workers(redis_server.url), workers(redis_server.url)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=READ_TIMEOUT) as client:
            marker = await publish(client, a, "resume", "marker")
            published: list[str] = []
            received: list[str] = []
            last = marker
            # Three connections, alternating workers, each dropped after reading part of the stream
            # while events keep being published; the last reads to the end.
            for round_, (worker, publisher) in enumerate([(a, b), (b, a), (a, a)]):
                async with sse(client, worker, "resume", last) as stream:
                    published += [
                        await publish(client, publisher, "resume", f"r{round_}.{i}") for i in range(5)
                    ]
                    wanted = len(published) - len(received) - (2 if round_ < 2 else 0)
                    got = await stream.take(wanted)
                received += [e["id"] for e in got]
                last = received[-1]
                # Published while no connection is open.
                published += [await publish(client, publisher, "resume", f"away{round_}")]
            async with sse(client, b, "resume", last) as stream:
                got = await stream.take(len(published) - len(received))
            received += [e["id"] for e in got]
        assert received == published
        assert len(set(received)) == len(received)

    run(scenario)


def test_malformed_last_event_id_is_a_422_on_a_worker(
    redis_server: RedisServer, workers: Callable[..., Worker]
) -> None:
    a = workers(redis_server.url)
    for bad in ("abc", "1-2-3", "9" * 25 + "-0"):
        response = httpx.get(f"{a.url}/events/r", headers={"Last-Event-ID": bad}, timeout=5)
        assert response.status_code == 422, response.text


@pytest.mark.timeout(90)
def test_redis_restart_mid_stream_is_survived(
    private_redis: Callable[[], RedisServer], workers: Callable[..., Worker]
) -> None:
    server = private_redis()
    env = {"FERROAPI_TEST_REDIS_TIMEOUT": "0.5"}
    a, b = workers(server.url, **env), workers(server.url, **env)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=READ_TIMEOUT) as client:
            marker = await publish(client, a, "outage", "marker")
            async with (
                sse(client, a, "outage", marker) as sse_a,
                sse(client, b, "outage", marker) as sse_b,
                room_socket(b, "outage", marker) as ws_b,
            ):
                before = [await publish(client, b, "outage", f"b{i}") for i in range(3)]
                for stream in (sse_a, sse_b):
                    assert [e["id"] for e in await stream.take(3)] == before
                assert [e["id"] for e in await ws_take(ws_b, 3)] == before

                await asyncio.to_thread(server.stop)
                # Publishing is a clear, prompt error while Redis is away (nothing published).
                start = time.monotonic()
                response = await client.post(f"{a.url}/publish/outage", json={"data": "lost"})
                assert response.status_code == 503 and response.headers["retry-after"] == "1"
                assert time.monotonic() - start < 5
                # A stream on a channel this worker does not hold open cannot start while Redis is
                # away: it ends at once with a retry hint (the client comes back after it).
                async with sse(client, b, "elsewhere", before[-1]) as refused:
                    event = await asyncio.wait_for(refused.next(), READ_TIMEOUT)
                    assert event == {"retry": "200"}
                    assert await asyncio.wait_for(refused.next(), READ_TIMEOUT) is None
                # One on a channel the worker holds open joins it (no Redis needed) and waits, its
                # keepalive going on (every 0.2 s on this route).
                async with sse(client, b, "outage", before[-1], route="events-keepalive") as late:
                    assert await late.comment() == ": ping"
                    await asyncio.to_thread(server.restart)
                    after = [await publish_when_back(client, a, "outage", "a0")]
                    after += [await publish(client, (a, b)[i % 2], "outage", f"a{i}") for i in range(1, 4)]
                    # The open streams resume: every event after the restart, none twice, none lost.
                    for stream in (sse_a, sse_b, late):
                        got = await stream.take(4)
                        assert [e["id"] for e in got] == after
                        assert [e["data"] for e in got] == ["a0", "a1", "a2", "a3"]
                    assert [e["id"] for e in await ws_take(ws_b, 4)] == after

    run(scenario, timeout=80)


async def publish_when_back(client: httpx.AsyncClient, worker: Worker, room: str, data: str) -> str:
    deadline = time.monotonic() + 15
    while True:
        response = await client.post(f"{worker.url}/publish/{room}", json={"data": data})
        if response.status_code == 200:
            return str(response.json()["id"])
        assert response.status_code == 503, response.text
        assert time.monotonic() < deadline, "publishing did not recover after the Redis restart"
        await asyncio.sleep(0.05)


def test_a_worker_shut_down_mid_stream_loses_no_event(
    redis_server: RedisServer, workers: Callable[..., Worker]
) -> None:
    """Graceful drain and resumption together: SIGTERM to the worker serving a stream (uvicorn's own
    shutdown, ferroapi's drain in front of it) ends the stream with a `retry:` hint after what was
    already sent; the client reconnects to the other worker with its Last-Event-ID and gets every
    event published meanwhile, none twice."""
    a, b = workers(redis_server.url), workers(redis_server.url)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=READ_TIMEOUT) as client:
            marker = await publish(client, b, "drain", "marker")
            published = [await publish(client, b, "drain", f"before{i}") for i in range(3)]
            received: list[str] = []
            hints: list[str] = []
            process = a.process
            assert process is not None
            async with sse(client, a, "drain", marker) as stream:
                received += [e["id"] for e in await stream.take(3)]
                process.terminate()  # SIGTERM; the fixture kills it at teardown if it is still running
                # Bounded, and longer than the drain could need on a loaded machine.
                exited = asyncio.create_task(asyncio.to_thread(process.wait, EXIT_TIMEOUT))
                # Published through the other worker while this one drains.
                published += [await publish(client, b, "drain", f"during{i}") for i in range(5)]
                while (event := await asyncio.wait_for(stream.next(), READ_TIMEOUT)) is not None:
                    if "id" in event:
                        received.append(event["id"])
                    else:
                        hints.append(event.get("retry", ""))
                await exited
            # The worker drained and exited on its own: uvicorn re-raises the SIGTERM it handled once
            # shut down (-15). Without the drain it would wait for the stream forever (no graceful
            # timeout): `process.wait` would time out.
            assert process.returncode == -signal.SIGTERM
            assert len(hints) == 1 and hints[0].isdigit()
            async with sse(client, b, "drain", received[-1]) as stream:
                published += [await publish(client, b, "drain", f"after{i}") for i in range(2)]
                received += [e["id"] for e in await stream.take(len(published) - len(received))]
        assert received == published
        assert len(set(received)) == len(received)

    run(scenario)
