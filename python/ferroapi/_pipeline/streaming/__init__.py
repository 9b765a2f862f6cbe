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
from ferroapi._pipeline.streaming.handoff import Handoff, ThreadHandoff
from ferroapi._pipeline.streaming.producer import produce_async, produce_sync, threadsafe_wake
from ferroapi._pipeline.streaming.response import FramedStream

__all__ = ["FramedStream", "open_framed_stream"]

_NO_CACHE = [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


def open_framed_stream(plan: RoutePlan, request: Request, solved: Any) -> FramedStream:
    generator = plan.call(**solved.values)
    serialize = item_serializer(plan, request)
    sub_response = solved.response_if_any
    status = response_status(plan, sub_response) or 200
    if hasattr(generator, "__anext__"):
        produce: Any = produce_async
        handoff: Any = Handoff
    else:  # pulled in worker threads, many items per job, handed to the loop through a locked batch
        produce, handoff = produce_sync, _thread_handoff
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
            handoff=handoff,
            drain_retry=settings.drain_retry(plan, request.scope),
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
            handoff=handoff,
        )
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


def _thread_handoff() -> ThreadHandoff:
    return ThreadHandoff(threadsafe_wake())
