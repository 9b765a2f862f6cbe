"""`include_router`: what an included router's routes inherit (the entry itself: `entry.py`).

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
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from starlette import routing as starlette_routing
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, compile_path

from ferroapi._limits.body import first_limit, validate_max_body_size
from ferroapi._limits.forms import validate_form_limits
from ferroapi._pipeline.handler import RouteApp
from ferroapi._routing.options import STREAM_OPTIONS
from ferroapi._routing.route import APIRoute, APIWebSocketRoute, effective_route_context_var
from ferroapi._routing.settings import RouterSettings
from ferroapi.datastructures import Default, DefaultPlaceholder
from ferroapi.dependencies.reuse import SharedAnalyses, analysis_base
from ferroapi.utils import generate_unique_id, get_value_or_default

if TYPE_CHECKING:
    from ferroapi.params import Depends

__all__ = ["IncludeContext", "check_prefix", "include_context"]


@dataclass(frozen=True)
class IncludeContext:
    """What one inclusion (possibly nested) adds to the included router's routes."""

    included_router: RouterSettings
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

    # ---- FastAPI's names (`_RouterIncludeContext` is this class) ----------------------------------
    @classmethod
    def for_include(
        cls,
        *,
        parent_router: RouterSettings,
        included_router: RouterSettings,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] | DefaultPlaceholder = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[Any], str] | DefaultPlaceholder = Default(generate_unique_id),
        max_body_size: int | None = None,
        form_limits: Mapping[str, Any] | None = None,
    ) -> IncludeContext:
        """The context `parent_router.include_router(included_router, ...)` records."""
        validate_max_body_size(max_body_size)
        return include_context(
            parent=parent_router,
            router=included_router,
            prefix=prefix,
            tags=tags,
            dependencies=dependencies,
            default_response_class=default_response_class,
            responses=responses,
            callbacks=callbacks,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size,
            form_limits=validate_form_limits(form_limits),
        )

    def combine(self, child_context: IncludeContext) -> IncludeContext:
        """A nested inclusion (`child_context`) as seen through this enclosing one. Its form limits
        include this one's (FastAPI's enclosing router applies its own when the request passes it;
        ferroapi's routes carry the merged limits, inclusions being flattened into the table)."""
        return child_context.within(self)

    def path_for(self, route: Any) -> str:
        """The path of one of the included router's routes under this inclusion."""
        return self.prefix + str(route.path)

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
            signature=getattr(route, "analysed_signature", None),
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
                # Still being built (no table holds it): not a change of a served route.
                effective._app = RouteApp(route.get_route_handler(), effective.plan)
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


def check_prefix(prefix: str) -> None:
    if prefix:
        assert prefix.startswith("/"), "A path prefix must start with '/'"
        assert not prefix.endswith("/"), (
            "A path prefix must not end with '/', as the routes will start with '/'"
        )


def include_context(
    *,
    parent: RouterSettings,
    router: RouterSettings,
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
