"""The request pipeline of one API route, top to bottom.

`RouteApp` is the route's ASGI app: it owns the request's `Lifecycle` (two exit stacks), runs the
route handler (`respond`, or a custom route class's wrapper around it), sends the response and maps
exceptions to the app's exception handlers. `respond` is the pipeline itself: each step is a named
function in a sibling module.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ferroapi._pipeline.app_limit import limit_error
from ferroapi._pipeline.body import STARLETTE_BODY, read_body, too_large
from ferroapi._pipeline.endpoint import call_endpoint
from ferroapi._pipeline.errors import handle_exception
from ferroapi._pipeline.lanes import open_stream
from ferroapi._pipeline.lifecycle import Lifecycle
from ferroapi._pipeline.limits import DefaultLimit
from ferroapi._pipeline.plan import Lane, RoutePlan
from ferroapi._pipeline.render import render_value
from ferroapi.dependencies.body import decoded_body
from ferroapi.dependencies.solve import solve_dependencies
from ferroapi.exceptions import FastAPIError, RequestValidationError

__all__ = ["LIFECYCLE_SCOPE_KEY", "Exchange", "RouteApp", "lifecycle_of", "respond"]

# The one scope key the pipeline uses: a route handler receives only `request`, and a custom route
# class may rebuild the Request from the same scope, so the exchange travels with the scope.
LIFECYCLE_SCOPE_KEY = "ferroapi.exchange"

# starlette's RequestBodyLimitMiddleware records its active limiter here (nested limiters defer to it).
_LIMITER_SCOPE_KEY = "starlette._body_limit_responder"

_NOT_AWAITED = (
    "Response not awaited. There's a high chance that the application code is raising an exception and "
    "a dependency with yield has a block with a bare except, or a block with except Exception, and is "
    "not raising the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/"
    "#dependencies-with-yield-and-except"
)


class Exchange:
    """One request's lifecycle plus whether its response has begun to be sent."""

    __slots__ = ("lifecycle", "sending")

    def __init__(self) -> None:
        self.lifecycle = Lifecycle()
        self.sending = False


def lifecycle_of(scope: Scope) -> Lifecycle:
    exchange: Exchange = scope[LIFECYCLE_SCOPE_KEY]
    return exchange.lifecycle


async def respond(plan: RoutePlan, request: Request) -> Response:
    """Body -> dependencies -> endpoint -> response, for one request."""
    lifecycle = lifecycle_of(request.scope)
    body = await read_body(plan, request, lifecycle) if plan.body_field is not None else PydanticUndefined
    solved = await solve_dependencies(
        request=request,
        dependant=plan.dependant,
        lifecycle=lifecycle,
        body=body,
        dependency_overrides_provider=plan.overrides_provider,
        embed_body_fields=plan.embed_body_fields,
    )
    if solved.errors:
        ctx = plan.site.context(request.method, request.scope.get("root_path", ""), plan.dependant.path or "")
        raise RequestValidationError(
            solved.errors, body=None if body is PydanticUndefined else decoded_body(body), endpoint_ctx=ctx
        )
    if plan.lane is not Lane.RESPONSE:
        return await open_stream(plan, request, solved, lifecycle)
    # `call_endpoint`, inlined for coroutines (one frame less per request).
    values = solved.values
    value = await plan.call(**values) if plan.is_coroutine else await call_endpoint(plan, values)
    if isinstance(value, Response):
        if value.background is None:
            value.background = solved.background_tasks
        return value
    sub_response = solved.response if solved.response_used else None
    return render_value(plan, value, request, sub_response, solved.background_tasks)


