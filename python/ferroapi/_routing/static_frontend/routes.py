"""`frontend()`: a static frontend build (`dist/`) served as low-priority routes, as FastAPI 0.165 does.

A router keeps its frontends in one `FrontendRouteGroup` among its low-priority routes: they are tried
only when no normal route matched (nor a slash redirect), and among several frontends the longest
matching prefix wins. The router's (and its inclusions') dependencies run before a file is served;
which file is served is `files`'s decision.

The frontend is chosen on the path the file is resolved from: the request path with empty and `.`
segments dropped and `..` applied (`normalized_route_path`). FastAPI 0.165 chooses on the raw path, so
`//admin/x`, `/./admin/x` or `/a/../admin/x` reach the files under `/admin` through the `/` frontend,
past the dependencies that guard `/admin`. A path whose `..` climbs above the root matches no frontend
(FastAPI serves no file for it either). The dependencies also run before another method is answered:
its 405 (the file exists) or 404 would tell a caller they refuse what is behind them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from ferroapi._lifecycle import Lifecycle
from ferroapi._routing.route import SCOPE_KEYS, build_dependant, scope_effective_route
from ferroapi._routing.scope import fastapi_scope
from ferroapi._routing.settings import RouterSettings
from ferroapi._routing.static_frontend.files import PATH_KEY, Fallback, FrontendStaticFiles
from ferroapi.dependencies.analyze import get_flat_dependant, should_embed_body_fields
from ferroapi.dependencies.solve import solve
from ferroapi.exceptions import RequestValidationError
from ferroapi.telemetry._api import TELEMETRY_SEEN, _route_selected

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

    from ferroapi.dependencies.models import Dependant
    from ferroapi.params import Depends

__all__ = [
    "FrontendRoute",
    "FrontendRouteGroup",
    "IncludedFrontendGroup",
    "add_frontend",
    "join_frontend_paths",
    "normalize_frontend_path",
    "normalized_route_path",
    "update_scope",
]

_FALLBACKS = ("auto", "index.html", "404.html", None)
# Key of FastAPI's private scope dict: how specific the matched frontend's prefix is.
SPECIFICITY_KEY = "frontend_specificity"


def normalize_frontend_path(path: str) -> str:
    if not path:
        raise AssertionError("A frontend path cannot be empty")
    if not path.startswith("/"):
        raise AssertionError("A frontend path must start with '/'")
    return path if path == "/" else path.rstrip("/")


def normalized_route_path(route_path: str) -> str | None:
    """`route_path` as the file lookup reads it: empty and `.` segments dropped, `..` applied (a
    trailing slash dropped too); None when a `..` climbs above the root."""
    if "//" not in route_path and "/." not in route_path:
        return route_path  # already normal: the common case costs two substring scans
    segments: list[str] = []
    for segment in route_path.split("/"):
        if segment == "..":
            if not segments:
                return None
            segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    return "/" + "/".join(segments)


def join_frontend_paths(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix if path == "/" else prefix + path


def _specificity(path: str) -> int:
    return 0 if path == "/" else len(path)


def update_scope(scope: Scope, child_scope: Scope) -> None:
    """`scope.update(child_scope)`, merging the private dict instead of replacing it."""
    private = child_scope.get("fastapi")
    if isinstance(private, dict):
        child_scope = {key: value for key, value in child_scope.items() if key not in SCOPE_KEYS}
        fastapi_scope(scope).update(private)
    scope.update(child_scope)


def frontend_specificity(child_scope: Scope) -> int | None:
    private = child_scope.get("fastapi")
    value = private.get(SPECIFICITY_KEY) if isinstance(private, dict) else None
    return value if isinstance(value, int) else None


class FrontendRoute(BaseRoute):
    """One `frontend(path, directory=...)`: matches `path` and everything under it (GET/HEAD)."""

    def __init__(
        self, path: str, *, directory: str | os.PathLike[str], fallback: Fallback = "auto", check_dir: bool
    ) -> None:
        if fallback not in _FALLBACKS:
            raise AssertionError("fallback must be 'auto', 'index.html', '404.html', or None")
        self.path = normalize_frontend_path(path)
        self.methods = {"GET", "HEAD"}
        self.app = FrontendStaticFiles(directory=directory, fallback=fallback, check_dir=check_dir)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.matches_with_path(scope, self.path)

    def matches_with_path(self, scope: Scope, path: str) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        route_path = normalized_route_path(get_route_path(scope))
        if route_path is None:
            return Match.NONE, {}
        if path == "/":
            file_path: str | None = route_path.lstrip("/")
        elif route_path == path:
            file_path = ""
        elif route_path.startswith(path + "/"):
            file_path = route_path[len(path) + 1 :]
        else:
            file_path = None
        if file_path is None:
            return Match.NONE, {}
        private = {PATH_KEY: file_path, SPECIFICITY_KEY: _specificity(path)}
        child_scope = {"fastapi": private, "ferroapi": private}
        return (Match.FULL if scope["method"] in self.methods else Match.PARTIAL), child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.app.get_response_for_scope(scope)
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


def _frontend_endpoint() -> None:
    """The dependant's call: frontend dependencies run with no endpoint after them."""


def _frontend_dependant(dependencies: Sequence[Depends]) -> tuple[Dependant, bool]:
    dependant = build_dependant(path="", call=_frontend_endpoint, dependencies=dependencies)
    embed = should_embed_body_fields(get_flat_dependant(dependant).body_params)
    return dependant, embed


