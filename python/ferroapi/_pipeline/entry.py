"""The app's outermost layer when the user added no middleware.

It gives the guarantees of starlette's `ServerErrorMiddleware` + `ExceptionMiddleware` pair (exception
handlers looked up in the scope, a 500 for anything unhandled, `debug` tracebacks, the exception
re-raised for the server) without wrapping `send` or building closures per request: API routes answer
their own exceptions before sending, so "response already started" is known from the exchange.
"""

from __future__ import annotations

from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ferroapi._pipeline.errors import EXCEPTION_HANDLERS_KEY, handle_exception
from ferroapi._pipeline.lifecycle import LIFECYCLE_SCOPE_KEY

__all__ = ["AppEntry", "track_response_start"]

# Set once a 500 has been sent for this scope. A FerroAPI app mounted inside another shares the scope
# dict with its parent: the child answers the 500 and re-raises for the server, and the parent's entry
# must not send a second response.
_ERROR_SENT_KEY = "ferroapi.server_error_sent"
# Set once a route that is not an API route (a mount, a frontend, a starlette route) starts its
# response: API routes report it through their exchange, other routes through their `send`.
_RESPONSE_STARTED_KEY = "ferroapi.response_started"


def track_response_start(scope: Scope, send: Send) -> Send:
    """`send`, marking the scope when the response starts (so an error after that is not answered)."""

    async def tracked(message: Message) -> None:
        if message["type"] == "http.response.start":
            scope[_RESPONSE_STARTED_KEY] = True
        await send(message)

    return tracked


class AppEntry:
    def __init__(self, app: ASGIApp, handlers: dict[Any, Any], error_handler: Any, debug: bool) -> None:
        self.app = app
        # starlette's own registration (its defaults for HTTPException and WebSocketException included).
        reference = ExceptionMiddleware(app, handlers=handlers, debug=debug)
        self.handlers = (reference._exception_handlers, reference._status_handlers)
        self.server_error = ServerErrorMiddleware(app, handler=error_handler, debug=debug)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return
        scope[EXCEPTION_HANDLERS_KEY] = self.handlers
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            conn: HTTPConnection = (
                Request(scope, receive, send) if scope_type == "http" else WebSocket(scope, receive, send)
            )
            started = _started(scope)
            if not await handle_exception(conn, exc, scope, receive, send, started=started):
                if scope_type == "http":
                    await self._server_error(exc, scope, receive, send, started=started)
                raise

    async def _server_error(
        self, exc: Exception, scope: Scope, receive: Receive, send: Send, *, started: bool
    ) -> None:
        middleware = self.server_error
        request = Request(scope)
        if middleware.debug:
            response: Any = await run_in_threadpool(middleware.debug_response, request, exc)
        elif middleware.handler is None:
            response = middleware.error_response(request, exc)
        elif is_async_callable(middleware.handler):
            response = await middleware.handler(request, exc)  # type: ignore[arg-type]
        else:
            response = await run_in_threadpool(middleware.handler, request, exc)
        if not started:
            scope[_ERROR_SENT_KEY] = True
            await response(scope, receive, send)


def _started(scope: Scope) -> bool:
    if scope.get(_ERROR_SENT_KEY) or scope.get(_RESPONSE_STARTED_KEY):
        return True
    exchange = scope.get(LIFECYCLE_SCOPE_KEY)
    return bool(exchange is not None and exchange.sending)
