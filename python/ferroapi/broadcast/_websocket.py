"""A websocket in a room: the channel's events go to the client, the client's messages are published.

    @app.websocket("/rooms/{room}/ws")
    async def room_ws(websocket: WebSocket, room: str):
        await websocket.accept()
        await join_room(broadcast, websocket, room)

Each event is sent as a JSON text message `{"id": ..., "channel": ..., "data": ...}`; each text
message the client sends is published on the channel as is (unless `publish_messages=False`). The
helper returns when either side ends, closing the websocket with a code that says why:

| why | close code |
|---|---|
| the client disconnected | (none: it is gone) |
| the broadcast disconnected (app shutdown) | 1001, going away |
| the subscriber fell behind, or the backend is unreachable | 1013, try again later (rejoin) |
| `last_event_id` is malformed | 1008, policy violation |
| the client sent a binary message | 1003, unsupported data |
"""

from __future__ import annotations

import contextlib
import json

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ferroapi.broadcast._broadcast import Broadcast, Subscription
from ferroapi.broadcast._errors import BroadcastUnavailable, InvalidEventId, SubscriberTooSlow
from ferroapi.status import (
    WS_1001_GOING_AWAY,
    WS_1003_UNSUPPORTED_DATA,
    WS_1008_POLICY_VIOLATION,
    WS_1013_TRY_AGAIN_LATER,
)

__all__ = ["join_room"]

# A close handshake with a client that stopped reading is not waited on for longer than this.
_CLOSE_TIMEOUT = 5.0


async def join_room(
    broadcast: Broadcast,
    websocket: WebSocket,
    channel: str,
    *,
    last_event_id: str | None = None,
    publish_messages: bool = True,
) -> None:
    """Forward `channel` to the (accepted) websocket and publish its text messages, until either ends."""
    try:
        async with broadcast.subscribe(channel, last_event_id) as events:
            await _relay(broadcast, websocket, events, publish_messages)
    except InvalidEventId:
        await _close(websocket, WS_1008_POLICY_VIOLATION, "malformed last_event_id")
    except BroadcastUnavailable:
        await _close(websocket, WS_1013_TRY_AGAIN_LATER, "broadcast unavailable")


async def _relay(broadcast: Broadcast, websocket: WebSocket, events: Subscription, publish: bool) -> None:
    # Neither side lets an exception out of the task group: each ends the other by cancelling it.
    async with anyio.create_task_group() as tasks:

        async def forward() -> None:
            code = WS_1001_GOING_AWAY
            try:
                async for event in events:
                    message = {"id": event.id, "channel": event.channel, "data": event.data}
                    await websocket.send_text(json.dumps(message))
            except SubscriberTooSlow:
                code = WS_1013_TRY_AGAIN_LATER
            except (WebSocketDisconnect, OSError, RuntimeError):
                pass  # the client went away while we sent: nothing left to close
            tasks.cancel_scope.cancel()
            await _close(websocket, code)

        tasks.start_soon(forward)
        code: tuple[int, str] | None = None
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    code = (WS_1003_UNSUPPORTED_DATA, "text messages only")
                    break
                if publish:
                    await broadcast.publish(events.channel, text)
        except BroadcastUnavailable:
            code = (WS_1013_TRY_AGAIN_LATER, "broadcast unavailable")
        except (WebSocketDisconnect, RuntimeError):
            pass  # disconnected (starlette raises RuntimeError for a receive after the disconnect)
        tasks.cancel_scope.cancel()
        if code is not None:
            await _close(websocket, *code)


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    # Shielded: a close must be sent even when the relay was cancelled; suppressed: the client may
    # have closed first.
    with (
        anyio.CancelScope(shield=True),
        anyio.move_on_after(_CLOSE_TIMEOUT),
        contextlib.suppress(RuntimeError, OSError),
    ):
        await websocket.close(code, reason)
