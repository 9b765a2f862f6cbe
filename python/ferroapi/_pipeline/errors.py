"""Exception handlers for a request: starlette's lookup (status code first, then the class MRO)."""

from __future__ import annotations

from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import Message, Receive, Scope, Send

__all__ = ["RESPONSE_STARTED_KEY", "handle_exception", "lookup_handler", "track_response_start"]

EXCEPTION_HANDLERS_KEY = "starlette.exception_handlers"  # starlette's scope key (ExceptionMiddleware)
_NO_HANDLERS: tuple[dict[Any, Any], dict[Any, Any]] = ({}, {})
# Set once a route that is not an API route (a mount, a frontend, a starlette route) starts its
# response: API routes report it through their exchange, other routes through their `send`. The app's
# entry (`_app.entry`) answers no error once it is set.
RESPONSE_STARTED_KEY = "ferroapi.response_started"


def track_response_start(scope: Scope, send: Send) -> Send:
    """`send`, marking the scope when the response starts (so an error after that is not answered)."""

    async def tracked(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope[RESPONSE_STARTED_KEY] = True
        await send(message)

    return tracked


def lookup_handler(scope: Scope, exc: Exception) -> Any:
    handlers, status_handlers = scope.get(EXCEPTION_HANDLERS_KEY, _NO_HANDLERS)
    if isinstance(exc, HTTPException):
        handler = status_handlers.get(exc.status_code)
        if handler is not None:
            return handler
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def handle_exception(
    conn: HTTPConnection, exc: Exception, scope: Scope, receive: Receive, send: Send, *, started: bool
) -> bool:
    """Answer `exc` with its registered handler; False when there is none (the caller re-raises)."""
    handler = lookup_handler(scope, exc)
    if handler is None:
        return False
    if started:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    if is_async_callable(handler):
        response = await handler(conn, exc)
    else:
        response = await run_in_threadpool(handler, conn, exc)
    if response is not None:
        await response(scope, receive, send)
    return True
