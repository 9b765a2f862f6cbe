"""`APIRoute` and `APIWebSocketRoute`: a path operation, analysed once when it is registered.

Everything that depends only on the route (dependency graph, body field, response field, lane,
serialization options) is decided here and frozen into `route.plan`; a request only runs the plan.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextvars import ContextVar
from dataclasses import fields
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, get_name
from starlette.routing import Route as StarletteRoute
from starlette.routing import WebSocketRoute as StarletteWebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from ferroapi._fields import create_model_field
from ferroapi._limits.body import validate_max_body_size
from ferroapi._limits.forms import validate_form_limits
from ferroapi._pipeline.handler import RouteApp, respond
from ferroapi._pipeline.plan import PlanSpec, RoutePlan, build_plan
from ferroapi._pipeline.websocket import get_websocket_app, websocket_session
from ferroapi._routing.annotations import stream_item_type, typed_return_annotation
from ferroapi._routing.options import FormLimits
from ferroapi._routing.paths import compile_path_lazily, int_param_over_digit_limit
from ferroapi._routing.request_handler import Handler, get_request_handler
from ferroapi._routing.routelist import mark_routes_changed
from ferroapi.datastructures import Default, DefaultPlaceholder
from ferroapi.dependencies.analyze import (
    get_body_field,
    get_dependant,
    get_flat_dependant,
    get_parameterless_sub_dependant,
    should_embed_body_fields,
)
from ferroapi.dependencies.signature import declared_signature
from ferroapi.sse import EventSourceResponse, ServerSentEvent
from ferroapi.types import IncEx
from ferroapi.utils import generate_unique_id, is_body_allowed_for_status_code

if TYPE_CHECKING:
    from ferroapi._fields import ModelField
    from ferroapi.dependencies.models import Dependant
    from ferroapi.params import Depends

__all__ = [
    "EFFECTIVE_ROUTE_CONTEXT",
    "STOCK_HANDLE",
    "APIRoute",
    "APIWebSocketRoute",
    "effective_route_context_var",
    "scope_effective_route",
    "set_scope_effective_route",
]

# An included route keeps its identity, as in FastAPI 0.165: `scope["route"]` is the route the user
# registered, and what the inclusion merged into it (prefix, tags, dependencies...) travels beside it
# as the "effective route context", in FastAPI's private scope dict. The dict is also visible under
# our own name (same object), for code written against ferroapi.
SCOPE_KEYS = ("fastapi", "ferroapi")
EFFECTIVE_ROUTE_CONTEXT = "effective_route_context"

# Set while an included route's handler is built: `get_route_handler()` (possibly a subclass's, which
# calls super()) then builds the handler of the effective route, not of the original.
effective_route_context_var: ContextVar[APIRoute | None] = ContextVar(
    "ferroapi_effective_route_context", default=None
)


def scope_effective_route(scope: Scope) -> Any:
    private = scope.get("fastapi")
    return private.get(EFFECTIVE_ROUTE_CONTEXT) if isinstance(private, dict) else None


def set_scope_effective_route(scope: Scope, context: Any) -> Any:
    """Record `context` as the scope's effective route; returns the previous value (or None)."""
    private = scope.get("fastapi")
    if not isinstance(private, dict):
        private = scope["fastapi"] = {}
    if "ferroapi" not in scope:
        scope["ferroapi"] = private
    previous = private.get(EFFECTIVE_ROUTE_CONTEXT)
    if context is None:
        private.pop(EFFECTIVE_ROUTE_CONTEXT, None)
    else:
        private[EFFECTIVE_ROUTE_CONTEXT] = context
    return previous


def _subclass(value: Any, cls: type) -> bool:
    return isinstance(value, type) and issubclass(value, cls)


def build_dependant(*, path: str, call: Callable[..., Any], dependencies: Sequence[Depends]) -> Dependant:
    """The endpoint's dependency graph with the route-level `dependencies=[...]` first."""
    dependant = get_dependant(path=path, call=call, scope="function")
    dependant.dependencies[:0] = [
        get_parameterless_sub_dependant(depends=depends, path=path) for depends in dependencies
    ]
    return dependant


