"""The fallback routes: tried only when no route of the table matched and no slash redirect applies.

FastAPI 0.165 calls them low-priority routes and keeps them apart from `router.routes`
(`router._low_priority_routes`); the only ones it has are the frontends (`frontend()` puts its group
there), hence this module's place beside them. The candidates of a router are its own, in order,
then those of each included router (recursively, under the inclusion's prefix and dependencies).
They are flattened into the compiled route table, so a request never walks the inclusions. The first
FULL match wins, else the first PARTIAL one, except that a more specific frontend prefix beats a less
specific frontend.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from ferroapi._limits.body import with_body_limit
from ferroapi._routing.inclusion.entry import IncludedRouter
from ferroapi._routing.routelist import _Epoch
from ferroapi._routing.settings import RouterSettings
from ferroapi._routing.static_frontend.routes import (
    FrontendRouteGroup,
    IncludedFrontendGroup,
    frontend_specificity,
)

__all__ = ["IncludedRouterEntry", "included_low_priority_routes", "low_priority_routes", "match_low_priority"]

# Per inclusion: (epoch, its low-priority routes), and its effective frontend groups by group.
_flattened: weakref.WeakKeyDictionary[IncludedRouter, tuple[int, list[BaseRoute]]] = (
    weakref.WeakKeyDictionary()
)
_groups: weakref.WeakKeyDictionary[
    IncludedRouter, dict[int, tuple[FrontendRouteGroup, IncludedFrontendGroup]]
] = weakref.WeakKeyDictionary()


def low_priority_routes(router: RouterSettings) -> list[BaseRoute]:
    """The router's low-priority candidates in FastAPI's order (own first, then the inclusions')."""
    candidates: list[BaseRoute] = list(router._low_priority_routes)
    for route in list(router.routes):
        if isinstance(route, IncludedRouter):
            candidates.extend(included_low_priority_routes(route))
    return candidates


def included_low_priority_routes(included: IncludedRouter) -> list[BaseRoute]:
    """What an inclusion contributes, cached until any route list changes."""
    cached = _flattened.get(included)
    epoch = _Epoch.value
    if cached is not None and cached[0] == epoch:
        return cached[1]
    router = included.original_router
    candidates: list[BaseRoute] = []
    for route in list(router._low_priority_routes):
        effective = _as_included(included, route)
        if effective is not None:
            candidates.append(effective)
    for route in list(router.routes):
        if isinstance(route, IncludedRouter):
            candidates.extend(included_low_priority_routes(included.nested(route)))
    _flattened[included] = (epoch, candidates)
    return candidates


def _as_included(included: IncludedRouter, route: BaseRoute) -> BaseRoute | None:
    """A fallback route as `included` serves it: a frontend group under the inclusion's prefix and
    dependencies (one wrapper per group), anything else as the inclusion rebuilds its routes."""
    if not isinstance(route, FrontendRouteGroup):
        return included.effective(route)
    groups = _groups.setdefault(included, {})
    cached = groups.get(id(route))
    if cached is not None and cached[0] is route:
        return cached[1]
    context = included.include_context
    effective = IncludedFrontendGroup(
        route,
        prefix=context.prefix,
        dependencies=context.dependencies,
        overrides_provider=context.dependency_overrides_provider,
    )
    with_body_limit(effective, context.max_body_size)
    groups[id(route)] = (route, effective)
    return effective


class IncludedRouterEntry(IncludedRouter):
    """The entry `include_router` leaves in the parent's routes, with FastAPI's low-priority view."""

    def effective_low_priority_routes(self) -> list[BaseRoute]:
        """One list object per routes version (built under the lock, the version rechecked there)."""
        version = self.original_router._get_routes_version()
        if version == self._effective_low_priority_routes_version:
            return self._effective_low_priority_routes
        with self._effective_routes_lock:
            version = self.original_router._get_routes_version()
            if version != self._effective_low_priority_routes_version:
                self._effective_low_priority_routes = included_low_priority_routes(self)
                self._effective_low_priority_routes_version = version
            return self._effective_low_priority_routes


def match_low_priority(candidates: Iterable[BaseRoute], scope: Scope) -> tuple[BaseRoute, Scope] | None:
    full: tuple[BaseRoute, Scope] | None = None
    partial: tuple[BaseRoute, Scope] | None = None
    for candidate in candidates:
        match, child_scope = candidate.matches(scope)
        if match is Match.FULL:
            if full is None or _more_specific(child_scope, full[1]):
                full = (candidate, child_scope)
        elif match is Match.PARTIAL and (partial is None or _more_specific(child_scope, partial[1])):
            partial = (candidate, child_scope)
    return full or partial


def _more_specific(child_scope: Scope, previous: Scope) -> bool:
    """Only frontends compare by prefix length; otherwise the first match stays."""
    specificity = frontend_specificity(child_scope)
    before = frontend_specificity(previous)
    return specificity is not None and before is not None and specificity > before
