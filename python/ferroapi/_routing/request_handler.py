"""FastAPI's handler factories: `get_request_handler` (a path operation's `request -> response`,
replaceable by instrumentation) and `request_response` (such a handler as the route's ASGI app).

Instrumentation (Sentry's FastAPI integration, for one) replaces `fastapi.routing.get_request_handler`
with a wrapper that may rewrap `dependant.call` and then calls the original. `APIRoute` reads the module
attribute when it builds its handler (at registration, never per request): the stock factory keeps the
route's prebuilt plan; a replaced one is called with FastAPI's keyword arguments, and the stock factory
it usually delegates to compiles a plan from exactly those arguments.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from ferroapi._pipeline.handler import RouteApp, respond
from ferroapi._pipeline.plan import PlanSpec, build_plan
from ferroapi.datastructures import Default, DefaultPlaceholder
from ferroapi.sse import EventSourceResponse

if TYPE_CHECKING:
    from ferroapi._fields import ModelField
    from ferroapi.dependencies.models import Dependant
    from ferroapi.types import IncEx

__all__ = ["Handler", "get_request_handler", "request_response"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _is_generator(call: Callable[..., Any] | None) -> bool:
    target = inspect.unwrap(call) if call is not None else None
    return inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target)


def get_request_handler(
    dependant: Dependant,
    body_field: ModelField | None = None,
    status_code: int | None = None,
    response_class: type[Response] | DefaultPlaceholder = Default(JSONResponse),
    response_field: ModelField | None = None,
    response_model_include: IncEx | None = None,
    response_model_exclude: IncEx | None = None,
    response_model_by_alias: bool = True,
    response_model_exclude_unset: bool = False,
    response_model_exclude_defaults: bool = False,
    response_model_exclude_none: bool = False,
    dependency_overrides_provider: Any | None = None,
    embed_body_fields: bool = False,
    strict_content_type: bool | DefaultPlaceholder = Default(True),
    stream_item_field: ModelField | None = None,
    is_json_stream: bool = False,
    form_limits: dict[str, int] | None = None,
) -> Handler:
    """`request -> response` for a path operation described by these arguments (FastAPI's factory)."""
    assert dependant.call is not None, "dependant.call must be a function"
    actual_class = response_class.value if isinstance(response_class, DefaultPlaceholder) else response_class
    is_sse = isinstance(actual_class, type) and issubclass(actual_class, EventSourceResponse)
    spec = PlanSpec(
        dependant=dependant,
        body_field=body_field,
        status_code=status_code,
        response_class=response_class,
        response_field=response_field,
        response_model_include=response_model_include,
        response_model_exclude=response_model_exclude,
        response_model_by_alias=response_model_by_alias,
        response_model_exclude_unset=response_model_exclude_unset,
        response_model_exclude_defaults=response_model_exclude_defaults,
        response_model_exclude_none=response_model_exclude_none,
        dependency_overrides_provider=dependency_overrides_provider,
        embed_body_fields=embed_body_fields,
        strict_content_type=strict_content_type,
        stream_item_field=stream_item_field,
        is_json_stream=is_json_stream,
        form_limits=dict(form_limits or {}),
        is_sse_stream=is_sse and _is_generator(dependant.call),
    )
    plan = build_plan(spec)
    return functools.partial(respond, plan)


def request_response(func: Callable[[Request], Awaitable[Response] | Response]) -> ASGIApp:
    """`func(request) -> response` (or a plain function, run in the thread pool) as an ASGI app that
    owns the request's exit stacks and answers exceptions with the app's handlers.

    Extensions rebuild a route's app with it (`route.app = request_response(route.get_route_handler())`):
    a handler that runs a route's plan keeps that plan's fast path and body limit.
    """
    handler: Any = func if is_async_callable(func) else functools.partial(run_in_threadpool, func)  # type: ignore[call-arg]
    plan = None
    if isinstance(handler, functools.partial) and handler.func is respond and len(handler.args) == 1:
        plan = handler.args[0]
    return RouteApp(handler, plan)