# The plan's inputs are the `PlanSpec` fields, read off the route under these attribute names.
_SPEC_ATTRIBUTES = tuple(
    (f.name, "_embed_body_fields" if f.name == "embed_body_fields" else f.name) for f in fields(PlanSpec)
)


def plan_spec(route: APIRoute) -> PlanSpec:
    """The route's options that its plan is built from, as they are now."""
    values: dict[str, Any] = {name: getattr(route, attribute, None) for name, attribute in _SPEC_ATTRIBUTES}
    return PlanSpec(**values)


def _replanned(route: APIRoute) -> bool:
    """Whether an attribute the plan was built from was reassigned since (compared by identity)."""
    planned = route._planned
    return planned is None or any(
        getattr(route, attribute, None) is not getattr(planned, name) for name, attribute in _SPEC_ATTRIBUTES
    )


def route_handler(route: APIRoute) -> Handler:
    """The handler of `route` (an effective route while an inclusion builds it), through whatever
    `ferroapi.routing.get_request_handler` is now."""
    routing = sys.modules.get("ferroapi.routing")
    factory = getattr(routing, "get_request_handler", get_request_handler)
    if factory is get_request_handler:
        # The plan built at registration (again if an extension reassigned what it is built from).
        return functools.partial(respond, route.current_plan())
    handler: Handler = factory(
        dependant=route.dependant,
        body_field=route.body_field,
        status_code=route.status_code,
        response_class=route.response_class,
        response_field=route.response_field,
        response_model_include=route.response_model_include,
        response_model_exclude=route.response_model_exclude,
        response_model_by_alias=route.response_model_by_alias,
        response_model_exclude_unset=route.response_model_exclude_unset,
        response_model_exclude_defaults=route.response_model_exclude_defaults,
        response_model_exclude_none=route.response_model_exclude_none,
        dependency_overrides_provider=route.dependency_overrides_provider,
        embed_body_fields=route._embed_body_fields,
        strict_content_type=route.strict_content_type,
        form_limits=route.form_limits,  # type: ignore[arg-type]
        stream_item_field=route.stream_item_field,
        is_json_stream=route.is_json_stream,
    )
    return handler


def _is_generator(call: Callable[..., Any]) -> bool:
    target = inspect.unwrap(call)
    dunder = getattr(target, "__call__", None)  # noqa: B004 - a callable instance's method counts
    return any(inspect.isgeneratorfunction(f) or inspect.isasyncgenfunction(f) for f in (target, dunder) if f)


