"""An SSE stream's part of the drain (`ferroapi._shutdown`): what was yielded is sent, then a
`retry:` hint, then the stream ends.

The producer runs in a cancel scope of its own, registered with the app's drain for as long as it
runs (the one thing a stream does for the drain while nothing drains). When the drain begins, that
scope is cancelled: the endpoint's generator stops where it awaits (the next item was not yielded;
a client resuming with `Last-Event-ID` gets it from the broadcast's retention) and is closed by the
producer as on any other end of the stream. Every frame already handed off is still sent, then the
`retry: <ms>` field (the client's reconnection delay), then the stream ends normally; the route's
dependencies with yield are torn down once, after it, as after a client left.

Each stream's hint is spread over [retry, 1.5 x retry] so the clients of a draining server do not
all reconnect in the same millisecond.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import anyio
from starlette.types import Scope

from ferroapi._ferroapi import format_sse_event
from ferroapi._pipeline.streaming.handoff import Handoff
from ferroapi._shutdown.registry import drain_of

__all__ = ["Produce", "retry_hint", "until_drained"]

Produce = Callable[[Handoff], Coroutine[Any, Any, None]]


def retry_hint(retry: int) -> bytes:
    """The frame a drained stream ends with: `retry: <ms>`, spread against reconnect storms."""
    return format_sse_event(retry=retry + random.randint(0, retry // 2))  # a spread, not a secret


def until_drained(produce: Produce, scope: Scope, retry: int) -> Produce:
    """`produce`, stopped when the app serving `scope` drains."""
    return partial(_produce_until_drained, produce, scope, retry)


async def _produce_until_drained(produce: Produce, scope: Scope, retry: int, handoff: Handoff) -> None:
    with anyio.CancelScope() as producing, drain_of(scope).joined(producing.cancel):
        await produce(handoff)
    if producing.cancelled_caught and not handoff.done:
        handoff.finish_with(retry_hint(retry))
