"""Per-route stream options (ferroapi only; FastAPI has neither): `sse_keepalive_interval` and
`stream_send_timeout` on a path operation win over the response class's and the app's settings, and an
included route keeps its own."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import anyio
import pytest
from _asgi import never_disconnects, scope

from ferroapi import APIRouter, FerroAPI
from ferroapi.routing import APIRoute
from ferroapi.sse import EventSourceResponse
from ferroapi.testclient import TestClient

pytestmark = pytest.mark.anyio


async def silent() -> AsyncIterator[int]:
    await anyio.sleep_forever()  # never yields: only keepalive comments are sent
    yield 0


class SlowPings(EventSourceResponse):
    keepalive_interval = 30.0


def build_app() -> FerroAPI:
    # App-level and class-level intervals far above the route's: only the route's can be seen.
    app = FerroAPI(sse_keepalive_interval=60.0)
    app.get("/route", response_class=EventSourceResponse, sse_keepalive_interval=0.05)(silent)
    app.get("/class", response_class=SlowPings, sse_keepalive_interval=0.05)(silent)
    router = APIRouter(prefix="/inner")
    router.get("/route", response_class=EventSourceResponse, sse_keepalive_interval=0.05)(silent)
    outer = APIRouter()
    outer.include_router(router)
    app.include_router(outer, prefix="/outer")
    return app


async def first_body(app: FerroAPI, path: str) -> tuple[bytes, float]:
    """The first body chunk the app sends for `path`, and how long it took."""
    chunks: list[bytes] = []
    start = time.perf_counter()
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:

            async def send(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.body" and message.get("body"):
                    chunks.append(message["body"])
                    tg.cancel_scope.cancel()

            tg.start_soon(app, scope(path), never_disconnects, send)
    return chunks[0], time.perf_counter() - start


@pytest.mark.parametrize("path", ["/route", "/class", "/outer/inner/route"])
async def test_the_route_keepalive_interval_wins(path: str) -> None:
    body, elapsed = await first_body(build_app(), path)
    assert body == b": ping\n\n"
    assert elapsed < 2.0  # the route's 0.05 s, not the class's 30 s or the app's 60 s


async def test_without_the_option_the_app_setting_applies() -> None:
    app = FerroAPI(sse_keepalive_interval=0.05)
    app.get("/plain", response_class=EventSourceResponse)(silent)
    body, elapsed = await first_body(app, "/plain")
    assert body == b": ping\n\n"
    assert elapsed < 2.0


def test_keepalive_between_events_over_the_test_client() -> None:
    app = FerroAPI()

    @app.get("/slow", response_class=EventSourceResponse, sse_keepalive_interval=0.02)
    async def slow() -> AsyncIterator[int]:
        yield 1
        await anyio.sleep(0.3)
        yield 2

    @app.get("/default", response_class=EventSourceResponse)
    async def default() -> AsyncIterator[int]:
        yield 1
        await anyio.sleep(0.1)
        yield 2

    with TestClient(app) as client:
        slow_body = client.get("/slow").text
        default_body = client.get("/default").text
    assert slow_body.startswith("data: 1\n\n: ping\n\n")
    assert slow_body.endswith(": ping\n\ndata: 2\n\n")
    assert default_body == "data: 1\n\ndata: 2\n\n"  # FastAPI's 15 s: no ping in 0.1 s


async def test_the_route_send_timeout_ends_a_stalled_stream() -> None:
    closed: list[str] = []
    app = FerroAPI(stream_send_timeout=600.0)  # the route's value must win over this one

    async def fast() -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.append("finally")

    router = APIRouter()
    router.get("/fast", stream_send_timeout=0.2)(fast)
    app.include_router(router, prefix="/r")

    async def stalled_send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            await anyio.sleep_forever()  # the client stopped reading

    with anyio.fail_after(10):
        await app(scope("/r/fast"), never_disconnects, stalled_send)
    assert closed == ["finally"]


def test_the_options_are_route_attributes_and_survive_inclusion() -> None:
    app = build_app()
    routes = {route.path: route for route in app.router.effective_routes() if isinstance(route, APIRoute)}
    assert routes["/route"].sse_keepalive_interval == 0.05
    assert routes["/route"].stream_send_timeout is None
    assert routes["/outer/inner/route"].sse_keepalive_interval == 0.05
