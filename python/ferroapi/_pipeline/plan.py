"""`RoutePlan`: everything a request needs from its route, decided once at registration.

The plan is built from a `PlanSpec`, the route options it depends on, frozen: `APIRoute` builds one
from its attributes, `get_request_handler` from its arguments. This layer knows nothing of routes.

The plan is frozen; the per-request code (`handler.respond`) reads it and does only request work. The
endpoint's source location for error messages is looked up lazily, once, on the first error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic_core import SchemaValidator
from starlette.responses import JSONResponse, Response

from ferroapi._compat.json_mode import calls_user_code, json_mode_matches_python
from ferroapi.datastructures import DefaultPlaceholder
from ferroapi.dependencies.analyze import get_flat_body_params, is_form_body
from ferroapi.dependencies.signature import is_async_gen_callable, is_coroutine_callable
from ferroapi.exceptions import EndpointContext

if TYPE_CHECKING:
    from ferroapi._fields import ModelField
    from ferroapi.dependencies.models import Dependant
    from ferroapi.types import IncEx

__all__ = ["EndpointSite", "Lane", "PlanSpec", "RoutePlan", "build_plan"]


@dataclass(frozen=True, slots=True)
class PlanSpec:
    """The route options a plan is built from: the one list of them. `APIRoute` reads its attributes
    of these names (`embed_body_fields` is its `_embed_body_fields`); `get_request_handler` takes them
    as arguments."""

    dependant: Dependant
    body_field: ModelField | None
    status_code: int | None
    response_class: Any  # a Response subclass, or a DefaultPlaceholder of one
    response_field: ModelField | None
    stream_item_field: ModelField | None
    is_sse_stream: bool
    is_json_stream: bool
    response_model_include: IncEx | None
    response_model_exclude: IncEx | None
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    dependency_overrides_provider: Any
    embed_body_fields: bool
    strict_content_type: Any  # a bool, or a DefaultPlaceholder of one
    max_body_size: int | None = None  # enforced by the route's app, around the handler
    form_limits: Mapping[str, int] = field(default_factory=dict)


class Lane(Enum):
    """How the endpoint's result becomes a response."""

    RESPONSE = "response"  # a value (or a Response) returned once
    RAW_STREAM = "raw_stream"  # a generator with an explicit streaming response_class
    JSONL = "jsonl"  # a generator with the default response class: JSON Lines
    SSE = "sse"  # a generator with response_class=EventSourceResponse


class EndpointSite:
    """Where the endpoint is defined (file, line, function), looked up on first use only."""

    __slots__ = ("_call", "_site")

    def __init__(self, call: Callable[..., Any]) -> None:
        self._call = call
        self._site: EndpointContext | None = None

    def context(self, request_method: str, root_path: str, path: str) -> EndpointContext:
        if self._site is None:
            self._site = _source_site(self._call)
        ctx: EndpointContext = {**self._site}
        if path:
            ctx["path"] = f"{request_method} {root_path.rstrip('/')}{path}"
        return ctx


def _source_site(call: Callable[..., Any]) -> EndpointContext:
    site: EndpointContext = {}
    try:
        source_file = inspect.getsourcefile(call)
        if source_file is not None:
            site["file"] = source_file
        site["line"] = inspect.getsourcelines(call)[1]
        name = getattr(call, "__name__", None)
        if name is not None:
            site["function"] = name
    except Exception:
        return {}
    return site


@dataclass(frozen=True, slots=True)
class RoutePlan:
    # request side
    dependant: Dependant
    body_field: ModelField | None
    json_fast_field: ModelField | None  # the one body value, validated straight from the JSON bytes
    is_form: bool
    form_limits: dict[str, int]
    embed_body_fields: bool
    strict_content_type: bool
    max_body_size: int | None
    # Whether anything but the pipeline's own body reader may read the body (a form parser, a
    # parameter given the Request): then `receive` itself counts the body against the limit.
    body_read_elsewhere: bool
    overrides_provider: Any
    # endpoint
    call: Callable[..., Any]
    is_coroutine: bool
    is_async_gen: bool
    lane: Lane
    site: EndpointSite
    # response side
    status_code: int | None
    response_class: type[Response]
    fast_json: bool  # no response model: render with the prebuilt encoder, not response_class.render
    dump_json: bool  # response model and default class: pydantic-core straight to JSON bytes
    response_field: ModelField | None
    stream_item_field: ModelField | None
    dump_options: dict[str, Any]
    # With `dump_json`: the response field's validation and JSON serialization, one C call each.
    response_validate: Callable[[Any], Any] | None
    response_json: Callable[[Any], bytes] | None
    # whether the exit stacks must be entered: yield dependencies, uploaded files or a stream to tear down
    needs_stacks: bool


