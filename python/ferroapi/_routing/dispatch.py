"""One request through the route table: starlette's routing decision, made by the native matcher.

The decision is starlette's ordered scan, exactly: the first FULL match handles the request; else the
first PARTIAL match handles it (a 405 with `Allow`); else, with `redirect_slashes`, a redirect to the
path with the trailing slash toggled when that path would match; else the best low-priority route (a
frontend); else the router's default (404, or a WebSocket close). With a single native segment the
routing decision is one `resolve` call.
"""

from __future__ import annotations

from typing import Any

from starlette import routing as starlette_routing
from starlette._utils import get_route_path
from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from ferroapi import _ferroapi
from ferroapi._limits.body import answer_too_large, declared_too_large, route_body_limit
from ferroapi._limits.middleware import serve_under_limit
from ferroapi._pipeline.errors import track_response_start
from ferroapi._routing.inclusion.entry import IncludedRouter
from ferroapi._routing.observed import select_redirect_target, select_route
from ferroapi._routing.route import STOCK_HANDLE, APIRoute, APIWebSocketRoute, set_scope_effective_route
from ferroapi._routing.settings import RouterSettings
from ferroapi._routing.static_frontend.fallback import match_low_priority
from ferroapi._routing.static_frontend.routes import update_scope
from ferroapi._routing.table import NativeSegment, RouteTable
from ferroapi.telemetry._api import TELEMETRY_SEEN

__all__ = ["dispatch", "serve_selected"]

FOUND = _ferroapi.FOUND
METHOD_NOT_ALLOWED = _ferroapi.METHOD_NOT_ALLOWED
REDIRECT = _ferroapi.REDIRECT
SCOPE_HTTP = _ferroapi.SCOPE_HTTP
SCOPE_WEBSOCKET = _ferroapi.SCOPE_WEBSOCKET
_APP_CONTAINERS = (starlette_routing.Mount, starlette_routing.Host, IncludedRouter)


