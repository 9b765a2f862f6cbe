"""The app `make soak` serves: ferroapi's public API only, every lane the soak drives.

Served by uvicorn (`uvicorn app:app --app-dir benches/soak`, one worker). Each endpoint counts what it
opened and closed in `STATS`, and `GET /_soak/stats` (this app's internal endpoint, nothing in ferroapi)
reports those counts with the number of live asyncio tasks, threads and tracked objects, so the soak
driver can check that everything a request opened (yield dependencies, streams, websocket sessions,
background tasks) was closed again once the load stops.

Routes:
- `POST /items` JSON -> `ItemOut` (response_model), a yield dependency, an async background task; the
  route's body limit is 64 KiB (`max_body_size=`), the app's 2 MiB.
- `POST /items/bulk` a `list[ItemIn]` of ~100 KB (over the 64 KiB GC-pause threshold), 256 KiB limit.
- `GET /items/{item_id}` 200, or `HTTPException(404)` for an unknown id.
- `GET /fail/{code}` raises `HTTPException(code)` (4xx) after the yield dependency opened.
- `GET /private` a dependency that raises `HTTPException(401)` without the `x-token` header.
- `POST /form` urlencoded/multipart fields, a sync background task.
- `POST /upload` multipart: a field and an `UploadFile` (its SHA-256 returned).
- `GET /stream/jsonl`, `/stream/jsonl-sync` JSON Lines (async/sync generators), `GET /stream/sse` SSE;
  `n=0` streams until the client goes away.
- `WS /ws/echo?token=...` echoes text and bytes; a required query parameter, a header and a yield
  dependency; no token: the handshake is refused (403).

`SOAK_FAULT` (comma-separated; tests/e2e/test_soak.py) plants the faults the soak must catch: `5xx`
(every 20th POST /items raises), `task-leak` (POST /items starts a task that never ends), `fd-leak`
(POST /upload opens /dev/null and keeps it), `memory-leak` (POST /items keeps 512 KiB), `hang`
(GET /items/2 never answers).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio
from pydantic import BaseModel, Field

from ferroapi import (
    BackgroundTasks,
    Depends,
    FerroAPI,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from ferroapi.sse import EventSourceResponse, ServerSentEvent

APP_MAX_BODY_SIZE = 2 * 1024 * 1024
ITEMS_MAX_BODY_SIZE = 64 * 1024
BULK_MAX_BODY_SIZE = 256 * 1024


class Stats:
    """Counters of what the endpoints opened and closed (one event loop; sync code holds the lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + n

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)


STATS = Stats()
FAULTS = frozenset(filter(None, os.environ.get("SOAK_FAULT", "").split(",")))
_planted: list[Any] = []  # what the planted leaks keep alive

app = FerroAPI(title="ferroapi soak", version="1", max_body_size=APP_MAX_BODY_SIZE)


# -- dependencies ---------------------------------------------------------------------------------------


async def session(x_soak_client: Annotated[str | None, Header()] = None) -> AsyncIterator[dict[str, Any]]:
    """A yield dependency: 'opens' a resource and always closes it, whatever the request did."""
    STATS.add("deps_opened")
    try:
        yield {"client": x_soak_client, "opened": time.monotonic()}
    finally:
        STATS.add("deps_closed")


def require_token(x_token: Annotated[str | None, Header()] = None) -> str:
    if x_token != "soak":
        raise HTTPException(status_code=401, detail="bad token", headers={"WWW-Authenticate": "Token"})
    return x_token


Session = Annotated[dict[str, Any], Depends(session)]


# -- JSON ---------------------------------------------------------------------------------------------


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    price: float = Field(gt=0, allow_inf_nan=False)
    quantity: int = Field(ge=0, le=1_000_000)
    tags: list[str] = Field(default_factory=list, max_length=50)


class ItemOut(ItemIn):
    id: int
    total: float


class BulkOut(BaseModel):
    count: int
    total: float


_known: dict[int, ItemOut] = {}
_next_id = 0


async def record_item(item_id: int) -> None:
    await anyio.sleep(0)
    STATS.add("bg_done")


@app.post("/items", response_model=ItemOut, status_code=201, max_body_size=ITEMS_MAX_BODY_SIZE)
async def create_item(item: ItemIn, db: Session, background: BackgroundTasks) -> Any:
    global _next_id
    _next_id += 1
    if FAULTS:
        plant_item_faults(_next_id)
    out = ItemOut(id=_next_id, total=item.price * item.quantity, **item.model_dump())
    if _next_id <= 1000:  # a bounded store: the ids the soak reads back
        _known[out.id] = out
    STATS.add("bg_scheduled")
    background.add_task(record_item, out.id)
    return out


def plant_item_faults(n: int) -> None:
    if "5xx" in FAULTS and n % 20 == 0:
        raise RuntimeError("planted fault: 5xx")
    if "task-leak" in FAULTS:
        _planted.append(asyncio.ensure_future(asyncio.sleep(3600)))
    if "memory-leak" in FAULTS:
        _planted.append(bytearray(512 * 1024))