def _lane(route: PlanSpec) -> Lane:
    if route.is_sse_stream:
        return Lane.SSE
    if route.is_json_stream:
        return Lane.JSONL
    call = route.dependant.call
    target = inspect.unwrap(call) if call else None
    if target is not None and (inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target)):
        return Lane.RAW_STREAM
    return Lane.RESPONSE


def _any_in_graph(roots: Iterable[Dependant], test: Callable[[Dependant], Any]) -> bool:
    """Whether `test` holds for any of `roots` or the dependencies below them."""
    pending = list(roots)
    while pending:
        sub = pending.pop()
        if test(sub):
            return True
        pending.extend(sub.dependencies)
    return False


def _has_yield_dependency(dependant: Dependant) -> bool:
    return _any_in_graph(dependant.dependencies, lambda sub: sub.is_gen or sub.is_async_gen)


def _receives_connection(dependant: Dependant) -> bool:
    """Whether the endpoint or a dependency takes the Request (or HTTPConnection): it may read the body."""
    return _any_in_graph([dependant], lambda sub: sub.request_param_name or sub.http_connection_param_name)


def graph_facts(dependant: Dependant) -> tuple[bool, bool]:
    """(a yield dependency is in the graph, something in it takes the Request), as the graph is now."""
    return _has_yield_dependency(dependant), _receives_connection(dependant)


def _json_fast_field(route: PlanSpec, is_form: bool) -> ModelField | None:
    """The body field to validate with `validate_json`: the graph's only body parameter, not
    embedded, not a form, of a type whose JSON-mode validation is python-mode validation, and whose
    validation runs none of the app's code (that runs when FastAPI runs it: after the dependencies).
    """
    field = route.body_field
    if field is None or is_form or route.embed_body_fields:
        return None
    body_params = get_flat_body_params(route.dependant)
    if len(body_params) != 1 or body_params[0] is not field:
        return None
    if not isinstance(field.type_adapter.validator, SchemaValidator):
        return None  # forward references not resolved yet
    schema = field.type_adapter.core_schema
    return field if json_mode_matches_python(schema) and not calls_user_code(schema) else None


def build_plan(route: PlanSpec) -> RoutePlan:
    response_class = route.response_class
    actual_class = response_class.value if isinstance(response_class, DefaultPlaceholder) else response_class
    strict = route.strict_content_type
    call = route.dependant.call
    assert call is not None, "an endpoint must be callable"
    lane = _lane(route)
    response_field = route.response_field
    dump_json = response_field is not None and isinstance(response_class, DefaultPlaceholder)
    dump_options = {
        "include": route.response_model_include,
        "exclude": route.response_model_exclude,
        "by_alias": route.response_model_by_alias,
        "exclude_unset": route.response_model_exclude_unset,
        "exclude_defaults": route.response_model_exclude_defaults,
        "exclude_none": route.response_model_exclude_none,
    }
    is_form = route.body_field is not None and is_form_body(route.body_field)
    return RoutePlan(
        dependant=route.dependant,
        body_field=route.body_field,
        json_fast_field=_json_fast_field(route, is_form),
        is_form=is_form,
        form_limits={**route.form_limits},
        embed_body_fields=route.embed_body_fields,
        strict_content_type=bool(strict.value if isinstance(strict, DefaultPlaceholder) else strict),
        max_body_size=route.max_body_size,
        body_read_elsewhere=is_form or _receives_connection(route.dependant),
        overrides_provider=route.dependency_overrides_provider,
        call=call,
        # FastAPI's classification (partials, wrappers, callable instances): an async wrapper
        # around a plain function is awaited, not sent to the thread pool.
        is_coroutine=is_coroutine_callable(call),
        is_async_gen=is_async_gen_callable(call),
        lane=lane,
        site=EndpointSite(call),
        status_code=route.status_code,
        response_class=actual_class,
        # FastAPI renders with response_class only when one was set explicitly (or there is no
        # response model); JSONResponse itself renders exactly what the prebuilt encoder does.
        fast_json=isinstance(response_class, DefaultPlaceholder) or actual_class is JSONResponse,
        dump_json=dump_json,
        response_field=response_field,
        stream_item_field=route.stream_item_field,
        dump_options=dump_options,
        response_validate=response_field.python_validator() if dump_json and response_field else None,
        response_json=response_field.json_serializer(**dump_options)
        if dump_json and response_field
        else None,
        needs_stacks=is_form or lane is not Lane.RESPONSE or _has_yield_dependency(route.dependant),
    )
