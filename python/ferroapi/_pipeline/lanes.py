"""Generator endpoints: the lane chosen at registration (`RoutePlan.lane`) opens the stream.

- raw stream: the generator is the content of the route's explicit `response_class` (e.g.
  `StreamingResponse`), chunks passed through as FastAPI does, with a checkpoint after each chunk of
  an async generator so a client that left can cancel a generator that never awaits;
- JSON Lines and Server-Sent Events: `streaming.open_framed_stream` (validated items, native framing,
  batched sends, keepalive, teardown exactly once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ferroapi._lifecycle import Lifecycle
from ferroapi._pipeline.plan import Lane, RoutePlan
from ferroapi._pipeline.render import response_status
from ferroapi._pipeline.streaming import open_framed_stream
from ferroapi._pipeline.streaming.producer import CLOSE_GRACE

__all__ = ["open_stream"]


async def open_stream(plan: RoutePlan, request: Request, solved: Any, lifecycle: Lifecycle) -> Response:
    if plan.lane is not Lane.RAW_STREAM:
        return open_framed_stream(plan, request, solved)
    generator = plan.call(**solved.values)
    sub_response = solved.response_if_any
    args: dict[str, Any] = {"background": solved.background_tasks}
    status = response_status(plan, sub_response)
    if status is not None:
        args["status_code"] = status
    content = _with_checkpoints(generator) if hasattr(generator, "__anext__") else generator
    response = plan.response_class(content=content, **args)
    if sub_response is not None:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


async def _with_checkpoints(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
    try:
        async for item in items:
            yield item
            await anyio.sleep(0)  # let a pending cancellation (client gone) be delivered
    finally:
        # Closing this wrapper (the stream ended early) closes the endpoint's generator now, so its
        # `finally` runs at once rather than whenever the garbage collector finds it.
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            with anyio.move_on_after(CLOSE_GRACE, shield=True):
                await aclose()
