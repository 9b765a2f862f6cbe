"""The SIGTERM chain, in this process's main thread, driven through the ASGI lifespan as a server
drives it: once the startup completed, a signal begins the drain and reaches the server's own
handler only when the open websocket has ended; a second signal meanwhile reaches it at once (both,
in order); the server gets its handler back at the end of the lifespan. Handlers the server did
not install (the default ones) are left alone, and nothing is chained when the startup failed."""

import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from starlette.types import Message, Scope

from ferroapi import FerroAPI, WebSocket

WAIT = 10.0


class ServerHandler:
    """Stands for the server's SIGTERM handler (uvicorn's `handle_exit`), installed before the app's
    lifespan runs; records when it was called."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, float]] = []

    def __call__(self, signum: int, frame: Any) -> None:
        self.calls.append((signum, time.monotonic()))


@pytest.fixture
def server_handler() -> Iterator[ServerHandler]:
    handler = ServerHandler()
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield handler
    finally:
        signal.signal(signal.SIGTERM, previous)


class Lifespan:
    """The server's side of the ASGI lifespan of `app`, run in a task."""

    def __init__(self, app: FerroAPI) -> None:
        self.app = app
        self.to_app, self.from_server = anyio.create_memory_object_stream[Message](4)
        self.to_server, self.from_app = anyio.create_memory_object_stream[Message](4)

    async def run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        with self.from_server, self.to_server:
            await self.app(scope, self.from_server.receive, self.to_server.send)

    async def __aenter__(self) -> "Lifespan":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.to_app.close()
        self.from_app.close()

    async def send(self, kind: str) -> str:
        await self.to_app.send({"type": kind})
        message = await self.from_app.receive()
        return str(message["type"])


def build(ended: list[str]) -> FerroAPI:
    app = FerroAPI()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            await anyio.sleep_forever()  # deaf: ends only when the drain cancels it (after 2 s)
        finally:
            ended.append("ws")

    return app


async def open_websocket(app: FerroAPI, sent: list[dict[str, Any]]) -> None:
    connect: list[Message] = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        if not connect:
            await anyio.sleep_forever()
        return connect.pop()

    async def send(message: Message) -> None:
        sent.append(dict(message))

    scope: Scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "headers": [],
    }
    scope.update({"asgi": {"version": "3.0"}, "scheme": "ws", "root_path": "", "subprotocols": []})
    await app(scope, receive, send)


async def wait_for(condition: Any) -> None:
    with anyio.fail_after(WAIT):
        while not condition():
            await anyio.sleep(0.005)


@pytest.mark.timeout(30)
def test_signal_drains_then_reaches_the_server(server_handler: ServerHandler) -> None:
    ended: list[str] = []
    sent: list[dict[str, Any]] = []
    app = build(ended)

    async def main() -> None:
        lifespan = Lifespan(app)
        async with anyio.create_task_group() as tasks, lifespan:
            tasks.start_soon(lifespan.run)
            assert await lifespan.send("lifespan.startup") == "lifespan.startup.complete"
            assert signal.getsignal(signal.SIGTERM) is not server_handler  # the app's, in front
            tasks.start_soon(open_websocket, app, sent)
            await wait_for(lambda: sent and sent[0]["type"] == "websocket.accept")

            raised = time.monotonic()
            signal.raise_signal(signal.SIGTERM)
            await wait_for(lambda: len(sent) > 1)
            assert sent[1] == {"type": "websocket.close", "code": 1001, "reason": "server shutting down"}
            await wait_for(lambda: server_handler.calls)
            # Held back until the (deaf) websocket was cancelled, 2 s after its close.
            assert ended == ["ws"]
            assert server_handler.calls[0][0] == signal.SIGTERM
            assert server_handler.calls[0][1] - raised >= 1.5

            assert await lifespan.send("lifespan.shutdown") == "lifespan.shutdown.complete"
            assert signal.getsignal(signal.SIGTERM) is server_handler  # given back
            tasks.cancel_scope.cancel()

    anyio.run(main)


@pytest.mark.timeout(30)
def test_second_signal_reaches_the_server_at_once(server_handler: ServerHandler) -> None:
    ended: list[str] = []
    sent: list[dict[str, Any]] = []
    app = build(ended)

    async def main() -> None:
        lifespan = Lifespan(app)
        async with anyio.create_task_group() as tasks, lifespan:
            tasks.start_soon(lifespan.run)
            assert await lifespan.send("lifespan.startup") == "lifespan.startup.complete"
            tasks.start_soon(open_websocket, app, sent)
            await wait_for(lambda: sent and sent[0]["type"] == "websocket.accept")
            signal.raise_signal(signal.SIGTERM)
            await wait_for(lambda: len(sent) > 1)  # the drain is on, the websocket still open
            assert server_handler.calls == []
            signal.raise_signal(signal.SIGTERM)  # Ctrl+C twice
            await wait_for(lambda: len(server_handler.calls) == 2)
            assert ended == []  # both reached the server before the drain was over
            assert await lifespan.send("lifespan.shutdown") == "lifespan.shutdown.complete"
            tasks.cancel_scope.cancel()

    anyio.run(main)


def test_default_handlers_are_left_alone() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:

        async def main() -> None:
            lifespan = Lifespan(FerroAPI())
            async with anyio.create_task_group() as tasks, lifespan:
                tasks.start_soon(lifespan.run)
                assert await lifespan.send("lifespan.startup") == "lifespan.startup.complete"
                assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
                assert await lifespan.send("lifespan.shutdown") == "lifespan.shutdown.complete"

        anyio.run(main)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_nothing_chained_when_startup_fails(server_handler: ServerHandler) -> None:
    @asynccontextmanager
    async def failing(app: FerroAPI) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    async def main() -> None:
        lifespan = Lifespan(FerroAPI(lifespan=failing))
        async with anyio.create_task_group() as tasks, lifespan:
            tasks.start_soon(lifespan.run)
            assert await lifespan.send("lifespan.startup") == "lifespan.startup.failed"
            assert signal.getsignal(signal.SIGTERM) is server_handler

    with pytest.RaisesGroup(pytest.RaisesExc(RuntimeError, match="no database")):  # re-raised by the app
        anyio.run(main)
