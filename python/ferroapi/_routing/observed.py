"""Routing for observed requests: the route template the router chose, told to the request's
telemetry (`http.route`, the span name), at the places FastAPI's router tells it.

Nothing here runs before a request of the process is observed (`TELEMETRY_SEEN`): the dispatcher
tests that flag on its slower paths only, and `observe_requests` makes the compiled tables send
every API route through the slower path (`table.fast_apps` holds no app then), so the fast path has
no test at all.
"""

from __future__ import annotations

from typing import Any

from starlette import routing as starlette_routing
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from ferroapi import _ferroapi
from ferroapi._pipeline.hooks import observe_telemetry
from ferroapi._routing.routelist import mark_routes_changed
from ferroapi._routing.table import IncludedRouteMatcher, NativeSegment, RouteTable
from ferroapi.telemetry._api import TELEMETRY_SEEN, _route_selected

__all__ = ["observe_requests", "select_redirect_target", "select_route"]

_FOUND = _ferroapi.FOUND
_METHOD_NOT_ALLOWED = _ferroapi.METHOD_NOT_ALLOWED


def observe_requests() -> None:
    """The first observed request of the process: switch the pipeline and the tables over."""
    if TELEMETRY_SEEN.value:
        return
    observe_telemetry()
    mark_routes_changed()


def _template(route: Any) -> str | None:
    if isinstance(route, IncludedRouteMatcher):
        route = route.effective
    return getattr(route, "path_format", None)


def select_route(scope: Scope, route: BaseRoute) -> None:
    """`route` handles the request (a Mount: its prefix, the mounted app chooses the rest)."""
    _route_selected(scope=scope, path=_template(route), mount=isinstance(route, starlette_routing.Mount))


def select_redirect_target(table: RouteTable, scope: Scope, kind: int, toggled_path: str) -> None:
    """A slash redirect: the route the other spelling of the path matches names the request."""
    method = scope.get("method", "")
    redirect_scope = dict(scope)
    path = scope["path"]
    redirect_scope["path"] = path.rstrip("/") if path.endswith("/") else path + "/"
    for segment in table.segments:
        if isinstance(segment, NativeSegment):
            code, index, _ = segment.matcher.resolve(kind, method, toggled_path)
            if code in (_FOUND, _METHOD_NOT_ALLOWED):
                _route_selected(scope=scope, path=_template(segment.routes[index]))
                return
        elif segment.matches(redirect_scope)[0] is not Match.NONE:
            _route_selected(scope=scope, path=_template(segment))
            return
