"""Routing: FastAPI's `fastapi.routing` names (routes, routers, starlette's Mount/Host re-exported),
and FastAPI's patch points.

Instrumentation replaces `solve_dependencies`, `run_endpoint_function`, `serialize_response` or
`get_request_handler` here and expects the framework to call the replacement: this module's
`__setattr__` (see the end of the file) tells the pipeline when one of the first three is replaced,
and route classes read `get_request_handler` from here when they build a handler.
"""

import sys
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute as BaseRoute
from starlette.routing import Host as Host
from starlette.routing import Match as Match
from starlette.routing import Mount as Mount
from starlette.routing import NoMatchFound as NoMatchFound
from starlette.routing import compile_path as compile_path
from starlette.routing import get_name as get_name

from ferroapi._pipeline import hooks as _hooks
from ferroapi._pipeline.handler import RouteApp
from ferroapi._pipeline.hooks import run_endpoint_function, serialize_response
from ferroapi._pipeline.render import json_response
from ferroapi._pipeline.websocket import get_websocket_app, websocket_session
from ferroapi._routing.included import IncludedRouter
from ferroapi._routing.lifespan import DefaultLifespan as _DefaultLifespan  # noqa: F401 - FastAPI's name
from ferroapi._routing.lifespan import merge_lifespans as _merge_lifespan_context  # noqa: F401 - FastAPI's
from ferroapi._routing.options import RouteOptions
from ferroapi._routing.request_handler import get_request_handler, request_response
from ferroapi._routing.route import APIRoute, APIWebSocketRoute
from ferroapi._routing.route import (
    effective_route_context_var as _effective_route_context_var,  # noqa: F401 - FastAPI's private name
)
from ferroapi._routing.router import APIRouter
from ferroapi.dependencies.solved import SolvedDependency, solve_dependencies
from ferroapi.sse import DEFAULT_PING_INTERVAL

__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BaseRoute",
    "Host",
    "IncludedRouter",
    "Match",
    "Mount",
    "NoMatchFound",
    "RouteApp",
    "RouteContext",
    "RouteOptions",
    "SolvedDependency",
    "compile_path",
    "get_name",
    "get_request_handler",
    "get_websocket_app",
    "iter_route_contexts",
    "json_response",
    "request_response",
    "run_endpoint_function",
    "serialize_response",
    "solve_dependencies",
    "websocket_session",
]

# FastAPI's private name for the entry `include_router` leaves in the parent's routes.
_IncludedRouter = IncludedRouter
_SCOPE_MISSING = object()
# FastAPI's SSE keepalive interval lives here too; tests monkeypatch it (the streaming lane reads it).
_PING_INTERVAL: float = DEFAULT_PING_INTERVAL


@dataclass(frozen=True)
class RouteContext:
    """A route as the app serves it: `route` is the one registered, attributes are the effective ones
    (an included route's merged prefix, tags, dependencies...)."""

    route: BaseRoute
    _route_context: BaseRoute | None = field(default=None, repr=False)

    @property
    def original_route(self) -> BaseRoute:
        return self.route

    @property
    def effective_route(self) -> BaseRoute:
        return self._route_context if self._route_context is not None else self.route

    @property
    def path(self) -> str | None:
        return getattr(self.effective_route, "path", None)

    @property
    def path_format(self) -> str | None:
        return getattr(self.effective_route, "path_format", None)

    @property
    def name(self) -> str | None:
        return getattr(self.effective_route, "name", None)

    @property
    def methods(self) -> set[str] | None:
        return getattr(self.effective_route, "methods", None)

    @property
    def endpoint(self) -> Callable[..., Any] | None:
        return getattr(self.effective_route, "endpoint", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.effective_route, name)


def _original(route: BaseRoute) -> BaseRoute:
    original = getattr(route, "original_route", None)
    return original if isinstance(original, BaseRoute) else route


def iter_route_contexts(routes: Sequence[BaseRoute | RouteContext]) -> Iterator[RouteContext]:
    """The routes in dispatch order, included routers flattened, each with its effective attributes."""
    for route in routes:
        if isinstance(route, RouteContext):
            yield route
        elif isinstance(route, IncludedRouter):
            for effective in route.effective_routes():
                yield RouteContext(_original(effective), effective)
        else:
            yield RouteContext(route)


def _iter_included_route_candidates(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes in dispatch order, included routers flattened: an API route as it was declared,
    any other route as the inclusion rebuilt it under its prefix (FastAPI's private helper)."""
    for route in routes:
        if isinstance(route, IncludedRouter):
            for effective in route.effective_routes():
                declared = effective.original_route if isinstance(effective, APIRoute) else None
                yield declared or effective
        else:
            yield route


def _restore_fastapi_scope_key(scope: Any, key: str, previous: Any) -> None:
    private = scope.get("fastapi")
    if not isinstance(private, dict):
        return
    if previous is _SCOPE_MISSING:
        private.pop(key, None)
    else:
        private[key] = previous


class _RoutingModule(types.ModuleType):
    """This module's type: assigning a patch point switches the pipeline to FastAPI's calls."""

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _hooks.PATCHABLE:
            _hooks.update(self)

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in _hooks.PATCHABLE:
            _hooks.update(self)


sys.modules[__name__].__class__ = _RoutingModule
