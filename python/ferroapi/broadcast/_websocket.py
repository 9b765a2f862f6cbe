"""A websocket in a room: the channel's events go to the client, the client's messages are published.

    @app.websocket("/rooms/{room}/ws")
    async def room_ws(websocket: WebSocket, room: str):
        await websocket.accept()
        await join_room(broadcast, websocket, room)

Each event is sent as a JSON text message `{"id": ..., "channel": ..., "data": ...}`; each text
message the client sends is published on the channel as is. The helper returns when either side
ends: the client disconnects, the subscription falls behind (closed with 1013, "try again later":
the client may rejoin with the last id it got), or the broadcast disconnects (closed with 1001).
"""

from __future__ import annotations

import contextlib
import json

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ferroapi.broadcast._broadcast import Broadcast, Subscription
from ferroapi.broadcast._errors import SubscriberTooSlow

__all__ = ["join_room"]

_TRY_AGAIN_LATER = 1013
_GOING_AWAY = 1001


async def join_room(
    broadcast: Broadcast, websocket: WebSocket, channel: str, *, last_event_id: str | None = None
) -> None:
    """Forward `channel` to the (accepted) websocket and publish its text messages, until either ends."""
    async with broadcast.subscribe(channel, last_event_id) as events, anyio.create_task_group() as tasks:

        async def forward(events: Subscription) -> None:
            code = _GOING_AWAY
            try:
                async for event in events:
                    message = {"id": event.id, "channel": event.channel, "data": event.data}
                    await websocket.send_text(json.dumps(message))
            except SubscriberTooSlow:
                code = _TRY_AGAIN_LATER
            except (WebSocketDisconnect, OSError, RuntimeError):
                pass  # the client went away while we sent: nothing to close
            tasks.cancel_scope.cancel()
            if websocket.application_state == WebSocketState.CONNECTED:
                with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                    await _close(websocket, code)

        tasks.start_soon(forward, events)
        try:
            while True:
                await broadcast.publish(channel, await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        tasks.cancel_scope.cancel()


async def _close(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(RuntimeError, OSError):  # the client closed first
        await websocket.close(code)
