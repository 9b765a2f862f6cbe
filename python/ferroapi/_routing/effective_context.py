"""FastAPI's `_EffectiveRouteContext`: what an inclusion makes of one of the included router's routes.

ferroapi's effective routes are routes (`contexts.py`): an `APIRoute` built with the inclusion's
merged options whose `original_route` is the registered route, a copy of any other route under the
inclusion's prefix (its own `starlette_route`) with `original_route` set, an `IncludedFrontendGroup`
for a frontend group. FastAPI 0.165 gives them a class of their own, a dataclass that is not a route,
and extensions test with `isinstance` what inclusions yield and what `scope["fastapi"]
["effective_route_context"]` holds. So `EffectiveRouteContext` answers `isinstance` for what ferroapi
produces (a route naming its `original_route`), which is what such a check looks for; built directly,
it is FastAPI's plain dataclass with FastAPI's `matches`/`url_path_for`; its `from_*` constructors
return ferroapi's effective routes, which ferroapi's dispatcher knows how to serve.

Imported on first use (`ferroapi.routing._EffectiveRouteContext`): creating the 45-field dataclass is
a few milliseconds nobody needs at `import ferroapi`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Match, NoMatchFound, replace_params
from starlette.types import ASGIApp, Scope

from ferroapi._routing.contexts import is_effective_route
from ferroapi._routing.paths import int_param_over_digit_limit
from ferroapi._routing.route import APIRoute
from ferroapi._routing.static_frontend.routes import FrontendRouteGroup, IncludedFrontendGroup
from ferroapi.datastructures import Default
from ferroapi.types import IncEx
from ferroapi.utils import generate_unique_id

if TYPE_CHECKING:
    from ferroapi._fields import ModelField
    from ferroapi._routing.inclusion.inherit import IncludeContext
    from ferroapi.dependencies.models import Dependant
    from ferroapi.params import Depends

__all__ = ["EffectiveRouteContext"]


class _EffectiveRouteContextType(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        if super().__instancecheck__(instance):
            return True
        # A subclass an extension defines only has its own instances.
        return cls is EffectiveRouteContext and is_effective_route(instance)


@dataclass
class EffectiveRouteContext(metaclass=_EffectiveRouteContextType):
    """FastAPI's record of a route under an inclusion (FastAPI's fields, in FastAPI's order)."""

    original_route: BaseRoute
    starlette_route: BaseRoute | None = None
    app: ASGIApp | None = field(default=None, repr=False, compare=False)
    frontend_prefix: str = ""
    path: str = ""
    endpoint: Callable[..., Any] | None = None
    stream_item_type: Any | None = None
    response_model: Any = None
    summary: str | None = None
    response_description: str = "Successful Response"
    deprecated: bool | None = None
    operation_id: str | None = None
    response_model_include: IncEx | None = None
    response_model_exclude: IncEx | None = None
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    include_in_schema: bool = True
    response_class: Any = field(default_factory=lambda: Default(JSONResponse))
    dependency_overrides_provider: Any | None = None
    callbacks: list[BaseRoute] | None = None
    openapi_extra: dict[str, Any] | None = None
    generate_unique_id_function: Any = field(default_factory=lambda: Default(generate_unique_id))
    strict_content_type: Any = field(default_factory=lambda: Default(True))
    max_body_size: int | None = None
    tags: list[str | Enum] = field(default_factory=list)
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    name: str = ""
    path_regex: Any = None
    path_format: str = ""
    param_convertors: dict[str, Any] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)
    unique_id: str = ""
    status_code: int | None = None
    response_field: ModelField | None = None
    stream_item_field: ModelField | None = None
    dependencies: list[Depends] = field(default_factory=list)
    description: str = ""
    response_fields: dict[int | str, ModelField] = field(default_factory=dict)
    dependant: Dependant | None = None
    _embed_body_fields: bool = False
    body_field: ModelField | None = None
    is_sse_stream: bool = False
    is_json_stream: bool = False

    @classmethod
    def from_api_route(cls, *, original_route: APIRoute, include_context: IncludeContext) -> APIRoute:
        """The route `original_route` is under `include_context`: ferroapi's effective route (an
        `APIRoute` whose `original_route` is the given one), built as the inclusion builds it."""
        return include_context.api_route(original_route)

    @classmethod
    def from_frontend_route_group(
        cls, *, original_route: FrontendRouteGroup, include_context: IncludeContext
    ) -> IncludedFrontendGroup:
        """A frontend group under `include_context`: under its prefix, behind its dependencies."""
        return IncludedFrontendGroup(
            original_route,
            prefix=include_context.prefix,
            dependencies=include_context.dependencies,
            overrides_provider=include_context.dependency_overrides_provider,
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        original = self.original_route
        if isinstance(original, FrontendRouteGroup):
            return original.matches_with_prefix(scope, self.frontend_prefix)
        if not isinstance(original, APIRoute):
            assert self.starlette_route is not None
            return self.starlette_route.matches(scope)
        if scope["type"] != "http":
            return Match.NONE, {}
        route_path = get_route_path(scope)
        found = self.path_regex.match(route_path)
        if found is None:
            return Match.NONE, {}
        if int_param_over_digit_limit(self.path_regex, self.param_convertors, route_path):
            return Match.NONE, {}  # as the route table decides: int() would raise
        path_params = dict(scope.get("path_params", {}))
        for key, value in found.groupdict().items():
            path_params[key] = self.param_convertors[key].convert(value)
        child_scope = {"endpoint": self.endpoint, "path_params": path_params}
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        if not isinstance(self.original_route, APIRoute):
            assert self.starlette_route is not None
            return self.starlette_route.url_path_for(name, **path_params)
        if name != self.name or set(path_params) != set(self.param_convertors):
            raise NoMatchFound(name, path_params)
        path, remaining = replace_params(self.path_format, self.param_convertors, path_params)
        assert not remaining
        return URLPath(path=path, protocol="http")
