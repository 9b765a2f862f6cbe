"""The app each test worker (a `python -m uvicorn` process) serves: a broadcast over the Redis named
by FERROAPI_TEST_REDIS_URL, published by POST, read as SSE or from a websocket room."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from ferroapi import Body, FastAPI, WebSocket
from ferroapi.broadcast import Broadcast, LastEventID, join_room, sse_events
from ferroapi.sse import EventSourceResponse, ServerSentEvent

broadcast = Broadcast(
    os.environ["FERROAPI_TEST_REDIS_URL"],
    timeout=float(os.environ.get("FERROAPI_TEST_REDIS_TIMEOUT", "1.0")),
    reconnect_backoff=(0.05, 0.5),
    retention=int(os.environ.get("FERROAPI_TEST_RETENTION", "1000")),
    buffer=int(os.environ.get("FERROAPI_TEST_BUFFER", "256")),
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with broadcast:
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, int]:
    return {"pid": os.getpid()}


@app.post("/publish/{room}")
async def publish(room: str, data: Annotated[str, Body(embed=True)]) -> dict[str, str]:
    return {"id": await broadcast.publish(room, data)}


@app.get("/events/{room}", response_class=EventSourceResponse)
async def events(room: str, last_event_id: LastEventID = None) -> AsyncIterator[ServerSentEvent]:
    async for event in sse_events(broadcast, room, last_event_id, retry=200):
        yield event


class QuickKeepalive(EventSourceResponse):
    keepalive_interval = 0.2


@app.get("/events-keepalive/{room}", response_class=QuickKeepalive)
async def events_keepalive(room: str, last_event_id: LastEventID = None) -> AsyncIterator[ServerSentEvent]:
    async for event in sse_events(broadcast, room, last_event_id, retry=200):
        yield event


@app.websocket("/ws/{room}")
async def room_ws(websocket: WebSocket, room: str, last_event_id: str | None = None) -> None:
    await websocket.accept()
    await join_room(broadcast, websocket, room, last_event_id=last_event_id)
