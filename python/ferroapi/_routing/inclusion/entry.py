"""The entry `include_router` leaves in the parent's routes, and how requests reach its routes.

Most inclusions are flattened into the parent's route table (`dispatch_candidates` yields their
effective routes). The inclusion of a router overriding `matches` or `handle` stays one opaque entry:
its hooks are consulted per request, and `APIRouter.matches`/`handle` reached through `super()` select
among the routes under the inclusion's prefix (`selecting_inclusion`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from ferroapi._limits.body import with_body_limit
from ferroapi._routing.inclusion.inherit import IncludeContext, check_prefix
from ferroapi._routing.route import APIRoute
from ferroapi._routing.settings import RouterSettings
from ferroapi.exceptions import FastAPIError

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

__all__ = ["IncludedRouter", "check_inclusion", "selecting_inclusion"]


class IncludedRouter(BaseRoute):
    """The entry `include_router` leaves in the parent's routes."""

    def __init__(self, original_router: RouterSettings, include_context: IncludeContext) -> None:
        self.original_router = original_router
        self.include_context = include_context
        self._cache: dict[int, tuple[BaseRoute, BaseRoute | None]] = {}
        self._nested_cache: dict[int, tuple[IncludedRouter, IncludedRouter]] = {}
        # FastAPI's candidate lists, rebuilt once per routes version, by one thread at a time.
        self._effective_routes_lock = threading.Lock()
        self._effective_candidates: list[BaseRoute] = []
        self._effective_candidates_version: int | None = None
        self._effective_low_priority_routes: list[BaseRoute] = []
        self._effective_low_priority_routes_version: int | None = None

    def __repr__(self) -> str:
        return f"IncludedRouter(prefix={self.include_context.prefix!r}, router={self.original_router!r})"

    def effective_routes(self) -> Iterator[BaseRoute]:
        """The routes this inclusion contributes, in order (nested inclusions flattened)."""
        return self._walk(IncludedRouter.effective_routes)

    # FastAPI's name for the same walk.
    effective_route_contexts = effective_routes

    def dispatch_candidates(self) -> Iterator[BaseRoute]:
        """What the parent's route table gets: this inclusion as one opaque entry when its router
        overrides `matches`/`handle` (they are consulted per request), else its routes."""
        if self.original_router.has_routing_hooks:
            yield with_body_limit(self, self.include_context.max_body_size)
            return
        yield from self._candidates()

    def _candidates(self) -> Iterator[BaseRoute]:
        return self._walk(IncludedRouter.dispatch_candidates)

    def _walk(self, nested: Callable[[IncludedRouter], Iterator[BaseRoute]]) -> Iterator[BaseRoute]:
        """This router's routes as effective routes; a nested inclusion contributes `nested(it)`."""
        for route in list(self.original_router.routes):
            if isinstance(route, IncludedRouter):
                yield from nested(self.nested(route))
                continue
            effective = self.effective(route)
            if effective is not None:
                yield effective

    def nested(self, inner: IncludedRouter) -> IncludedRouter:
        """`inner`, an inclusion inside this inclusion's router, as seen through this one."""
        cached = self._nested_cache.get(id(inner))
        if cached is not None and cached[0] is inner:
            return cached[1]
        nested = IncludedRouter(inner.original_router, inner.include_context.within(self.include_context))
        self._nested_cache[id(inner)] = (inner, nested)
        return nested

    def effective(self, route: BaseRoute) -> BaseRoute | None:
        """`route` of this inclusion's router as the inclusion serves it (prefix, dependencies,
        limits...), built once per route; None for a route the inclusion leaves out."""
        context = self.include_context
        cached = self._cache.get(id(route))
        if cached is not None and cached[0] is route:
            return cached[1]
        effective: BaseRoute | None
        if isinstance(route, APIRoute):
            effective = context.api_route(route)
        else:
            effective = context.other_route(route)
            if effective is not None:
                effective.original_route = route  # type: ignore[attr-defined]
                # FastAPI's effective route context names the rebuilt route so.
                effective.starlette_route = effective  # type: ignore[attr-defined]
                with_body_limit(effective, context.max_body_size)
        self._cache[id(route)] = (route, effective)
        return effective

    # BaseRoute protocol: used by the route table for an inclusion with routing hooks, and by code
    # that walks routes itself (other inclusions are flattened into the table).
    def select(self, scope: Scope) -> tuple[Match, Scope, BaseRoute | None]:
        """starlette's choice among this inclusion's routes: the first FULL match, else the first PARTIAL."""
        partial: tuple[Scope, BaseRoute] | None = None
        for route in self._candidates():
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, child_scope, route
            if match is Match.PARTIAL and partial is None:
                partial = (child_scope, route)
        if partial is not None:
            return Match.PARTIAL, partial[0], partial[1]
        return Match.NONE, {}, None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # As FastAPI's `_IncludedRouter.matches`: the match, and an empty child scope (`handle`
        # selects the route again and fills the scope; metrics libraries rely on this shape).
        if self.original_router.has_routing_hooks:
            with _selecting(scope, self):  # the router's `matches` answers for this inclusion
                match, _ = self.original_router.matches(scope)
                return match, {}
        match, _, _ = self.select(scope)
        return match, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.original_router.has_routing_hooks:
            with _selecting(scope, self):
                await self.original_router.handle(scope, receive, send)
            return
        await self.handle_selected(scope, receive, send)

    async def handle_selected(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the route `select` picks, as the app's dispatcher serves its own."""
        router = self.original_router
        match, child_scope, route = self.select(scope)
        if route is None:
            await router.not_found(scope, receive, send)
            return
        # The dispatcher (above this module) serves it, reached through the router that holds it.
        await router.serve_selected(router, route, match, child_scope, scope, receive, send)

    # FastAPI's private names for the same, which tests and integrations reach for.
    def effective_candidates(self) -> list[BaseRoute]:
        """The candidates, one list object per routes version (built under the lock, rechecked)."""
        version = self.original_router._get_routes_version()
        if version == self._effective_candidates_version:
            return self._effective_candidates
        with self._effective_routes_lock:
            version = self.original_router._get_routes_version()
            if version != self._effective_candidates_version:
                self._effective_candidates = list(self._candidates())
                self._effective_candidates_version = version
            return self._effective_candidates

    _handle_selected = handle_selected

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.effective_routes():
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


# While an inclusion consults its router's own `matches`/`handle`, the scope names the inclusion, so
# `APIRouter.matches`/`handle` (reached through `super()`) answer for the routes under its prefix.
_SELECTING_KEY = "ferroapi.selecting_inclusion"
_MISSING = object()


def selecting_inclusion(scope: Scope) -> IncludedRouter | None:
    inclusion = scope.get(_SELECTING_KEY)
    return inclusion if isinstance(inclusion, IncludedRouter) else None


@contextmanager
def _selecting(scope: Scope, inclusion: IncludedRouter) -> Iterator[None]:
    previous = scope.get(_SELECTING_KEY, _MISSING)
    scope[_SELECTING_KEY] = inclusion
    try:
        yield
    finally:
        if previous is _MISSING:
            scope.pop(_SELECTING_KEY, None)
        else:
            scope[_SELECTING_KEY] = previous


def _includes(container: RouterSettings, router: RouterSettings, seen: set[int]) -> bool:
    """Whether `container` includes `router`, directly or through inclusions (cycles stop the walk)."""
    if id(container) in seen:
        return False
    seen.add(id(container))
    return any(
        isinstance(route, IncludedRouter)
        and (route.original_router is router or _includes(route.original_router, router, seen))
        for route in container.routes
    )


def check_inclusion(parent: RouterSettings, router: RouterSettings, prefix: str) -> None:
    """FastAPI's refusals: a router into itself or into a router it includes, a bad prefix, and an
    empty prefix in front of a route with an empty path."""
    assert parent is not router, (
        "Cannot include the same APIRouter instance into itself. Did you mean to include a different router?"
    )
    assert not _includes(router, parent, set()), (
        "Cannot include an APIRouter instance that already includes this router. "
        "Did you mean to include a different router?"
    )
    check_prefix(prefix)
    if not prefix:
        for route in router.effective_routes():
            path = getattr(route, "path", None)
            if path is not None and not path:
                name = getattr(route, "name", "unknown")
                raise FastAPIError(f"Prefix and path cannot be both empty (path operation: {name})")