class RouteApp:
    """The ASGI app of an API route: lifecycle, handler, send, exception handlers."""

    __slots__ = ("counts_receive", "handler", "plan")

    def __init__(self, handler: Callable[[Request], Awaitable[Response]], plan: RoutePlan) -> None:
        self.handler = handler
        self.plan = plan
        # With the stock handler and nothing else reading the body, the pipeline's own reader
        # enforces the limit (`body._read_bytes`) and `receive` needs no counting wrapper. (A
        # `Request.body` patched by instrumentation reads through `receive`: counted then.)
        stock = (
            isinstance(handler, functools.partial)
            and handler.func is respond
            and len(handler.args) == 1
            and handler.args[0] is plan
            and Request.body is STARLETTE_BODY
        )
        self.counts_receive = plan.body_read_elsewhere or not stock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        exchange = Exchange()
        scope[LIFECYCLE_SCOPE_KEY] = exchange
        try:
            plan = self.plan
            overridden = _has_overrides(plan)  # an override may take the Request: count then too
            limit = plan.max_body_size
            if limit is not None:
                receive = request._receive = _limited_receive(
                    scope, receive, limit, counting=self.counts_receive or overridden
                )
            if plan.needs_stacks or overridden:
                await self._serve(request, exchange, scope, receive, send)
            else:
                await self._serve_flat(request, exchange, scope, receive, send)
        except Exception as exc:
            # A body limiter's 413 raised inside a middleware's task group (BaseHTTPMiddleware
            # reading the body for the endpoint) arrives as a group: handled as the 413 it is.
            exc = limit_error(exc) or exc  # type: ignore[assignment]
            if not await handle_exception(request, exc, scope, receive, send, started=exchange.sending):
                raise
        finally:
            exchange.lifecycle.resume_gc()  # when the handler raised (a no-op otherwise)

    async def _serve(
        self, request: Request, exchange: Exchange, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """`async with request_stack: (async with function_stack: handler); send`, on lazy stacks."""
        lifecycle = exchange.lifecycle
        try:
            try:
                response: Any = await self.handler(request)
            except BaseException as exc:
                if not await lifecycle.close_function_stack(exc):
                    raise
                # A function-scoped dependency swallowed the error: there is no response to send.
                raise FastAPIError(_NOT_AWAITED) from None
            await lifecycle.close_function_stack()
            lifecycle.resume_gc()  # before a stream that may outlast the body's objects by far
            exchange.sending = True
            await response(scope, receive, send)
        except BaseException as exc:
            if not await lifecycle.close_request_stack(exc):
                raise
            raise FastAPIError(_NOT_AWAITED) from None
        await lifecycle.close_request_stack()

    async def _serve_flat(
        self, request: Request, exchange: Exchange, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """No yield dependency can have opened anything: nothing to unwind but what a custom
        handler may have registered."""
        response: Any = await self.handler(request)
        lifecycle = exchange.lifecycle
        lifecycle.resume_gc()  # before a response that may stream for long
        exchange.sending = True
        await response(scope, receive, send)
        await lifecycle.close_function_stack()
        await lifecycle.close_request_stack()


class _CountingReceive:
    """`receive` counting the body against the route's limit, however it is read: by the pipeline,
    by `request.form()`, or by the endpoint itself (`await request.body()`, chunked, no Content-Length).
    """

    __slots__ = ("limit", "receive", "total")

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.total = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self.limit:
                raise too_large()
        return message


def _limited_receive(scope: Scope, receive: Receive, limit: int, *, counting: bool) -> Receive:
    active = scope.get(_LIMITER_SCOPE_KEY)
    if active is None:
        return _CountingReceive(receive, limit) if counting else receive
    if type(limit) is DefaultLimit:
        return receive  # nobody chose this limit: the enclosing app's (or inclusion's) stays in force
    # starlette's body limiter (the app's, under user middleware) already counts this request: the
    # route's own limit replaces its limit, as a nested RequestBodyLimitMiddleware does in FastAPI.
    active.max_body_size = limit
    if active.total_size > limit:
        raise too_large()
    return receive


def _has_overrides(plan: RoutePlan) -> bool:
    provider = plan.overrides_provider
    return provider is not None and bool(getattr(provider, "dependency_overrides", None))