class FrontendRouteGroup(BaseRoute):
    """A router's frontends, one low-priority route: the longest matching prefix wins."""

    def __init__(
        self, *, dependencies: Sequence[Depends] | None = None, dependency_overrides_provider: Any = None
    ) -> None:
        self.routes: list[FrontendRoute] = []
        self.dependencies = list(dependencies or [])
        self.dependency_overrides_provider = dependency_overrides_provider
        self.dependant, self._embed_body_fields = _frontend_dependant(self.dependencies)

    def add_frontend_route(
        self, path: str, *, directory: str | os.PathLike[str], fallback: Fallback = "auto", check_dir: bool
    ) -> None:
        self.routes.append(FrontendRoute(path, directory=directory, fallback=fallback, check_dir=check_dir))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope, _ = self._match(scope, "")
        return match, child_scope

    def matches_with_prefix(self, scope: Scope, prefix: str) -> tuple[Match, Scope]:
        match, child_scope, _ = self._match(scope, prefix)
        return match, child_scope

    def _match(self, scope: Scope, prefix: str) -> tuple[Match, Scope, FrontendRoute | None]:
        best: tuple[Match, Scope, FrontendRoute | None] = (Match.NONE, {}, None)
        best_specificity = -1
        for route in self.routes:
            path = join_frontend_paths(prefix, route.path)
            match, child_scope = route.matches_with_path(scope, path)
            if match is Match.NONE:
                continue
            specificity = _specificity(path)
            # A FULL match beats any PARTIAL one; among equals, the longer prefix (first on a tie).
            if match.value > best[0].value or (match is best[0] and specificity > best_specificity):
                best, best_specificity = (match, child_scope, route), specificity
        return best

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        effective = scope_effective_route(scope)
        context = (
            effective if isinstance(effective, IncludedFrontendGroup) and effective.group is self else None
        )
        prefix = context.prefix if context is not None else ""
        _, child_scope, route = self._match(scope, prefix)
        if route is None:
            raise HTTPException(status_code=404)
        update_scope(scope, child_scope)
        if TELEMETRY_SEEN.value:
            template = join_frontend_paths(prefix, route.path).rstrip("/") + "/{path}"
            _route_selected(scope=scope, path=template)
        dependant = context.dependant if context is not None else self.dependant
        # Any method: a 405 (file exists) or 404 must not answer a request the dependencies refuse.
        if dependant.dependencies:
            provider = self.dependency_overrides_provider if context is None else context.overrides_provider
            embed = self._embed_body_fields if context is None else context.embed_body_fields
            await _serve_with_dependencies(route, dependant, provider, embed, scope, receive, send)
            return
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


async def _serve_with_dependencies(
    route: FrontendRoute,
    dependant: Dependant,
    overrides_provider: Any,
    embed_body_fields: bool,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Solve the frontend's dependencies, then send the file with what they added (headers, cookies,
    background tasks); yield-dependencies are torn down after the response is sent (`Lifecycle.run`)."""
    lifecycle = Lifecycle()

    async def respond(request: Request) -> Response:
        solved = await solve(
            request=request,
            dependant=dependant,
            lifecycle=lifecycle,
            dependency_overrides_provider=overrides_provider,
            embed_body_fields=embed_body_fields,
        )
        if solved.errors:
            raise RequestValidationError(solved.errors)
        response = await route.app.get_response_for_scope(scope)
        if response.background is None:
            response.background = solved.background_tasks
        if solved.response_used:
            response.headers.raw.extend(solved.response.headers.raw)
        return response

    await lifecycle.run(respond, Request(scope, receive, send), scope, receive, send)


class IncludedFrontendGroup(BaseRoute):
    """A router's frontend group as an inclusion serves it: under the inclusion's prefix, behind its
    dependencies (FastAPI's effective route context of the group)."""

    def __init__(
        self,
        group: FrontendRouteGroup,
        *,
        prefix: str,
        dependencies: Sequence[Depends],
        overrides_provider: Any,
    ) -> None:
        self.group = self.original_route = group
        self.prefix = self.frontend_prefix = prefix
        self.dependencies = [*dependencies, *group.dependencies]
        self.overrides_provider = self.dependency_overrides_provider = overrides_provider
        self.dependant, self.embed_body_fields = _frontend_dependant(self.dependencies)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return self.group.matches_with_prefix(scope, self.prefix)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        fastapi_scope(scope)["effective_route_context"] = self
        await self.group.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)


def add_frontend(
    router: RouterSettings,
    path: str,
    *,
    directory: str | os.PathLike[str],
    fallback: Fallback,
    check_dir: bool,
) -> None:
    """`router.frontend(...)`: one more frontend in the router's group (created on first use)."""
    normalized = normalize_frontend_path(path)
    group = router._frontend_routes
    if group is None:
        group = router._frontend_routes = FrontendRouteGroup(
            dependencies=router.dependencies,
            dependency_overrides_provider=router.dependency_overrides_provider,
        )
        router._low_priority_routes.append(group)
    full_path = join_frontend_paths(router.prefix, normalized)
    group.add_frontend_route(full_path, directory=directory, fallback=fallback, check_dir=check_dir)
    router._mark_routes_changed()
