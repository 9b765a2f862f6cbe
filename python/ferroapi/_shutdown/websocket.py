"""A websocket route's connection, closed with 1001 (going away) when its app drains.

`going_away(websocket, endpoint)` wraps the connection's session (`_pipeline.websocket.websocket_session`)
and gives the endpoint to run in it. When the drain begins, a task of the connection's loop:

1. waits for the handshake's outcome if the endpoint has not answered it yet (a connection accepted
   during the drain is closed right after `accept`);
2. sends the close frame, code 1001: the client learns that the server is going away (and may
   reconnect to another one), not that something failed (uvicorn's own shutdown closes with 1012,
   granian's drops the connection);
3. from then on the endpoint sees what a client leaving makes it see: `receive()` brings the
   disconnect once the client answered the close, and a send raises `WebSocketDisconnect(1001)`;
4. an endpoint still running `CLOSE_GRACE` seconds later (it awaits something else than the
   client) is cancelled, so the server is not left waiting for it. Either way the endpoint's
   dependencies with yield are torn down once, after it ends, as after a client left: the grace
   bounds the endpoint, never that teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ferroapi._shutdown.loops import spawn
from ferroapi._shutdown.registry import drain_of
from ferroapi.logger import logger

__all__ = ["CLOSE_GRACE", "GOING_AWAY", "Endpoint", "going_away"]

GOING_AWAY = 1001
CLOSE_REASON = "server shutting down"
CLOSE_GRACE = 2.0  # seconds an endpoint has to end on its own once the close was sent
_HANDSHAKE_POLL = 0.005


Endpoint = Callable[[WebSocket], Awaitable[None]]


@asynccontextmanager
async def going_away(websocket: WebSocket, endpoint: Endpoint) -> AsyncIterator[Endpoint]:
    """`async with going_away(websocket, endpoint) as run:` the session, calling `run(websocket)`:
    the connection is part of its app's drain for the whole block, and `run` tells when the
    endpoint ended (the block goes on with the teardown)."""
    ended = anyio.Event()

    async def run(websocket: WebSocket) -> None:
        try:
            await endpoint(websocket)
        finally:
            ended.set()

    def on_drain() -> None:
        spawn(partial(_close, websocket, ended, cancel))

    # Cancelled by the drain when the endpoint outlives the grace: it ended, as a client leaving ends it.
    with anyio.CancelScope() as cancel, drain_of(websocket.scope).joined(on_drain):
        try:
            yield run
        finally:
            ended.set()  # (the session may end before the endpoint runs)


async def _close(websocket: WebSocket, ended: anyio.Event, cancel: anyio.CancelScope) -> None:
    try:
        await _close_going_away(websocket, ended)
        with anyio.move_on_after(CLOSE_GRACE):
            await ended.wait()
    except Exception:  # a task nobody awaits: logged, never raised into the loop
        logger.exception("Closing a websocket for the drain failed")
    if not ended.is_set():
        cancel.cancel()


async def _close_going_away(websocket: WebSocket, ended: anyio.Event) -> None:
    with anyio.move_on_after(CLOSE_GRACE):
        while websocket.application_state is WebSocketState.CONNECTING:
            if ended.is_set():
                return
            await anyio.sleep(_HANDSHAKE_POLL)
    if (
        websocket.application_state is not WebSocketState.CONNECTED
        or websocket.client_state is WebSocketState.DISCONNECTED
    ):
        return  # refused, answered with a response, closed already, client gone: nothing to say
    send = websocket._send
    websocket._send = _gone  # the endpoint's sends from now on: as after a client left
    try:
        await send({"type": "websocket.close", "code": GOING_AWAY, "reason": CLOSE_REASON})
    except Exception as exc:  # the connection went first (the client, or the server's own shutdown)
        logger.debug("A drained websocket was gone before its close: %r", exc)


async def _gone(message: Message) -> Any:
    if message["type"] == "websocket.close":
        return None  # closed already (by the drain): the endpoint's own close has nothing to do
    raise WebSocketDisconnect(GOING_AWAY, CLOSE_REASON)
