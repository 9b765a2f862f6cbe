"""An endless streaming endpoint stops, and its generator is closed, soon after the client leaves,
also under a server whose `send` does not raise once the connection is closed (issue #12).

Before ASGI spec 2.4 a stream learns of the disconnect from `receive()`; from 2.4 starlette only
relies on `send` raising `OSError`, and a server that says 2.4 without raising (uvicorn's `send`
returns silently after a disconnect; it says 2.3 today) left the generator spinning forever.

Checked under a raw ASGI harness whose `send` never raises (spec 2.4, 2.3 and none) and under a real
uvicorn server, as it is (2.3) and announcing 2.4. A generator still reading the request body while
it streams keeps the body (the watcher does not race it for body messages under 2.4).
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from ferroapi import FerroAPI
from ferroapi.responses import StreamingResponse
from ferroapi.sse import EventSourceResponse

TIMEOUT = 30.0


class Item(BaseModel):
    n: int


class Closed:
    """The names of the generators whose `finally` ran (appended from the server's thread)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.lock = threading.Lock()

    def add(self, name: str) -> None:
        with self.lock:
            self.names.append(name)

    def count(self, name: str) -> int:
        with self.lock:
            return self.names.count(name)


def build(closed: Closed) -> FerroAPI:
    app = FerroAPI()

    async def endless(name: str) -> AsyncIterator[str]:
        n = 0
        try:
            while True:
                yield f"{n}\n"
                n += 1
                await anyio.sleep(0)  # a checkpoint, but never a wait for the client
        finally:
            closed.add(name)

    def endless_sync(name: str) -> Iterator[str]:
        n = 0
        try:
            while True:
                yield f"{n}\n"
                n += 1
        finally:
            closed.add(name)

    @app.get("/returned")
    async def returned() -> StreamingResponse:
        return StreamingResponse(endless("returned"), media_type="text/plain")

    @app.get("/returned-sync")
    def returned_sync() -> StreamingResponse:
        return StreamingResponse(endless_sync("returned-sync"), media_type="text/plain")

    @app.get("/lane", response_class=StreamingResponse)
    async def lane() -> AsyncIterator[str]:
        async for chunk in endless("lane"):
            yield chunk

    @app.post("/jsonl")
    async def jsonl(item: Item) -> AsyncIterator[Item]:  # the body was read before streaming
        async for _ in endless("jsonl"):
            yield item

    @app.get("/sse", response_class=EventSourceResponse)
    async def sse() -> AsyncIterator[Item]:
        async for _ in endless("sse"):
            yield Item(n=1)

    @app.post("/echo")
    async def echo(request: Request) -> StreamingResponse:
        return StreamingResponse(request.stream(), media_type="application/octet-stream")

    return app


# (method, path, body): every way an endpoint streams.
STREAMS = [
    ("GET", "/returned", b""),
    ("GET", "/returned-sync", b""),
    ("GET", "/lane", b""),
    ("POST", "/jsonl", b'{"n": 1}'),
    ("GET", "/sse", b""),
]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


# --- a raw ASGI server whose send never raises ---------------------------------------------------


class SilentServer:
    """One request: the client reads `chunks` body messages and leaves. `send` never raises: after
    the disconnect it drops messages silently, as uvicorn's does."""

    def __init__(self, spec_version: str | None, body: bytes = b"", body_parts: int = 1, chunks: int = 20):
        self.spec_version = spec_version
        self.parts = _split(body, body_parts)
        self.chunks = chunks
        self.gone = anyio.Event()
        self.received: list[bytes] = []

    async def receive(self) -> dict[str, Any]:
        if self.parts:
            part = self.parts.pop(0)
            return {"type": "http.request", "body": part, "more_body": bool(self.parts)}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not self.gone.is_set():
            self.received.append(message["body"])
            if len(self.received) >= self.chunks or not message.get("more_body", False):
                self.gone.set()
        await anyio.sleep(0)

    def scope(self, method: str, path: str, body: bytes) -> Scope:
        asgi = {"version": "3.0"}
        if self.spec_version is not None:
            asgi["spec_version"] = self.spec_version
        headers = [(b"host", b"testserver")]
        if body:
            headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        return {
            "type": "http",
            "asgi": asgi,
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }

    async def request(self, app: Any, method: str, path: str, body: bytes = b"") -> None:
        with anyio.fail_after(TIMEOUT):  # a stream that never notices the disconnect never returns
            await app(self.scope(method, path, body), self.receive, self.send)


def _split(body: bytes, parts: int) -> list[bytes]:
    size = max(1, -(-len(body) // parts))
    return [body[i : i + size] for i in range(0, len(body), size)] or [b""]


@pytest.mark.parametrize("spec_version", ["2.4", "2.3", None])
@pytest.mark.parametrize(("method", "path", "body"), STREAMS)
def test_stream_ends_when_the_client_leaves_under_a_silent_send(
    spec_version: str | None, method: str, path: str, body: bytes
) -> None:
    closed = Closed()
    app = build(closed)
    name = path.strip("/")

    async def main() -> None:
        server = SilentServer(spec_version, body)
        await server.request(app, method, path, body)
        assert len(server.received) >= server.chunks  # it did stream before the client left
        with anyio.fail_after(TIMEOUT):
            while closed.count(name) == 0:
                await anyio.sleep(0.005)

    anyio.run(main)
    assert closed.count(name) == 1


def test_a_stream_reading_the_body_gets_all_of_it_under_2_4() -> None:
    """Under 2.4 nothing may take body messages from a generator that reads them while streaming.
    (Before 2.4 starlette's own watcher races such a generator for them: left as it is.)"""
    app = build(Closed())
    body = bytes(range(256)) * 64

    async def main() -> bytes:
        server = SilentServer("2.4", body, body_parts=8, chunks=10_000)
        await server.request(app, "POST", "/echo", body)
        return b"".join(server.received)

    assert anyio.run(main) == body


# --- a real uvicorn server -------------------------------------------------------------------------


def announcing_2_4(app: Any) -> Any:
    """The app as served by a uvicorn that says ASGI 2.4 (its send still returns silently)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = {**scope, "asgi": {**scope.get("asgi", {}), "spec_version": "2.4"}}
        await app(scope, receive, send)

    return wrapped


@pytest.mark.parametrize("announce_2_4", [False, True], ids=["uvicorn", "uvicorn-as-2.4"])
def test_stream_ends_when_the_client_leaves_a_real_server(serve: Any, announce_2_4: bool) -> None:
    closed = Closed()
    app = build(closed)
    base_url = serve(announcing_2_4(app) if announce_2_4 else app)
    with httpx.Client(timeout=TIMEOUT) as client:
        for method, path, body in STREAMS:
            headers = {"content-type": "application/json"} if body else {}
            with client.stream(method, f"{base_url}{path}", content=body, headers=headers) as response:
                assert response.status_code == 200
                lines = response.iter_lines()
                for _ in range(20):
                    next(lines)
            name = path.strip("/")

            def closed_once(name: str = name) -> bool:
                return closed.count(name) == 1

            wait_until(closed_once, f"{path}'s generator to be closed")
    assert sorted(closed.names) == sorted(path.strip("/") for _, path, _ in STREAMS)