def _params(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    return raw if isinstance(raw, dict) else dict(raw)


async def _handle_full(
    router: RouterSettings, route: BaseRoute, raw_params: Any, scope: Scope, receive: Receive, send: Send
) -> None:
    if TELEMETRY_SEEN.value:
        select_route(scope, route)
    if isinstance(route, starlette_routing.Mount):
        _, child_scope = route.matches(scope)
        scope.update(child_scope)
        await _handle_limited(router, route, scope, receive, send)
        return
    params = _params(raw_params)
    inherited = scope.get("path_params")
    scope["path_params"] = {**inherited, **params} if inherited else params
    scope["endpoint"] = route.endpoint  # type: ignore[attr-defined]
    if isinstance(route, APIRoute):
        original = route.original_route
        if original is not None:
            set_scope_effective_route(scope, route)
        target = original or route
        scope["route"] = target
        if declared_too_large(scope, route.max_body_size):
            await answer_too_large(scope, receive, send)
        elif type(target).handle is STOCK_HANDLE:
            await route.app(scope, receive, send)
        else:
            await target.handle(scope, receive, send)
        return
    if isinstance(route, APIWebSocketRoute):
        scope["route"] = route
    await _handle_limited(router, route, scope, receive, send)


async def _handle_limited(
    router: RouterSettings, route: BaseRoute, scope: Scope, receive: Receive, send: Send
) -> None:
    """A route that is not an API route (a mount, a frontend, a starlette route), under the body limit
    of the inclusion it came from (`_limits.body.with_body_limit`), else of the router."""
    if scope["type"] != "http":
        await route.handle(scope, receive, send)
        return
    limit = route_body_limit(route, router.max_body_size)
    await serve_under_limit(
        route.handle,
        limit,
        scope,
        receive,
        track_response_start(scope, send),
        mounts_apps=isinstance(route, _APP_CONTAINERS),
    )


async def _handle_partial(
    router: RouterSettings, route: BaseRoute, child_scope: Scope, scope: Scope, receive: Receive, send: Send
) -> None:
    scope.update(child_scope)
    if TELEMETRY_SEEN.value:
        select_route(scope, route)
    if declared_too_large(scope, router.max_body_size):
        await answer_too_large(scope, receive, send)
        return
    await route.handle(scope, receive, send)


def _partial_scope(route: BaseRoute, raw_params: Any, scope: Scope) -> Scope:
    params = _params(raw_params)
    inherited = scope.get("path_params")
    child: Scope = {
        "endpoint": getattr(route, "endpoint", None),
        "path_params": {**inherited, **params} if inherited else params,
    }
    if isinstance(route, APIRoute):
        child["route"] = route.original_route or route
    return child


def _toggled(path: str) -> str:
    return path.rstrip("/") if path.endswith("/") else path + "/"


async def _redirect(router: RouterSettings, scope: Scope, receive: Receive, send: Send) -> None:
    if declared_too_large(scope, router.max_body_size):
        await answer_too_large(scope, receive, send)
        return
    redirect_scope = dict(scope)
    redirect_scope["path"] = _toggled(scope["path"])
    await RedirectResponse(url=str(URL(scope=redirect_scope)))(scope, receive, send)


async def _not_found(
    router: RouterSettings, table: RouteTable, scope: Scope, receive: Receive, send: Send
) -> None:
    if declared_too_large(scope, router.max_body_size):
        await answer_too_large(scope, receive, send)
        return
    if table.low_priority:
        found = match_low_priority(table.low_priority, scope)
        if found is not None:
            await _handle_low_priority(router, found[0], found[1], scope, receive, send)
            return
    await router.default(scope, receive, send)


async def _handle_low_priority(
    router: RouterSettings, route: BaseRoute, child_scope: Scope, scope: Scope, receive: Receive, send: Send
) -> None:
    update_scope(scope, child_scope)
    if TELEMETRY_SEEN.value:
        select_route(scope, route)  # a frontend group tells its own template when it serves
    if not isinstance(route, APIRoute):
        await _handle_limited(router, route, scope, receive, send)
        return
    original = route.original_route
    if original is not None:
        set_scope_effective_route(scope, route)
        scope["route"] = original
    if declared_too_large(scope, route.max_body_size):
        await answer_too_large(scope, receive, send)
        return
    await (original or route).handle(scope, receive, send)


async def serve_selected(
    router: RouterSettings,
    route: BaseRoute,
    match: Match,
    child_scope: Scope,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """A route chosen outside the table (by an inclusion whose router has routing hooks)."""
    if match is not Match.FULL:
        await _handle_partial(router, route, child_scope, scope, receive, send)
        return
    scope.update(child_scope)
    if isinstance(route, (APIRoute, starlette_routing.Mount)):
        await _handle_full(router, route, None, scope, receive, send)
    else:
        if TELEMETRY_SEEN.value:
            select_route(scope, route)
        await _handle_limited(router, route, scope, receive, send)


async def dispatch(
    router: RouterSettings, table: RouteTable, scope: Scope, receive: Receive, send: Send
) -> None:
    kind = SCOPE_HTTP if scope["type"] == "http" else SCOPE_WEBSOCKET
    method = scope.get("method", "")
    path = scope["path"] if not scope.get("root_path") else get_route_path(scope)
    single = table.single
    if single is None:
        await _scan(router, table, kind, method, path, scope, receive, send)
        return
    code, index, extra = single.matcher.resolve(kind, method, path)
    if code == FOUND:
        app = single.fast_apps[index]
        if app is None or APIRoute.handle is not STOCK_HANDLE:  # an APM agent wraps `handle`
            await _handle_full(router, single.routes[index], extra, scope, receive, send)
            return
        # The hot path: an API route found in one native call.
        route = single.routes[index]
        inherited = scope.get("path_params")
        scope["path_params"] = {**inherited, **extra} if inherited else extra
        scope["endpoint"] = route.endpoint  # type: ignore[attr-defined]
        original = route.original_route  # type: ignore[attr-defined]
        if original is None:
            scope["route"] = route
        else:
            scope["route"] = original
            set_scope_effective_route(scope, route)
        limit = route.max_body_size  # type: ignore[attr-defined]
        if limit is not None:
            # Only a request declaring a length is checked (`declared_too_large`): found inline.
            for key, _ in scope["headers"]:
                if key == b"content-length":
                    if declared_too_large(scope, limit):
                        await answer_too_large(scope, receive, send)
                        return
                    break
        await app(scope, receive, send)
    elif code == METHOD_NOT_ALLOWED:
        route = single.routes[index]
        await _handle_partial(router, route, _partial_scope(route, extra, scope), scope, receive, send)
    elif code == REDIRECT:
        if TELEMETRY_SEEN.value:
            select_redirect_target(table, scope, kind, _toggled(path))
        await _redirect(router, scope, receive, send)
    else:
        await _not_found(router, table, scope, receive, send)


async def _scan(
    router: RouterSettings,
    table: RouteTable,
    kind: int,
    method: str,
    path: str,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Several segments: native segments and opaque routes in order, then the same fallbacks."""
    partial: tuple[BaseRoute, Scope] | None = None
    for segment in table.segments:
        if isinstance(segment, NativeSegment):
            code, index, extra = segment.matcher.resolve(kind, method, path)
            if code == FOUND:
                await _handle_full(router, segment.routes[index], extra, scope, receive, send)
                return
            if code == METHOD_NOT_ALLOWED and partial is None:
                route = segment.routes[index]
                partial = (route, _partial_scope(route, extra, scope))
            continue
        match, child_scope = segment.matches(scope)
        if match is Match.FULL:
            scope.update(child_scope)
            if TELEMETRY_SEEN.value:
                select_route(scope, segment)
            await _handle_limited(router, segment, scope, receive, send)
            return
        if match is Match.PARTIAL and partial is None:
            partial = (segment, child_scope)
    if partial is not None:
        await _handle_partial(router, partial[0], partial[1], scope, receive, send)
    elif (
        scope["type"] == "http"
        and router.redirect_slashes
        and path != "/"
        and _any_match(table, kind, scope, path)
    ):
        if TELEMETRY_SEEN.value:
            select_redirect_target(table, scope, kind, _toggled(path))
        await _redirect(router, scope, receive, send)
    else:
        await _not_found(router, table, scope, receive, send)


def _any_match(table: RouteTable, kind: int, scope: Scope, path: str) -> bool:
    toggled_path = _toggled(path)
    redirect_scope = dict(scope)
    redirect_scope["path"] = _toggled(scope["path"])
    for segment in table.segments:
        if isinstance(segment, NativeSegment):
            if segment.matcher.matches_any(kind, toggled_path):
                return True
        elif segment.matches(redirect_scope)[0] is not Match.NONE:
            return True
    return False
