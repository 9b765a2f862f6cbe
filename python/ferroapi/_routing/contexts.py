"""Routes as the app serves them: FastAPI's `RouteContext` and the walks over an app's routes that
flatten inclusions into their effective routes.

`include_router` leaves an `IncludedRouter` in the parent's routes; what it contributes are effective
routes (`inclusion/entry.py`): for an API route, an `APIRoute` built with the inclusion's merged options whose
`original_route` is the route the user registered; for another route, a copy under the inclusion's
prefix (its own `starlette_route`) with `original_route` set. A `RouteContext` pairs the registered
route with its effective one. (FastAPI's own class for effective routes: `effective_context.py`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import BaseRoute

from ferroapi._routing.inclusion.entry import IncludedRouter
from ferroapi._routing.route import APIRoute

__all__ = [
    "RouteContext",
    "is_effective_route",
    "iter_included_route_candidates",
    "iter_route_contexts",
    "iter_routes_with_context",
]


def is_effective_route(value: object) -> bool:
    """Whether `value` is a route an inclusion built (it names the route it stands for)."""
    return isinstance(value, BaseRoute) and getattr(value, "original_route", None) is not None


def _original(route: BaseRoute) -> BaseRoute:
    original = getattr(route, "original_route", None)
    return original if isinstance(original, BaseRoute) else route


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


def iter_routes_with_context(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, BaseRoute | None]]:
    """(registered route, its effective route or None) in dispatch order, inclusions flattened."""
    for route in routes:
        if isinstance(route, IncludedRouter):
            for effective in route.effective_routes():
                yield _original(effective), effective
        else:
            yield route, None


def iter_route_contexts(routes: Sequence[BaseRoute | RouteContext]) -> Iterator[RouteContext]:
    """The routes in dispatch order, included routers flattened, each with its effective attributes."""
    for route in routes:
        if isinstance(route, RouteContext):
            yield route
            continue
        for original, effective in iter_routes_with_context([route]):
            yield RouteContext(original, effective)


def iter_included_route_candidates(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes in dispatch order, included routers flattened: an API route as it was declared,
    any other route as the inclusion rebuilt it under its prefix (FastAPI's private helper)."""
    for route in routes:
        if isinstance(route, IncludedRouter):
            for effective in route.effective_routes():
                declared = effective.original_route if isinstance(effective, APIRoute) else None
                yield declared or effective
        else:
            yield route
