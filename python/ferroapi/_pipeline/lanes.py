"""Generator endpoints: raw streams, JSON Lines and Server-Sent Events.

SSE: a producer task pulls items from the user's generator into a bounded memory stream; a second task
forwards them and inserts a keepalive comment when nothing arrived for `_PING_INTERVAL` seconds, so
cancellation by the timer never lands inside the user's generator. Both tasks live in a context entered
on the request stack: the teardown runs exactly once, after the response, also on client disconnect.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ferroapi import sse
from ferroapi._pipeline.lifecycle import Lifecycle
from ferroapi._pipeline.plan import Lane, RoutePlan
from ferroapi._pipeline.render import dumps_item, response_status, serialize_item

__all__ = ["open_stream"]

_NO_CACHE = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


def _response_args(plan: RoutePlan, solved: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"background": solved.background_tasks}
    status = response_status(plan, solved.response if solved.response_used else None)
    if status is not None:
        args["status_code"] = status
    return args


def _sub_headers(solved: Any) -> list[tuple[bytes, bytes]]:
    return list(solved.response.raw_headers) if solved.response_used else []


async def open_stream(plan: RoutePlan, request: Request, solved: Any, lifecycle: Lifecycle) -> Response:
    generator = plan.call(**solved.values)
    args = _response_args(plan, solved)
    if plan.lane is Lane.SSE:
        frames = await _sse_frames(plan, request, generator, lifecycle)
        response: Response = StreamingResponse(frames, media_type="text/event-stream", **args)
        response.raw_headers.extend(_NO_CACHE)
    elif plan.lane is Lane.JSONL:
        response = StreamingResponse(_jsonl(plan, request, generator), media_type="application/jsonl", **args)
    else:
        content = _with_checkpoints(generator) if plan.is_async_gen else generator
        response = plan.response_class(content=content, **args)
    response.raw_headers.extend(_sub_headers(solved))
    return response


async def _with_checkpoints(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for item in items:
        yield item
        await anyio.sleep(0)  # let a pending cancellation (client gone) be delivered


def _jsonl(plan: RoutePlan, request: Request, generator: Any) -> AsyncIterator[bytes] | Iterator[bytes]:
    if plan.is_async_gen:
        return _async_jsonl(plan, request, generator)
    return (serialize_item(plan, item, request) + b"\n" for item in generator)


async def _async_jsonl(plan: RoutePlan, request: Request, generator: Any) -> AsyncIterator[bytes]:
    async for item in generator:
        yield serialize_item(plan, item, request) + b"\n"
        await anyio.sleep(0)


def _sse_event(plan: RoutePlan, request: Request, item: Any) -> bytes:
    if not isinstance(item, sse.ServerSentEvent):
        return sse.format_sse_event(data_str=serialize_item(plan, item, request).decode("utf-8"))
    # A ServerSentEvent is the user's own framing: its data is not validated against the item type.
    if item.raw_data is not None:
        data_str: str | None = item.raw_data
    elif item.data is None:
        data_str = None
    elif hasattr(item.data, "model_dump_json"):
        data_str = item.data.model_dump_json()
    else:
        data_str = dumps_item(item.data).decode("utf-8")
    return sse.format_sse_event(
        data_str=data_str, event=item.event, id=item.id, retry=item.retry, comment=item.comment
    )


async def _sse_frames(
    plan: RoutePlan, request: Request, generator: Any, lifecycle: Lifecycle
) -> AsyncIterator[bytes]:
    items: AsyncIterator[Any] = (
        generator.__aiter__() if plan.is_async_gen else iterate_in_threadpool(generator)
    )
    stream = await lifecycle.request_stack.enter_async_context(_sse_producer(plan, request, items))
    lifecycle.request_stack.push_async_callback(stream.aclose)
    return _forward(stream)


@asynccontextmanager
async def _sse_producer(
    plan: RoutePlan, request: Request, items: AsyncIterator[Any]
) -> AsyncIterator[ObjectReceiveStream[bytes]]:
    produced_send, produced = anyio.create_memory_object_stream[bytes](max_buffer_size=1)
    out_send, out = anyio.create_memory_object_stream[bytes](max_buffer_size=1)

    async def produce() -> None:
        async with produced_send:
            async for item in items:
                await produced_send.send(_sse_event(plan, request, item))

    async def forward_with_keepalive() -> None:
        async with out_send, produced:
            try:
                while True:
                    try:
                        with anyio.fail_after(sse._PING_INTERVAL):
                            frame = await produced.receive()
                    except TimeoutError:
                        frame = sse.KEEPALIVE_COMMENT
                    await out_send.send(frame)
            except anyio.EndOfStream:
                pass

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(produce)
        tasks.start_soon(forward_with_keepalive)
        yield out
        tasks.cancel_scope.cancel()


async def _forward(stream: ObjectReceiveStream[bytes]) -> AsyncIterator[bytes]:
    async for frame in stream:
        yield frame
        await anyio.sleep(0)  # a checkpoint even when the producer is always ahead
