"""The request pipeline of one API route, top to bottom.

`RouteApp` is the route's ASGI app: it owns the request's `Lifecycle` (two exit stacks), runs the
route handler (`respond`, or a custom route class's wrapper around it) and sends the response within
them (`Lifecycle.run`), and maps exceptions to the app's exception handlers. `respond` is the
pipeline itself: each step is a named function in a sibling module.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ferroapi._lifecycle import LIFECYCLE_SCOPE_KEY, Exchange
from ferroapi._limits.counting import LIMITER_SCOPE_KEY, limited_receive
from ferroapi._limits.middleware import limit_error
from ferroapi._pipeline.body import STARLETTE_BODY, read_body
from ferroapi._pipeline.connection import STOCK_REQUEST_INIT
from ferroapi._pipeline.endpoint import call_endpoint
from ferroapi._pipeline.errors import handle_exception
from ferroapi._pipeline.hooks import HOOKS, respond_through_hooks
from ferroapi._pipeline.lanes import open_stream
from ferroapi._pipeline.plan import Lane, RoutePlan, graph_facts
from ferroapi._pipeline.render import render_value
from ferroapi.dependencies.body import decoded_body
from ferroapi.dependencies.models import GRAPH_EPOCH
from ferroapi.dependencies.solve import solve
from ferroapi.exceptions import FastAPIError, RequestValidationError

__all__ = ["RouteApp", "respond"]

_RESPONSE_CALL = Response.__call__
_new_object = object.__new__

_NOT_AWAITED = (
    "Response not awaited. There's a high chance that the application code is raising an exception and "
    "a dependency with yield has a block with a bare except, or a block with except Exception, and is "
    "not raising the exception again. Read more about it in the docs: "
    "https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/"
    "#dependencies-with-yield-and-except"
)


def _not_awaited() -> FastAPIError:
    """FastAPI's error when a yield dependency swallowed the error that left no response to send."""
    return FastAPIError(_NOT_AWAITED)


async def respond(plan: RoutePlan, request: Request) -> Response:
    """Body -> dependencies -> endpoint -> response, for one request."""
    if HOOKS.active:  # an instrumentation replaced a step of `ferroapi.routing`: FastAPI's calls
        return await respond_through_hooks(plan, request)
    lifecycle: Exchange = request.scope[LIFECYCLE_SCOPE_KEY]
    body = await read_body(plan, request, lifecycle) if plan.body_field is not None else PydanticUndefined
    solved = await solve(
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
    sub_response = solved.response_if_any
    return render_value(plan, value, request, sub_response, solved.background_tasks)


class RouteApp:
    """The ASGI app of an API route: lifecycle, handler, send, exception handlers.

    `plan` is the route's plan when `handler` runs it (the stock `respond`, or a custom route class's
    wrapper around it); None for any other handler (`request_response(handler)`), which then always
    gets both exit stacks, published under FastAPI's scope keys.
    """

    __slots__ = ("counts_receive", "epoch", "handler", "needs_stacks", "plan", "publishes")

    def __init__(self, handler: Callable[[Request], Awaitable[Response]], plan: RoutePlan | None) -> None:
        self.handler = handler
        self.plan = plan
        self._refresh()

    def _refresh(self) -> None:
        """What the dependency graph decides (re-read after an extension edited it: `GRAPH_EPOCH`)."""
        self.epoch = GRAPH_EPOCH[0]
        plan = self.plan
        if plan is None:
            self.needs_stacks = self.counts_receive = self.publishes = True
            return
        has_yield, receives_connection = graph_facts(plan.dependant)
        self.needs_stacks = plan.needs_stacks or has_yield
        # With the stock handler and nothing else reading the body, the pipeline's own reader
        # enforces the limit (`body._read_bytes`) and `receive` needs no counting wrapper. (A
        # `Request.body` patched by instrumentation reads through `receive`: counted then.)
        handler = self.handler
        stock = (
            isinstance(handler, functools.partial)
            and handler.func is respond
            and len(handler.args) == 1
            and handler.args[0] is plan
            and Request.body is STARLETTE_BODY
        )
        self.counts_receive = plan.is_form or receives_connection or not stock
        # FastAPI's scope keys for the stacks (`Lifecycle.publish`), where code other than the
        # pipeline can read the scope while the request runs: a handler of its own, or a dependency
        # or endpoint given the Request. (Creating them for everyone was 3% of a request.)
        self.publishes = receives_connection or not stock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if Request.__init__ is STOCK_REQUEST_INIT:
            # What starlette's `Request(scope, receive, send)` sets, without its two frames (see
            # `connection.py`: checked once against starlette, a patched `__init__` still runs).
            request = _new_object(Request)
            request.__dict__ = {
                "scope": scope,
                "_receive": receive,
                "_send": send,
                "_stream_consumed": False,
                "_is_disconnected": False,
                "_form": None,
            }
        else:
            request = Request(scope, receive, send)
        exchange = Exchange()
        exchange.request = request
        scope[LIFECYCLE_SCOPE_KEY] = exchange
        try:
            if self.epoch != GRAPH_EPOCH[0]:
                self._refresh()
            plan = self.plan
            if plan is None:
                limit = getattr(scope.get("route"), "max_body_size", None)  # the route serving it
                overridden = False
            else:
                limit = plan.max_body_size
                # An override may take the Request: count then too.
                provider = plan.overrides_provider
                overridden = provider is not None and bool(getattr(provider, "dependency_overrides", None))
            if limit is not None and (self.counts_receive or overridden or LIMITER_SCOPE_KEY in scope):
                receive = request._receive = limited_receive(
                    scope, receive, limit, counting=self.counts_receive or overridden
                )
            if self.publishes or HOOKS.active:
                exchange.publish(scope)
            if self.needs_stacks or overridden:
                await exchange.run(self.handler, request, scope, receive, send, _not_awaited)
                return
            # No yield dependency can have opened anything: `exchange.run` without its stack
            # handling, inline (one coroutine per request less); only a custom handler may have
            # registered something to unwind.
            response: Any = await self.handler(request)
            if exchange.gc_pause_token is not None:
                exchange.resume_gc()  # before a response that may stream for long
            exchange.sending = True
            if type(response).__call__ is _RESPONSE_CALL:
                # starlette's `Response.__call__` for an HTTP scope, inlined: one coroutine less.
                await send(
                    {
                        "type": "http.response.start",
                        "status": response.status_code,
                        "headers": response.raw_headers,
                    }
                )
                await send({"type": "http.response.body", "body": response.body})
                if response.background is not None:
                    await response.background()
            else:
                await response(scope, receive, send)
            # (Checked here: two coroutines per request for stacks that were never created.)
            if exchange.function_stack_if_any is not None or exchange.request_stack_if_any is not None:
                await exchange.close_function_stack()
                await exchange.close_request_stack()
        except Exception as exc:
            # A body limiter's 413 raised inside a middleware task group (BaseHTTPMiddleware
            # reading the body for the endpoint) arrives as a group: handled as the 413 it is.
            exc = limit_error(exc) or exc  # type: ignore[assignment]
            if not await handle_exception(request, exc, scope, receive, send, started=exchange.sending):
                raise
        finally:
            if exchange.gc_pause_token is not None:  # the handler raised while holding the pause
                exchange.resume_gc()
            # scope -> exchange -> request -> scope is a cycle: broken here, the request's objects
            # are freed at once instead of by the cyclic GC (which made a small GET ~9% dearer).
            exchange.request = None
