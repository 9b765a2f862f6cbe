"""`include_router`: what an included router's routes inherit, and the routes it contributes.

Inclusion is lazy, as in FastAPI 0.165: the parent keeps an `IncludedRouter` entry, and routes added to
the included router later still appear. The merge rules (FastAPI's): prefixes concatenate (outermost
first); tags, dependencies and callbacks concatenate; responses merge (inner wins); deprecated is OR-ed
and include_in_schema AND-ed; response class, unique-id function, strict_content_type and
max_body_size take the innermost explicit value; dependency overrides come from the outermost router.
Each included route becomes an effective route: a route of the same class built with the merged
options, cached per original route.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from starlette import routing as starlette_routing
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound, compile_path
from starlette.types import Receive, Scope, Send

from ferroapi._pipeline.handler import RouteApp
from ferroapi._pipeline.limits import first_limit
from ferroapi._routing.options import STREAM_OPTIONS
from ferroapi._routing.route import APIRoute, APIWebSocketRoute, effective_route_context_var
from ferroapi.datastructures import Default, DefaultPlaceholder
from ferroapi.dependencies.reuse import SharedAnalyses, analysis_base
from ferroapi.exceptions import FastAPIError
from ferroapi.utils import generate_unique_id, get_value_or_default

if TYPE_CHECKING:
    from starlette.datastructures import URLPath

    from ferroapi._routing.router import APIRouter
    from ferroapi.params import Depends

__all__ = [
    "BODY_LIMIT_ATTRIBUTE",
    "IncludeContext",
    "IncludedRouter",
    "check_inclusion",
    "check_prefix",
    "selecting_inclusion",
    "with_body_limit",
]

# The body limit of a route that is not an API route (a mount, a frontend, a starlette route) reached
# through an inclusion: the inclusion's, read by the dispatcher. API routes carry `max_body_size`.
BODY_LIMIT_ATTRIBUTE = "_ferroapi_body_limit"


def with_body_limit(route: BaseRoute, limit: int | None) -> BaseRoute:
    setattr(route, BODY_LIMIT_ATTRIBUTE, limit)
    return route


@dataclass(frozen=True)
class IncludeContext:
    """What one inclusion (possibly nested) adds to the included router's routes."""

    included_router: APIRouter
    prefix: str = ""
    tags: list[str | Enum] = field(default_factory=list)
    dependencies: list[Depends] = field(default_factory=list)
    default_response_class: Any = field(default_factory=lambda: Default(JSONResponse))
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    callbacks: list[BaseRoute] = field(default_factory=list)
    deprecated: bool | None = None
    include_in_schema: bool = True
    generate_unique_id_function: Any = field(default_factory=lambda: Default(generate_unique_id))
    strict_content_type: Any = field(default_factory=lambda: Default(True))
    dependency_overrides_provider: Any = None
    max_body_size: int | None = None
    form_limits: dict[str, int] = field(default_factory=dict)
    # Analyses of the prepended router dependencies, shared by the routes of this inclusion (and of
    # the inclusions nested in it): see dependencies.reuse.
    analyses: SharedAnalyses = field(default_factory=dict, compare=False, repr=False)

    def within(self, outer: IncludeContext) -> IncludeContext:
        """This inclusion as seen through an enclosing one."""
        return replace(
            self,
            prefix=outer.prefix + self.prefix,
            tags=[*outer.tags, *self.tags],
            dependencies=[*outer.dependencies, *self.dependencies],
            default_response_class=get_value_or_default(
                self.default_response_class, outer.default_response_class
            ),
            responses={**outer.responses, **self.responses},
            callbacks=[*outer.callbacks, *self.callbacks],
            deprecated=outer.deprecated or self.deprecated,
            include_in_schema=outer.include_in_schema and self.include_in_schema,
            generate_unique_id_function=get_value_or_default(
                self.generate_unique_id_function, outer.generate_unique_id_function
            ),
            strict_content_type=get_value_or_default(self.strict_content_type, outer.strict_content_type),
            dependency_overrides_provider=outer.dependency_overrides_provider,
            max_body_size=first_limit(self.max_body_size, outer.max_body_size),
            form_limits={**outer.form_limits, **self.form_limits},
            analyses=outer.analyses,
        )

    def _reusing(self, route: APIRoute | APIWebSocketRoute) -> AbstractContextManager[None]:
        """The effective route's analysis copies the original's when the inclusion changes nothing
        it depends on (see dependencies.reuse); the routers' dependencies are analysed once."""
        cls = type(route)
        if isinstance(route, APIRoute):
            plain = (
                cls.__init__ is APIRoute.__init__
                and cls._analyse_dependencies is APIRoute._analyse_dependencies
            )
        else:
            plain = cls.__init__ is APIWebSocketRoute.__init__
        # A subclass that builds or edits its graph itself: only the router dependencies are shared.
        return analysis_base(
            shared=self.analyses,
            call=route.endpoint if plain else None,
            path=route.path_format,
            dependant=getattr(route, "dependant", None),
            dependencies=route.dependencies,
        )

    def api_route(self, route: APIRoute) -> APIRoute:
        router = self.included_router
        options: dict[str, Any] = {
            "response_model": route.response_model,
            "status_code": route.status_code,
            "tags": [*self.tags, *route.tags],
            "dependencies": [*self.dependencies, *route.dependencies],
            "summary": route.summary,
            "description": route.description,
            "response_description": route.response_description,
            "responses": {**self.responses, **route.responses},
            "deprecated": route.deprecated or self.deprecated,
            "methods": route.methods,
            "operation_id": route.operation_id,
            "response_model_include": route.response_model_include,
            "response_model_exclude": route.response_model_exclude,
            "response_model_by_alias": route.response_model_by_alias,
            "response_model_exclude_unset": route.response_model_exclude_unset,
            "response_model_exclude_defaults": route.response_model_exclude_defaults,
            "response_model_exclude_none": route.response_model_exclude_none,
            "include_in_schema": route.include_in_schema and self.include_in_schema,
            "response_class": get_value_or_default(
                route.response_class, router.default_response_class, self.default_response_class
            ),
            "name": route.name,
            "dependency_overrides_provider": self.dependency_overrides_provider,
            "callbacks": [*self.callbacks, *(route.callbacks or [])],
            "openapi_extra": route.openapi_extra,
            "generate_unique_id_function": get_value_or_default(
                route.generate_unique_id_function,
                router.generate_unique_id_function,
                self.generate_unique_id_function,
            ),
            "strict_content_type": get_value_or_default(
                route.strict_content_type, router.strict_content_type, self.strict_content_type
            ),
            "max_body_size": first_limit(route.max_body_size, self.max_body_size),
        }
        for option in STREAM_OPTIONS:
            # No router-level value exists: the route's own (when set) is the effective one.
            value = getattr(route, option, None)
            if value is not None:
                options[option] = value
        form_limits = {**self.form_limits, **route.form_limits}
        if form_limits:
            options["form_limits"] = form_limits
        if route.stream_item_type:
            # A stream's item type comes from the annotation: let the new route read it again.
            options["response_model"] = Default(None)
        # A plain APIRoute holds the merged options (FastAPI's effective route context): the original
        # keeps its identity and its class's hooks, `get_route_handler` included.
        with self._reusing(route):
            effective = APIRoute(self.prefix + route.path, route.endpoint, **options)
        effective.original_route = route
        if type(route).get_route_handler is not APIRoute.get_route_handler:
            token = effective_route_context_var.set(effective)
            try:
                effective.app = RouteApp(route.get_route_handler(), effective.plan)
            finally:
                effective_route_context_var.reset(token)
        return effective

    def other_route(self, route: BaseRoute) -> BaseRoute | None:
        prefix = self.prefix
        if isinstance(route, APIWebSocketRoute):
            with self._reusing(route):
                return APIWebSocketRoute(
                    prefix + route.path,
                    route.endpoint,
                    name=route.name,
                    dependencies=[*self.dependencies, *route.dependencies],
                    dependency_overrides_provider=self.dependency_overrides_provider,
                )
        if isinstance(route, starlette_routing.Route):
            return starlette_routing.Route(
                prefix + route.path,
                endpoint=route.endpoint,
                methods=list(route.methods or []) or None,
                name=route.name,
                include_in_schema=route.include_in_schema,
            )
        if isinstance(route, starlette_routing.WebSocketRoute):
            return starlette_routing.WebSocketRoute(prefix + route.path, route.endpoint, name=route.name)
        if isinstance(route, starlette_routing.Mount):
            mount = copy.copy(route)
            mount.path = (prefix + route.path).rstrip("/")
            mount.path_regex, mount.path_format, mount.param_convertors = compile_path(
                mount.path + "/{path:path}"
            )
            return mount
        if isinstance(route, starlette_routing.Host):
            app = route.app
            if prefix:
                app = starlette_routing.Router(routes=[starlette_routing.Mount(prefix, app=route.app)])
            return starlette_routing.Host(route.host, app=app, name=route.name)
        return None


