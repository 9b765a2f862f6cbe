"""The app's outermost layer when the user added no middleware.

It gives the guarantees of starlette's `ServerErrorMiddleware` + `ExceptionMiddleware` pair (exception
handlers looked up in the scope, a 500 for anything unhandled, `debug` tracebacks, the exception
re-raised for the server) without wrapping `send` or building closures per request: API routes answer
their own exceptions before sending, so "response already started" is known from the exchange.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.routing import Router
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ferroapi._lifecycle import LIFECYCLE_SCOPE_KEY
from ferroapi._pipeline.errors import EXCEPTION_HANDLERS_KEY, RESPONSE_STARTED_KEY, handle_exception
from ferroapi.telemetry._asgi import _exception

__all__ = ["FILE_STACK_SCOPE_KEY", "AppEntry"]

# FastAPI's per-request stack for closing uploaded files (its AsyncExitStackMiddleware's scope key).
FILE_STACK_SCOPE_KEY = "fastapi_middleware_astack"

# Set once a 500 has been sent for this scope. A FerroAPI app mounted inside another shares the scope
# dict with its parent: the child answers the 500 and re-raises for the server, and the parent's entry
# must not send a second response.
_ERROR_SENT_KEY = "ferroapi.server_error_sent"


_ROUTER_CALL = Router.__call__


class AppEntry(ServerErrorMiddleware):
    """starlette's `ServerErrorMiddleware(ExceptionMiddleware(AsyncExitStackMiddleware(router)))`, as
    FastAPI builds it, run as one layer.

    It is a `ServerErrorMiddleware` whose `app` is the stock inner stack (instrumentations take the
    stack apart: OpenTelemetry re-wraps `entry.app`); while `app` is still that stack, a request runs
    the three layers' logic inline, else through `app` as starlette would.
    """

    def __init__(
        self,
        router: ASGIApp,
        inner: ExceptionMiddleware,
        error_handler: Any,
        debug: bool,
        *,
        file_stack: bool,
    ) -> None:
        super().__init__(inner, handler=error_handler, debug=debug)
        self.router = router
        self.inner = inner
        # FastAPI's per-request file stack in the scope: where code written against FastAPI's
        # internals can run (the alias is installed), as ferroapi itself closes files elsewhere.
        # (One more AsyncExitStack and scope key were 5% of a small request.)
        self.file_stack = file_stack
        # starlette's own registration (its defaults for HTTPException and WebSocketException included,
        # and whatever an instrumentation's patched `ExceptionMiddleware.__init__` put there).
        self.handlers = (inner._exception_handlers, inner._status_handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.router(scope, receive, send)
            return
        if self.app is not self.inner:  # replaced by an instrumentation: starlette's path
            await ServerErrorMiddleware.__call__(self, scope, receive, send)
            return
        scope[EXCEPTION_HANDLERS_KEY] = self.handlers
        try:
            if self.file_stack:
                await self._with_file_stack(scope, receive, send)
            elif type(self.router).__call__ is _ROUTER_CALL:
                # starlette's `Router.__call__` is `await self.middleware_stack(...)`: one frame less.
                await self.router.middleware_stack(scope, receive, send)  # type: ignore[attr-defined]
            else:
                await self.router(scope, receive, send)
        except Exception as exc:
            conn: HTTPConnection = (
                Request(scope, receive, send) if scope_type == "http" else WebSocket(scope, receive, send)
            )
            started = _started(scope)
            if not await handle_exception(conn, exc, scope, receive, send, started=started):
                # Unanswered: told to telemetry before the 500 (FastAPI's ExceptionTelemetryMiddleware).
                _exception(scope=scope, exc=exc)
                if scope_type == "http":
                    await self._server_error(exc, scope, receive, send, started=started)
                raise

    async def _with_file_stack(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The router within FastAPI's file stack (AsyncExitStackMiddleware's), closed after the
        router and before the exception handlers run."""
        files = scope[FILE_STACK_SCOPE_KEY] = AsyncExitStack()
        try:
            await self.router(scope, receive, send)
        except BaseException as exc:
            pending = files._exit_callbacks  # type: ignore[attr-defined]
            if pending and await files.__aexit__(type(exc), exc, exc.__traceback__):
                return
            raise
        if files._exit_callbacks:  # type: ignore[attr-defined]
            await files.__aexit__(None, None, None)

    async def _server_error(
        self, exc: Exception, scope: Scope, receive: Receive, send: Send, *, started: bool
    ) -> None:
        middleware = self
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
    if scope.get(_ERROR_SENT_KEY) or scope.get(RESPONSE_STARTED_KEY):
        return True
    exchange = scope.get(LIFECYCLE_SCOPE_KEY)
    return bool(exchange is not None and exchange.sending)
