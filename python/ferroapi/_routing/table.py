"""The compiled route table: the router's routes handed to the native matcher once.

Routes the native matcher can decide (API routes, starlette routes, WebSocket routes, mounts with the
built-in convertors and the stock `matches()`) are compiled into native segments. Anything else (Host
routes, custom `BaseRoute`s, overridden `matches()`, custom convertors) is an opaque barrier: its
`matches()` runs in Python at its place in the order, between the native segments around it, so the
first-registered-wins order is kept exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette import convertors
from starlette import routing as starlette_routing
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from ferroapi import _ferroapi
from ferroapi._routing.route import STOCK_HANDLE, APIRoute, APIWebSocketRoute, set_scope_effective_route
from ferroapi.telemetry._api import TELEMETRY_SEEN

__all__ = ["IncludedRouteMatcher", "NativeSegment", "RouteTable", "compile_table"]

_BUILTIN_CONVERTORS = frozenset(
    {
        convertors.StringConvertor,
        convertors.PathConvertor,
        convertors.IntegerConvertor,
        convertors.FloatConvertor,
        convertors.UUIDConvertor,
    }
)
_STOCK_MATCHES = frozenset(
    {
        starlette_routing.Route.matches,
        starlette_routing.WebSocketRoute.matches,
        starlette_routing.Mount.matches,
        APIRoute.matches,
        APIWebSocketRoute.matches,
    }
)


@dataclass(frozen=True, slots=True)
class NativeSegment:
    """Consecutive natively matchable routes; `routes[i]` is the route of native index i."""

    matcher: _ferroapi.Router
    routes: tuple[BaseRoute, ...]
    # routes[i].app when it is an API route with the stock handle(): dispatch calls it directly
    # (while `APIRoute.handle` itself is not replaced: dispatch checks that per request)
    fast_apps: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RouteTable:
    epoch: int
    redirect_slashes: bool
    segments: tuple[NativeSegment | BaseRoute, ...]
    # The common case, one native segment: resolve() also decides the slash redirect in that call.
    single: NativeSegment | None
    # Tried in Python only when nothing above matched and no redirect applies (frontends, mostly).
    low_priority: tuple[BaseRoute, ...] = ()


class IncludedRouteMatcher(BaseRoute):
    """An included route whose class overrides `matches()`: that method of the ORIGINAL route runs,
    with the effective route (merged prefix, methods...) in the scope, as FastAPI 0.165 does."""

    def __init__(self, effective: APIRoute) -> None:
        assert effective.original_route is not None
        self.effective = effective
        self.original: APIRoute = effective.original_route

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        previous = set_scope_effective_route(scope, self.effective)
        try:
            return self.original.matches(scope)
        finally:
            set_scope_effective_route(scope, previous)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        set_scope_effective_route(scope, self.effective)
        scope["route"] = self.original
        await self.original.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        return self.effective.url_path_for(name, **path_params)


def _table_entry(route: BaseRoute) -> BaseRoute:
    original = route.original_route if isinstance(route, APIRoute) else None
    if original is not None and type(original).matches is not APIRoute.matches:
        return IncludedRouteMatcher(route)  # type: ignore[arg-type]
    return route


def _spec(index: int, route: BaseRoute) -> tuple[int, str, int, Any] | None:
    if type(route).matches not in _STOCK_MATCHES:
        return None
    if any(type(c) not in _BUILTIN_CONVERTORS for c in getattr(route, "param_convertors", {}).values()):
        return None
    if isinstance(route, starlette_routing.Mount):
        return (index, route.path, _ferroapi.ROUTE_MOUNT, None)
    if not getattr(route, "path", "").startswith("/"):
        # FastAPI accepts `@app.get("")` / `@app.get("items")`: starlette compiles such a path as a
        # host-style pattern that never matches a request path. Its own matches() keeps that exact.
        return None
    if isinstance(route, starlette_routing.WebSocketRoute):
        return (index, route.path, _ferroapi.ROUTE_WEBSOCKET, None)
    if isinstance(route, starlette_routing.Route):
        methods = route.methods
        return (index, route.path, _ferroapi.ROUTE_HTTP, tuple(methods) if methods else None)
    return None


def _fast_app(route: BaseRoute) -> Any:
    if TELEMETRY_SEEN.value:
        return None  # observed requests go the slower way, which tells telemetry the chosen route
    if isinstance(route, APIRoute) and type(route).handle is STOCK_HANDLE:
        original = route.original_route
        if original is None or type(original).handle is STOCK_HANDLE:
            return route.app
    return None


def compile_table(
    routes: Sequence[BaseRoute],
    *,
    redirect_slashes: bool,
    epoch: int,
    low_priority: Sequence[BaseRoute] = (),
) -> RouteTable:
    segments: list[NativeSegment | BaseRoute] = []
    pending_specs: list[tuple[int, str, int, Any]] = []
    pending_routes: list[BaseRoute] = []

    def flush(redirect: bool) -> None:
        if pending_routes:
            matcher = _ferroapi.Router(list(pending_specs), redirect)
            fast = tuple(_fast_app(route) for route in pending_routes)
            segments.append(NativeSegment(matcher, tuple(pending_routes), fast))
            pending_specs.clear()
            pending_routes.clear()

    routes = [_table_entry(route) for route in routes]
    opaque = [_spec(0, route) is None for route in routes]
    single = not any(opaque)
    for route, is_opaque in zip(routes, opaque, strict=True):
        if is_opaque:
            flush(False)
            segments.append(route)
            continue
        spec = _spec(len(pending_routes), route)
        assert spec is not None
        pending_specs.append(spec)
        pending_routes.append(route)
    flush(redirect_slashes and single)
    only = segments[0] if single and len(segments) == 1 else None
    assert only is None or isinstance(only, NativeSegment)
    return RouteTable(
        epoch=epoch,
        redirect_slashes=redirect_slashes,
        segments=tuple(segments),
        single=only,
        low_priority=tuple(_table_entry(route) for route in low_priority),
    )
