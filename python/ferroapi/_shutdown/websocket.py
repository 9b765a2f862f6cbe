"""A websocket route's connection, closed with 1001 (going away) when its app drains.

`GoingAway(websocket)` wraps the endpoint's run (`_pipeline.websocket.websocket_session`). When the
drain begins, a task of the connection's loop:

1. waits for the handshake's outcome if the endpoint has not answered it yet (a connection accepted
   during the drain is closed right after `accept`);
2. sends the close frame, code 1001: the client learns that the server is going away (and may
   reconnect to another one), not that something failed (uvicorn's own shutdown closes with 1012,
   granian's drops the connection);
3. from then on the endpoint sees what a client leaving makes it see: `receive()` brings the
   disconnect once the client answered the close, and a send raises `WebSocketDisconnect(1001)`;
4. an endpoint still running `CLOSE_GRACE` seconds later (it awaits something else than the
   client) is cancelled, so the server is not left waiting for it. Either way the endpoint's
   dependencies with yield are torn down once, after it ends, as after a client left.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import anyio
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ferroapi._shutdown.loops import spawn
from ferroapi._shutdown.registry import Drain, Member, drain_of
from ferroapi.logger import logger

__all__ = ["CLOSE_GRACE", "GOING_AWAY", "GoingAway"]

GOING_AWAY = 1001
CLOSE_REASON = "server shutting down"
CLOSE_GRACE = 2.0  # seconds an endpoint has to end on its own once the close was sent
_HANDSHAKE_POLL = 0.005


class GoingAway:
    """`async with GoingAway(websocket): await endpoint(websocket)`."""

    __slots__ = ("_drain", "_ended", "_member", "_scope", "websocket")

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._scope = anyio.CancelScope()
        self._drain: Drain | None = None
        self._member: Member | None = None
        self._ended: anyio.Event | None = None

    async def __aenter__(self) -> None:
        self._ended = anyio.Event()
        self._scope.__enter__()
        self._drain = drain_of(self.websocket.scope)
        self._member = self._drain.join(self._on_drain)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if self._drain is not None and self._member is not None:
            self._drain.leave(self._member)
        if self._ended is not None:
            self._ended.set()
        # True when the drain cancelled the endpoint: it ended, as a client leaving ends it.
        return bool(self._scope.__exit__(kind, error, tb))

    def _on_drain(self) -> None:
        spawn(self._close)

    async def _close(self) -> None:
        try:
            await self._close_going_away()
            with anyio.move_on_after(CLOSE_GRACE):
                if self._ended is not None:
                    await self._ended.wait()
        except Exception:  # a task nobody awaits: logged, never raised into the loop
            logger.exception("Closing a websocket for the drain failed")
        self._scope.cancel()

    async def _close_going_away(self) -> None:
        websocket, ended = self.websocket, self._ended
        with anyio.move_on_after(CLOSE_GRACE):
            while websocket.application_state is WebSocketState.CONNECTING:
                if ended is None or ended.is_set():
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