class APIRoute(StarletteRoute):
    """One path operation. Attributes are FastAPI's (the OpenAPI generator reads them)."""

    plan: RoutePlan
    original_route: APIRoute | None = None
    # FastAPI's effective route contexts carry the rebuilt starlette route here (None for API routes).
    starlette_route: BaseRoute | None = None
    _app: ASGIApp
    # The route options the plan was built from: a handler built later, by an extension calling
    # `get_route_handler()` after editing the route, gets a plan of what it is now.
    _planned: PlanSpec | None = None

    @property
    def app(self) -> ASGIApp:
        return self._app

    @app.setter
    def app(self, app: ASGIApp) -> None:
        # Extensions reassign it (`route.app = request_response(route.get_route_handler())`): the
        # compiled route tables hold the app they call, so they are rebuilt. (The first assignment,
        # while the route is built, is not a change: no table holds the route yet.)
        reassigned = hasattr(self, "_app")
        self._app = app
        if reassigned:
            mark_routes_changed()

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        response_model: Any = Default(None),
        status_code: int | None = None,
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        summary: str | None = None,
        description: str | None = None,
        response_description: str = "Successful Response",
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        name: str | None = None,
        methods: set[str] | list[str] | None = None,
        operation_id: str | None = None,
        response_model_include: IncEx | None = None,
        response_model_exclude: IncEx | None = None,
        response_model_by_alias: bool = True,
        response_model_exclude_unset: bool = False,
        response_model_exclude_defaults: bool = False,
        response_model_exclude_none: bool = False,
        include_in_schema: bool = True,
        response_class: type[Response] | DefaultPlaceholder = Default(JSONResponse),
        dependency_overrides_provider: Any | None = None,
        callbacks: list[BaseRoute] | None = None,
        openapi_extra: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] | DefaultPlaceholder = Default(
            generate_unique_id
        ),
        strict_content_type: bool | DefaultPlaceholder = Default(True),
        max_body_size: int | None = None,
        form_limits: FormLimits | None = None,
        sse_keepalive_interval: float | None = None,
        stream_send_timeout: float | None = None,
    ) -> None:
        assert callable(endpoint), "An endpoint must be a callable"
        validate_max_body_size(max_body_size)
        self.path = path
        self.endpoint = endpoint
        self.summary = summary
        self.response_description = response_description
        self.deprecated = deprecated
        self.operation_id = operation_id
        self.response_model_include = response_model_include
        self.response_model_exclude = response_model_exclude
        self.response_model_by_alias = response_model_by_alias
        self.response_model_exclude_unset = response_model_exclude_unset
        self.response_model_exclude_defaults = response_model_exclude_defaults
        self.response_model_exclude_none = response_model_exclude_none
        self.include_in_schema = include_in_schema
        self.response_class = response_class
        self.dependency_overrides_provider = dependency_overrides_provider
        self.callbacks = callbacks
        self.openapi_extra = openapi_extra
        self.generate_unique_id_function = generate_unique_id_function
        self.strict_content_type = strict_content_type
        self.max_body_size = max_body_size
        self.form_limits: FormLimits = validate_form_limits(form_limits)  # type: ignore[assignment]
        self.sse_keepalive_interval = sse_keepalive_interval  # read by the streaming lane
        self.stream_send_timeout = stream_send_timeout
        self.tags: list[str | Enum] = tags or []
        self.responses = responses or {}
        self.name = get_name(endpoint) if name is None else name
        self.path_regex, self.path_format, self.param_convertors = compile_path_lazily(path)
        self.methods: set[str] = {method.upper() for method in (methods or ["GET"])}
        make_id = (
            generate_unique_id_function.value
            if isinstance(generate_unique_id_function, DefaultPlaceholder)
            else generate_unique_id_function
        )
        self.unique_id: str = self.operation_id or make_id(self)
        self.status_code = int(status_code) if isinstance(status_code, IntEnum) else status_code
        self.dependencies: list[Depends] = list(dependencies or [])
        doc = description or inspect.cleandoc(self.endpoint.__doc__ or "")
        # A form feed ends the part of the docstring that documents the operation.
        self.description: str = doc.split("\f")[0].strip()
        self.response_fields = self._additional_response_fields()
        self._analyse_dependencies()
        self._analyse_response(response_model)
        self.plan = self._build_plan()
        self.app = RouteApp(self.get_route_handler(), self.plan)

    def current_plan(self) -> RoutePlan:
        """The plan of the route as it is now: rebuilt when an attribute it reads was reassigned."""
        if _replanned(self):
            self.plan = self._build_plan()
        return self.plan

    # ---- registration-time analysis -------------------------------------------------------------
    def _additional_response_fields(self) -> dict[int | str, ModelField]:
        fields: dict[int | str, ModelField] = {}
        for code, response in self.responses.items():
            assert isinstance(response, dict), "An additional response must be a dict"
            model = response.get("model")
            if model:
                assert is_body_allowed_for_status_code(code), (
                    f"Status code {code} must not have a response body"
                )
                name = f"Response_{code}_{self.unique_id}"
                fields[code] = create_model_field(name, model, mode="serialization")
        return fields

    def _analyse_dependencies(self) -> None:
        # The endpoint's `__signature__` now: an inclusion re-reads the parameters if it changes.
        self.analysed_signature = declared_signature(self.endpoint)
        self.dependant = build_dependant(
            path=self.path_format, call=self.endpoint, dependencies=self.dependencies
        )
        flat = get_flat_dependant(self.dependant)
        self._embed_body_fields = should_embed_body_fields(flat.body_params)
        self.body_field = get_body_field(
            flat_dependant=flat, name=self.unique_id, embed_body_fields=self._embed_body_fields
        )

    def _analyse_response(self, response_model: Any) -> None:
        generator = _is_generator(self.endpoint)
        default_class = isinstance(self.response_class, DefaultPlaceholder)
        sse_class = _subclass(self.response_class, EventSourceResponse)
        self.is_sse_stream = generator and sse_class
        self.is_json_stream = generator and default_class
        self.stream_item_type: Any = None
        if isinstance(response_model, DefaultPlaceholder):
            annotation = typed_return_annotation(self.endpoint)
            item = stream_item_type(annotation)
            if _subclass(annotation, Response):
                response_model = None
            elif item is not None and generator:
                if (default_class or sse_class) and not _subclass(item, ServerSentEvent):
                    self.stream_item_type = item
                response_model = None
            else:
                response_model = annotation
        self.response_model = response_model
        self.response_field: ModelField | None = None
        if response_model:
            assert is_body_allowed_for_status_code(self.status_code), (
                f"Status code {self.status_code} must not have a response body"
            )
            name = "Response_" + self.unique_id
            self.response_field = create_model_field(name, response_model, mode="serialization")
        self.stream_item_field: ModelField | None = None
        if self.stream_item_type:
            name = "StreamItem_" + self.unique_id
            self.stream_item_field = create_model_field(name, self.stream_item_type, mode="serialization")

    def _build_plan(self) -> RoutePlan:
        self._planned = spec = plan_spec(self)
        return build_plan(spec)

    # ---- FastAPI's extension points -------------------------------------------------------------
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """`request -> response` for this route; subclasses may wrap it (FastAPI's custom route classes).

        While an inclusion builds its effective route, this builds the effective route's handler. A
        replaced `ferroapi.routing.get_request_handler` (instrumentation does that) is used from then on.
        """
        effective = effective_route_context_var.get()
        return route_handler(
            effective if effective is not None and effective.original_route is self else self
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        effective = scope_effective_route(scope)
        route = effective if effective is not None and effective.original_route is self else self
        # Matched in Python only where the native table cannot decide (a router hook, a custom
        # route class): the table's answer for an int parameter int() would refuse.
        if scope["type"] == "http" and int_param_over_digit_limit(
            route.path_regex, route.param_convertors, get_route_path(scope)
        ):
            return Match.NONE, {}
        if route is not self:
            match, child_scope = StarletteRoute.matches(route, scope)
        else:
            match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self.original_route or self
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        effective = scope_effective_route(scope)
        if effective is not None and effective.original_route is self:
            await StarletteRoute.handle(effective, scope, receive, send)
        else:
            await super().handle(scope, receive, send)


# `APIRoute.handle` as defined here: APM agents replace the class attribute with a wrapper (before or
# after the app is built), and the dispatcher may only bypass `handle` while it is this function.
STOCK_HANDLE = APIRoute.handle


class APIWebSocketRoute(StarletteWebSocketRoute):
    """A WebSocket endpoint with dependency injection."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Depends] | None = None,
        dependency_overrides_provider: Any | None = None,
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.name = get_name(endpoint) if name is None else name
        self.dependencies: list[Depends] = list(dependencies or [])
        self.dependency_overrides_provider = dependency_overrides_provider
        self.path_regex, self.path_format, self.param_convertors = compile_path_lazily(path)
        self.analysed_signature = declared_signature(self.endpoint)
        self.dependant = build_dependant(
            path=self.path_format, call=self.endpoint, dependencies=self.dependencies
        )
        flat = get_flat_dependant(self.dependant)
        self._embed_body_fields = should_embed_body_fields(flat.body_params)
        self.app = websocket_session(
            get_websocket_app(
                dependant=self.dependant,
                dependency_overrides_provider=dependency_overrides_provider,
                embed_body_fields=self._embed_body_fields,
            )
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "websocket" and int_param_over_digit_limit(
            self.path_regex, self.param_convertors, get_route_path(scope)
        ):
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope
