"""The app `test_shutdown_drain.py` serves in a real uvicorn process: SSE streams (async, fast async,
sync) and a websocket route, each with a yield dependency, writing what happens to a marks file
(`DRAIN_MARKS`) so the test can read it once the process has exited."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated

import anyio

from ferroapi import Depends, FerroAPI, WebSocket, WebSocketDisconnect
from ferroapi.sse import EventSourceResponse, ServerSentEvent

MARKS = Path(os.environ["DRAIN_MARKS"])


def mark(line: str) -> None:
    with MARKS.open("a", encoding="utf-8") as marks:  # one short append: whole lines
        marks.write(line + "\n")


app = FerroAPI(sse_drain_retry=int(os.environ.get("DRAIN_RETRY", "1000")))


def resource(name: str) -> object:
    async def dependency() -> AsyncIterator[None]:
        mark(f"{name} dep open")
        try:
            yield
        finally:
            mark(f"{name} dep closed")

    return dependency


@app.get("/ping")
async def ping() -> str:
    return "pong"


@app.get("/events", response_class=EventSourceResponse)
async def events(_: Annotated[None, Depends(resource("events"))]) -> AsyncIterator[ServerSentEvent]:
    """Five events, then nothing until the drain."""
    try:
        for n in range(5):
            yield ServerSentEvent(data={"n": n}, id=str(n))
        mark("events yielded 5")
        await anyio.sleep_forever()
    finally:
        mark("events generator closed")


@app.get("/burst", response_class=EventSourceResponse)
async def burst(_: Annotated[None, Depends(resource("burst"))]) -> AsyncIterator[int]:
    """Events as fast as the client takes them: the drain lands mid-flow."""
    n = -1
    try:
        while True:
            n += 1
            yield n
            await anyio.sleep(0.001)
    finally:
        mark(f"burst last {n}")


@app.get("/sync", response_class=EventSourceResponse)
def sync_events(_: Annotated[None, Depends(resource("sync"))]) -> Iterator[int]:
    """A sync generator (pulled in worker threads), yielding every 10 ms."""
    n = -1
    try:
        while True:
            n += 1
            yield n
            time.sleep(0.01)
    finally:
        mark(f"sync last {n}")


@app.websocket("/ws")
async def ws(websocket: WebSocket, _: Annotated[None, Depends(resource("ws"))]) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect as exc:
        mark(f"ws disconnect {exc.code}")