class IncludedRouter(BaseRoute):
    """The entry `include_router` leaves in the parent's routes."""

    def __init__(self, original_router: APIRouter, include_context: IncludeContext) -> None:
        self.original_router = original_router
        self.include_context = include_context
        self._cache: dict[int, tuple[BaseRoute, BaseRoute | None]] = {}
        self._nested_cache: dict[int, tuple[IncludedRouter, IncludedRouter]] = {}

    def __repr__(self) -> str:
        return f"IncludedRouter(prefix={self.include_context.prefix!r}, router={self.original_router!r})"

    def effective_routes(self) -> Iterator[BaseRoute]:
        """The routes this inclusion contributes, in order (nested inclusions flattened)."""
        for route in list(self.original_router.routes):
            if isinstance(route, IncludedRouter):
                yield from self._nested(route).effective_routes()
                continue
            effective = self._effective(route, self.include_context)
            if effective is not None:
                yield effective

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
        for route in list(self.original_router.routes):
            if isinstance(route, IncludedRouter):
                yield from self._nested(route).dispatch_candidates()
                continue
            effective = self._effective(route, self.include_context)
            if effective is not None:
                yield effective

    def _nested(self, inner: IncludedRouter) -> IncludedRouter:
        cached = self._nested_cache.get(id(inner))
        if cached is not None and cached[0] is inner:
            return cached[1]
        nested = IncludedRouter(inner.original_router, inner.include_context.within(self.include_context))
        self._nested_cache[id(inner)] = (inner, nested)
        return nested

    def _effective(self, route: BaseRoute, context: IncludeContext) -> BaseRoute | None:
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
        if self.original_router.has_routing_hooks:
            with _selecting(scope, self):  # the router's `matches` answers for this inclusion
                return self.original_router.matches(scope)
        match, child_scope, _ = self.select(scope)
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.original_router.has_routing_hooks:
            with _selecting(scope, self):
                await self.original_router.handle(scope, receive, send)
            return
        await self.handle_selected(scope, receive, send)

    async def handle_selected(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the route `select` picks, as the app's dispatcher serves its own."""
        from ferroapi._routing.dispatch import serve_selected

        match, child_scope, route = self.select(scope)
        if route is None:
            await self.original_router.not_found(scope, receive, send)
            return
        await serve_selected(self.original_router, route, match, child_scope, scope, receive, send)

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


def check_prefix(prefix: str) -> None:
    if prefix:
        assert prefix.startswith("/"), "A path prefix must start with '/'"
        assert not prefix.endswith("/"), (
            "A path prefix must not end with '/', as the routes will start with '/'"
        )


def _includes(container: APIRouter, router: APIRouter, seen: set[int]) -> bool:
    """Whether `container` includes `router`, directly or through inclusions (cycles stop the walk)."""
    if id(container) in seen:
        return False
    seen.add(id(container))
    return any(
        isinstance(route, IncludedRouter)
        and (route.original_router is router or _includes(route.original_router, router, seen))
        for route in container.routes
    )


def check_inclusion(parent: APIRouter, router: APIRouter, prefix: str) -> None:
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


def include_context(
    *,
    parent: APIRouter,
    router: APIRouter,
    prefix: str,
    tags: list[str | Enum] | None,
    dependencies: Any,
    default_response_class: type[Response] | DefaultPlaceholder,
    responses: dict[int | str, dict[str, Any]] | None,
    callbacks: list[BaseRoute] | None,
    deprecated: bool | None,
    include_in_schema: bool,
    generate_unique_id_function: Callable[[Any], str] | DefaultPlaceholder,
    max_body_size: int | None,
    form_limits: dict[str, int] | None,
) -> IncludeContext:
    return IncludeContext(
        included_router=router,
        prefix=parent.prefix + prefix,
        tags=[*parent.tags, *(tags or [])],
        dependencies=[*parent.dependencies, *(dependencies or [])],
        default_response_class=get_value_or_default(default_response_class, parent.default_response_class),
        responses={**parent.responses, **(responses or {})},
        callbacks=[*parent.callbacks, *(callbacks or [])],
        deprecated=deprecated or parent.deprecated,
        include_in_schema=parent.include_in_schema and include_in_schema,
        generate_unique_id_function=get_value_or_default(
            generate_unique_id_function, parent.generate_unique_id_function
        ),
        strict_content_type=parent.strict_content_type,
        max_body_size=first_limit(router.max_body_size, max_body_size, parent.max_body_size),
        dependency_overrides_provider=parent.dependency_overrides_provider,
        form_limits={**(form_limits or {}), **router.form_limits},
    )
