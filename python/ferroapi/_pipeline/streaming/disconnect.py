"""Noticing that the client of a streaming response went away.

Before ASGI spec 2.4 a server's `send` may return silently once the connection is closed, so a stream
learns of the disconnect only from `receive()` (`http.disconnect`): starlette's `StreamingResponse`
watches it then. From 2.4 the server *should* raise `OSError` from `send` instead, and starlette stops
watching, but not every server that says 2.4 does raise (uvicorn's `send` returns silently after a
disconnect; a server that bumped its spec version without raising would leave an endless generator
running forever, its `finally` never reached).

So from 2.4 a stream still watches `receive()` for the disconnect, whenever doing so cannot take
request body bytes from the application: the body was already read to its end (by the pipeline, by
`request.body()`, or a full `request.stream()`), or the request has none. A generator that is still
reading the body while it streams keeps the 2.4 behaviour (the watcher would race it for body
messages, as starlette's watcher does before 2.4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.types import Receive, Scope

from ferroapi._lifecycle import LIFECYCLE_SCOPE_KEY

__all__ = ["body_received", "run_until_disconnect", "spec_version", "watches_disconnect"]

# Methods whose requests carry no body unless they declare one (RFC 9110 gives them no defined
# meaning for content); any HTTP/1.x request without Content-Length or Transfer-Encoding has none.
_BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def spec_version(scope: Scope) -> tuple[int, ...]:
    version: str = scope.get("asgi", {}).get("spec_version", "2.0")
    return tuple(map(int, version.split(".")))


def watches_disconnect(scope: Scope) -> bool:
    """Whether a stream should watch `receive()` for `http.disconnect` while it sends."""
    return spec_version(scope) < (2, 4) or body_received(scope)


def body_received(scope: Scope) -> bool:
    """Whether `receive()` can no longer bring request body bytes the application wants."""
    exchange = scope.get(LIFECYCLE_SCOPE_KEY)
    request = getattr(exchange, "request", None)
    # starlette's Request sets `_body` once the whole body is read, `_stream_consumed` once stream()
    # received the last message (ferroapi's reader sets both, and returns only with the whole body).
    if request is not None and (hasattr(request, "_body") or getattr(request, "_stream_consumed", False)):
        return True
    return not _may_have_body(scope)


def _may_have_body(scope: Scope) -> bool:
    length: bytes | None = None
    for key, value in scope["headers"]:
        if key == b"content-length":
            length = value
        elif key == b"transfer-encoding":
            return True
    if length is not None:
        return length.strip() not in (b"0", b"")
    if scope.get("http_version", "1.1") in ("1.0", "1.1"):
        return False
    return scope.get("method") not in _BODILESS_METHODS  # HTTP/2 and 3 may send a body of no declared length


async def run_until_disconnect(stream: Callable[[], Awaitable[None]], receive: Receive) -> bool:
    """Run `stream()` while watching `receive()`; cancel it when the client leaves.

    Returns True when the client left first. An exception of `stream()` is raised as is (not in a
    group), after the watcher has stopped.
    """
    disconnected = False
    error: Exception | None = None
    async with anyio.create_task_group() as tasks:

        async def watch() -> None:
            nonlocal disconnected
            while True:
                message: Any = await receive()
                if message["type"] == "http.disconnect":
                    disconnected = True
                    tasks.cancel_scope.cancel()
                    return

        tasks.start_soon(watch)
        try:
            await stream()
        except Exception as exc:  # raised below, once the watcher is gone
            error = exc
        tasks.cancel_scope.cancel()
    if error is not None:
        raise error
    return disconnected
