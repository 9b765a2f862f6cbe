"""The framed streaming lanes (JSON Lines, Server-Sent Events) and their producer/sender machinery.

`open_stream` is called by the pipeline once the dependencies are solved: it calls the endpoint (which
creates the generator; nothing runs yet) and returns a `FramedStream` whose call runs the stream.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request

from ferroapi._pipeline.plan import Lane, RoutePlan
from ferroapi._pipeline.render import response_status
from ferroapi._pipeline.streaming import framing, settings
from ferroapi._pipeline.streaming.codec import item_serializer
from ferroapi._pipeline.streaming.producer import produce_async, produce_sync
from ferroapi._pipeline.streaming.response import FramedStream

__all__ = ["FramedStream", "open_framed_stream"]

_NO_CACHE = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


def open_framed_stream(plan: RoutePlan, request: Request, solved: Any) -> FramedStream:
    generator = plan.call(**solved.values)
    serialize = item_serializer(plan, request)
    sub_response = solved.response if solved.response_used else None
    status = response_status(plan, sub_response) or 200
    produce: Any = produce_async if hasattr(generator, "__anext__") else produce_sync
    if plan.lane is Lane.SSE:
        frame = framing.sse_frame(serialize)
        response = FramedStream(
            partial(produce, generator, frame),
            framing.join_sse,
            media_type="text/event-stream",
            status_code=status,
            background=solved.background_tasks,
            keepalive=settings.keepalive_interval(plan, request.scope),
            send_timeout=settings.send_timeout(plan, request.scope),
        )
        response.raw_headers.extend(_NO_CACHE)
    else:
        response = FramedStream(
            partial(produce, generator, framing.jsonl_frame(serialize)),
            framing.join_jsonl,
            media_type="application/jsonl",
            status_code=status,
            background=solved.background_tasks,
            send_timeout=settings.send_timeout(plan, request.scope),
        )
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response
