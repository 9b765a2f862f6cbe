"""FastAPI's description of an API route's state (`_APIRouteLike`) and `_populate_api_route_state`,
which fills that state in on any object from a path, an endpoint and the route options.

FastAPI 0.165 fills `APIRoute` and its effective route contexts through that one function; extensions
that build route-like objects without `APIRoute.__init__` call it too. ferroapi computes the state in
`APIRoute.__init__` (analysis, response fields, stream item type), so the function here builds an
`APIRoute` from the same arguments and copies its state, attribute by attribute, onto the target:
one definition of what the options mean. Registration-time only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ferroapi._fields import create_model_field
from ferroapi._routing.route import APIRoute
from ferroapi.datastructures import Default, DefaultPlaceholder
from ferroapi.types import IncEx
from ferroapi.utils import generate_unique_id

if TYPE_CHECKING:
    from ferroapi._fields import ModelField
    from ferroapi.dependencies.models import Dependant
    from ferroapi.params import Depends

__all__ = ["APIRouteLike", "RouteWithPath", "populate_api_route_state"]


class RouteWithPath(Protocol):
    path: str


class APIRouteLike(Protocol):
    """The attributes an API route carries (what the pipeline and the OpenAPI generator read)."""

    path: str
    endpoint: Callable[..., Any]
    stream_item_type: Any | None
    response_model: Any
    summary: str | None
    response_description: str
    deprecated: bool | None
    operation_id: str | None
    response_model_include: IncEx | None
    response_model_exclude: IncEx | None
    response_model_by_alias: bool
    response_model_exclude_unset: bool
    response_model_exclude_defaults: bool
    response_model_exclude_none: bool
    include_in_schema: bool
    response_class: type[Response] | DefaultPlaceholder
    dependency_overrides_provider: Any | None
    callbacks: list[BaseRoute] | None
    openapi_extra: dict[str, Any] | None
    generate_unique_id_function: Callable[[Any], str] | DefaultPlaceholder
    strict_content_type: bool | DefaultPlaceholder
    max_body_size: int | None
    tags: list[str | Enum]
    responses: dict[int | str, dict[str, Any]]
    name: str
    path_regex: Any
    path_format: str
    param_convertors: dict[str, Any]
    methods: set[str]
    unique_id: str
    status_code: int | None
    response_field: ModelField | None
    stream_item_field: ModelField | None
    dependencies: list[Depends]
    description: str
    response_fields: dict[int | str, ModelField]
    dependant: Dependant
    _embed_body_fields: bool
    body_field: ModelField | None
    is_sse_stream: bool
    is_json_stream: bool


# The state copied: the protocol's attributes, and the signature ferroapi analysed (inclusions compare
# it to tell whether the endpoint's parameters changed since).
_STATE = (*APIRouteLike.__annotations__, "analysed_signature")


def populate_api_route_state(
    route: APIRouteLike,
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
    generate_unique_id_function: Callable[[Any], str] | DefaultPlaceholder = Default(generate_unique_id),
    strict_content_type: bool | DefaultPlaceholder = Default(True),
    stream_item_type: Any | None = None,
    max_body_size: int | None = None,
) -> None:
    """Set on `route` the state an `APIRoute` built from these arguments has.

    `stream_item_type` is the item type of a stream whose `response_model` was given explicitly
    (an inclusion passes the original route's); one read from the endpoint's annotation wins.
    """
    built = APIRoute(
        path,
        endpoint,
        response_model=response_model,
        status_code=status_code,
        tags=tags,
        dependencies=dependencies,
        summary=summary,
        description=description,
        response_description=response_description,
        responses=responses,
        deprecated=deprecated,
        name=name,
        methods=methods,
        operation_id=operation_id,
        response_model_include=response_model_include,
        response_model_exclude=response_model_exclude,
        response_model_by_alias=response_model_by_alias,
        response_model_exclude_unset=response_model_exclude_unset,
        response_model_exclude_defaults=response_model_exclude_defaults,
        response_model_exclude_none=response_model_exclude_none,
        include_in_schema=include_in_schema,
        response_class=response_class,
        dependency_overrides_provider=dependency_overrides_provider,
        callbacks=callbacks,
        openapi_extra=openapi_extra,
        generate_unique_id_function=generate_unique_id_function,
        strict_content_type=strict_content_type,
        max_body_size=max_body_size,
    )
    if built.stream_item_type is None and stream_item_type is not None:
        built.stream_item_type = stream_item_type
        built.stream_item_field = create_model_field(
            "StreamItem_" + built.unique_id, stream_item_type, mode="serialization"
        )
    for attribute in _STATE:
        setattr(route, attribute, getattr(built, attribute))
