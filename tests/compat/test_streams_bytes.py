"""JSON Lines and SSE: the same endpoints under FastAPI and ferroapi give the same status, headers, bytes.

Covers item types (models, dicts, scalars, strings, dates, enums, non-finite floats, untyped), the
response_model_* options applied to items, status codes and headers set by the route or an injected
`Response`, background tasks, sync and async generators, every `ServerSentEvent` field, and the
partial body of a stream whose item fails validation or whose generator raises.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import Any

from _dual import Framework, Req
from pydantic import BaseModel, Field
from starlette.background import BackgroundTasks
from starlette.responses import Response


class Color(str, enum.Enum):
    red = "red"


class Item(BaseModel):
    id: int
    name: str = Field(serialization_alias="title")
    tags: list[str] = []
    price: float | None = None
    note: str | None = None


def items(n: int) -> list[Item]:
    return [Item(id=i, name=f'item {i} é\n"q"', tags=["a"] * (i % 3), price=i / 3) for i in range(n)]


HEADERS = ("content-type", "cache-control", "x-accel-buffering", "content-length", "x-extra", "set-cookie")


def app_jsonl(fw: Framework) -> Any:
    app = fw.App()
    done: list[str] = []

    @app.get("/models")
    async def models() -> AsyncIterator[Item]:
        for item in items(50):
            yield item

    @app.get("/dicts-validated")
    async def dicts() -> AsyncIterable[Item]:
        for item in items(5):
            yield item.model_dump()  # type: ignore[misc]  # a dict, validated into the declared Item

    @app.get("/sync-models")
    def sync_models() -> Iterator[Item]:
        yield from items(5)

    @app.get("/sync-iterable")
    def sync_iterable() -> Iterable[int]:
        yield from range(5)

    @app.get("/generator-annotations")
    async def generator_annotation() -> AsyncGenerator[Item, None]:
        yield items(1)[0]

    @app.get("/sync-generator-annotation")
    def sync_generator_annotation() -> Generator[str, None, None]:
        yield "plain \u2603 string"

    @app.get("/untyped")
    async def untyped():
        yield {"when": datetime.date(2024, 1, 2), "id": uuid.UUID(int=1), "color": Color.red}
        yield {"nan": float("nan"), "inf": [float("inf")], "nested": {"x": float("-inf")}}
        yield "text é"
        yield 1.5
        yield None
        yield items(1)[0]
        yield [1, (2, 3)]

    @app.get("/options", response_model_exclude_none=True, response_model_by_alias=False)
    async def options() -> AsyncIterator[Item]:
        yield Item(id=1, name="n")

    @app.get("/exclude", response_model_exclude={"tags"})
    async def exclude() -> AsyncIterator[Item]:
        yield items(3)[2]

    @app.get("/status", status_code=201)
    async def status() -> AsyncIterator[int]:
        yield 1

    @app.get("/sub-response")
    async def sub_response(response: Response) -> AsyncIterator[int]:
        response.status_code = 202
        response.headers["x-extra"] = "yes"
        response.set_cookie("k", "v")
        yield 1

    def set_status(response: Response) -> None:
        response.status_code = 202
        response.headers["x-extra"] = "from-dependency"

    @app.get("/dependency-response", dependencies=[fw.mod.Depends(set_status)])
    async def dependency_response() -> AsyncIterator[int]:
        yield 1

    @app.get("/background")
    async def background(tasks: BackgroundTasks) -> AsyncIterator[int]:
        tasks.add_task(done.append, "ran")
        yield 1

    @app.get("/done")
    async def ran() -> list[str]:
        return done

    @app.get("/empty")
    async def empty() -> AsyncIterator[int]:
        return
        yield  # pragma: no cover

    @app.get("/invalid-at-5000")
    async def invalid() -> AsyncIterator[Item]:
        for i in range(1, 5001):
            yield Item(id=i, name="x") if i < 5000 else {"id": "nope"}  # type: ignore[misc]

    @app.get("/raises")
    async def raises() -> AsyncIterator[int]:
        yield 1
        yield 2
        raise RuntimeError("boom")

    @app.get("/sync-raises")
    def sync_raises() -> Iterator[int]:
        yield 1
        raise RuntimeError("boom")

    @app.get("/sync-invalid-at-5000")
    def sync_invalid() -> Iterator[Item]:
        for i in range(1, 5001):  # several worker-thread jobs and batches before the failure
            yield Item(id=i, name="x") if i < 5000 else {"id": "nope"}  # type: ignore[misc]

    @app.get("/sync-many")
    def sync_many() -> Iterator[Item]:
        for i in range(3000):
            yield Item(id=i, name="y" * (i % 200))

    @app.get("/sync-untyped")
    def sync_untyped():
        yield {"inf": float("inf"), "d": datetime.date(2024, 1, 2)}
        yield "é"
        yield from range(600)

    return app


def test_jsonl_items(fw: Framework) -> None:
    paths = [
        "/models",
        "/dicts-validated",
        "/sync-models",
        "/sync-iterable",
        "/generator-annotations",
        "/sync-generator-annotation",
        "/sync-many",
        "/sync-untyped",
        "/untyped",
        "/options",
        "/exclude",
        "/empty",
    ]
    got = fw.compare(app_jsonl, paths, headers=HEADERS)
    assert got[0].headers["content-type"] == "application/jsonl"
    assert got[0].body.count(b"\n") == 50


def test_jsonl_status_headers_background(fw: Framework) -> None:
    paths = ["/status", "/sub-response", "/dependency-response", "/background", "/done"]
    got = fw.compare(app_jsonl, paths, headers=HEADERS)
    # The generator body runs after the response started: what it sets on `response` is too late.
    assert [g.status for g in got] == [201, 200, 202, 200, 200]
    assert got[2].headers["x-extra"] == "from-dependency"
    assert got[4].body == ["ran"]


def test_jsonl_failures_keep_the_items_before(fw: Framework) -> None:
    paths = ["/invalid-at-5000", "/raises", "/sync-raises", "/sync-invalid-at-5000"]
    got = fw.compare(app_jsonl, paths, headers=HEADERS)
    assert got[0].body.count(b"\n") == 4999
    assert got[1].body == b"1\n2\n"
    assert got[3].body.count(b"\n") == 4999


def app_sse(fw: Framework) -> Any:
    app = fw.App()
    sse = fw.import_("sse")
    Event = sse.ServerSentEvent

    @app.get("/models", response_class=sse.EventSourceResponse)
    async def models() -> AsyncIterator[Item]:
        for item in items(20):
            yield item

    @app.get("/sync", response_class=sse.EventSourceResponse)
    def sync() -> Iterator[Item]:
        yield from items(3)

    @app.get("/sync-many", response_class=sse.EventSourceResponse)
    def sync_many() -> Iterator[Any]:
        for i in range(1000):
            yield Event(data={"i": i}, id=str(i)) if i % 7 == 0 else items(1)[0]

    @app.get("/sync-invalid", response_class=sse.EventSourceResponse)
    def sync_invalid() -> Iterator[Item]:
        yield {"id": "x"}  # type: ignore[misc]

    @app.get("/fields", response_class=sse.EventSourceResponse)
    async def fields() -> AsyncIterator[Any]:
        yield Event(data={"k": [1, 2]}, event="update", id="id-1", retry=3000)
        yield Event(data="a string", comment="multi\nline\r\ncomment")
        yield Event(raw_data="raw\nmulti\r\nline\rdata")
        yield Event(raw_data="")
        yield Event(data=items(1)[0])
        yield Event(comment="just a comment")
        yield Event(id="only-id")
        yield Event(retry=0)
        yield Event(data={"nan": float("nan")})
        yield Event(data=datetime.datetime(2024, 5, 6, 7, 8, 9))
        yield Event()

    @app.get("/untyped", response_class=sse.EventSourceResponse)
    async def untyped():
        yield "hello\nworld"
        yield {"inf": float("inf")}
        yield 3

    @app.post("/status", response_class=sse.EventSourceResponse, status_code=201)
    async def status(response: Response) -> AsyncIterator[int]:
        response.headers["x-extra"] = "1"
        yield 1

    @app.get("/invalid", response_class=sse.EventSourceResponse)
    async def invalid() -> AsyncIterator[Item]:
        yield {"id": "x"}  # type: ignore[misc]

    return app


def test_sse_bytes(fw: Framework) -> None:
    got = fw.compare(
        app_sse,
        ["/models", "/sync", "/fields", "/untyped", Req("POST", "/status"), "/sync-many"],
        headers=HEADERS,
    )
    assert got[0].headers["content-type"] == "text/event-stream; charset=utf-8"
    assert got[0].headers["cache-control"] == "no-cache"
    assert got[4].status == 201


def test_sse_failure_before_any_event(fw: Framework) -> None:
    fw.compare(app_sse, ["/invalid", "/sync-invalid"], headers=HEADERS)