@app.post("/items/bulk", response_model=BulkOut, max_body_size=BULK_MAX_BODY_SIZE)
async def create_bulk(items: list[ItemIn], db: Session) -> Any:
    return BulkOut(count=len(items), total=sum(i.price * i.quantity for i in items))


@app.get("/items/{item_id}", response_model=ItemOut)
async def read_item(item_id: int, db: Session) -> Any:
    if "hang" in FAULTS and item_id == 2:
        await anyio.sleep(3600)
    item = _known.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    return item


@app.get("/fail/{code}")
async def fail(code: Annotated[int, Path(ge=400, le=499)], db: Session) -> dict[str, str]:
    raise HTTPException(status_code=code, detail={"code": code, "why": "asked to"})


@app.get("/private")
async def private(token: Annotated[str, Depends(require_token)], db: Session) -> dict[str, str]:
    return {"token": token}


# -- forms and uploads ---------------------------------------------------------------------------------


class FormOut(BaseModel):
    name: str
    quantity: int
    note: str | None = None


def record_form(name: str) -> None:  # sync: runs in a worker thread
    STATS.add("bg_done")


@app.post("/form", response_model=FormOut)
async def post_form(
    name: Annotated[str, Form(min_length=1)],
    quantity: Annotated[int, Form(ge=0)],
    db: Session,
    background: BackgroundTasks,
    note: Annotated[str | None, Form()] = None,
) -> Any:
    STATS.add("bg_scheduled")
    background.add_task(record_form, name)
    return FormOut(name=name, quantity=quantity, note=note)


@app.post("/upload")
async def upload(
    description: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
    db: Session,
) -> dict[str, Any]:
    STATS.add("uploads")
    if "fd-leak" in FAULTS:
        _planted.append(os.open(os.devnull, os.O_RDONLY))
    digest = hashlib.sha256()
    size = 0
    while chunk := await file.read(64 * 1024):
        digest.update(chunk)
        size += len(chunk)
    return {"description": description, "filename": file.filename, "size": size, "sha256": digest.hexdigest()}


# -- streams ---------------------------------------------------------------------------------------------


class Tick(BaseModel):
    n: int
    payload: str


@app.get("/stream/jsonl")
async def stream_jsonl(db: Session, n: int = 20, delay: float = 0.0) -> AsyncIterator[Tick]:
    STATS.add("streams_opened")
    try:
        i = 0
        while n == 0 or i < n:
            yield Tick(n=i, payload="j" * 64)
            i += 1
            await anyio.sleep(delay)
    finally:
        STATS.add("streams_closed")


@app.get("/stream/jsonl-sync")
def stream_jsonl_sync(db: Session, n: int = 20, delay: float = 0.0) -> Iterator[Tick]:
    STATS.add("streams_opened")
    try:
        i = 0
        while n == 0 or i < n:
            yield Tick(n=i, payload="s" * 64)
            i += 1
            time.sleep(delay)
    finally:
        STATS.add("streams_closed")


@app.get("/stream/sse", response_class=EventSourceResponse)
async def stream_sse(db: Session, n: int = 20, delay: float = 0.0) -> AsyncIterator[ServerSentEvent]:
    STATS.add("streams_opened")
    try:
        i = 0
        while n == 0 or i < n:
            yield ServerSentEvent(data=Tick(n=i, payload="e" * 64), id=str(i), event="tick")
            i += 1
            await anyio.sleep(delay)
    finally:
        STATS.add("streams_closed")


# -- websocket --------------------------------------------------------------------------------------------


async def ws_session(websocket: WebSocket) -> AsyncIterator[str]:
    STATS.add("ws_deps_opened")
    try:
        yield websocket.url.path
    finally:
        STATS.add("ws_deps_closed")


@app.websocket("/ws/echo")
async def ws_echo(
    websocket: WebSocket,
    token: Annotated[str, Query(min_length=1)],
    path: Annotated[str, Depends(ws_session)],
    user_agent: Annotated[str | None, Header()] = None,
) -> None:
    STATS.add("ws_opened")
    try:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            elif message.get("bytes") is not None:
                await websocket.send_bytes(message["bytes"])
    except WebSocketDisconnect:
        pass
    finally:
        STATS.add("ws_closed")


# -- the soak's own endpoints --------------------------------------------------------------------------


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/_soak/stats", include_in_schema=False)
async def soak_stats(collect: bool = False) -> dict[str, Any]:
    """Live counts for the driver; `collect=true` runs a full GC first (the final sample)."""
    if collect:
        gc.collect()
    counts = STATS.snapshot()
    return {
        # this request's own task is one of them (as in every sample, the baseline included)
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "gc_objects": len(gc.get_objects()),
        "gc_enabled": gc.isenabled(),
        "counts": counts,
        "open": {
            "deps": counts.get("deps_opened", 0) - counts.get("deps_closed", 0),
            "streams": counts.get("streams_opened", 0) - counts.get("streams_closed", 0),
            "ws": counts.get("ws_opened", 0) - counts.get("ws_closed", 0),
            "ws_deps": counts.get("ws_deps_opened", 0) - counts.get("ws_deps_closed", 0),
            "bg": counts.get("bg_scheduled", 0) - counts.get("bg_done", 0),
        },
    }
