"""`get_openapi`: the OpenAPI 3.1 document of a set of routes, as FastAPI builds it.

Schemas of all fields are generated in one pydantic pass (see `_jsonschema`); each route then becomes a
path item whose operations read the route's attributes (`dependant`, `body_field`, `response_field`,
`responses`, `callbacks`, `openapi_extra`...). The result is validated through the `OpenAPI` model and
dumped by alias without `None`s, so it is plain JSON data.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from ferroapi.encoders import jsonable_encoder
from ferroapi.openapi._jsonschema import (
    FieldMapping,
    SchemaField,
    field_schema,
    get_definitions,
    schema_field,
)
from ferroapi.openapi._parameters import (
    DependencyData,
    dedupe_parameters,
    dependency_data,
    flat_fields,
    flat_params,
    is_unset,
    operation_parameters,
    security_definitions,
)
from ferroapi.openapi._responses import ResponseBuilder, add_validation_error, default_status_code
from ferroapi.openapi.constants import METHODS_WITH_BODY
from ferroapi.openapi.models import OpenAPI
from ferroapi.utils import deep_dict_update

__all__ = ["get_fields_from_routes", "get_openapi", "get_openapi_path"]


def _is_api_route(route: Any) -> bool:
    """APIRoute-like: what the generator documents (starlette routes and mounts are skipped)."""
    return all(hasattr(route, attr) for attr in ("dependant", "body_field", "response_fields", "unique_id"))


def _api_routes(routes: Iterable[Any]) -> list[Any]:
    """The documented routes: `RouteContext`s (FastAPI's tests pass them) stand for their effective
    route when the original is an API route; included routers stand for their effective routes."""
    from ferroapi._routing.included import IncludedRouter
    from ferroapi.routing import RouteContext

    found: list[Any] = []
    for route in routes:
        if isinstance(route, RouteContext):
            if _is_api_route(route.original_route):
                found.append(route.effective_route)
        elif isinstance(route, IncludedRouter):
            found.extend(_api_routes(route.effective_routes()))
        elif _is_api_route(route):
            found.append(route)
    return found


def get_fields_from_routes(routes: Sequence[Any]) -> list[SchemaField]:
    """Every field whose schema the document needs: bodies, responses, stream items, parameters."""
    bodies: list[SchemaField] = []
    responses: list[SchemaField] = []
    params: list[SchemaField] = []
    callbacks: list[SchemaField] = []
    for route in _api_routes(routes):
        if not route.include_in_schema:
            continue
        if route.body_field:
            bodies.append(schema_field(route.body_field))
        if route.response_field:
            responses.append(schema_field(route.response_field))
        responses.extend(schema_field(f) for f in (route.response_fields or {}).values())
        if getattr(route, "stream_item_field", None):
            responses.append(schema_field(route.stream_item_field))
        if route.callbacks:
            callbacks.extend(get_fields_from_routes(route.callbacks))
        params.extend(flat_params(route.dependant))
    return callbacks + bodies + responses + params


class _Context:
    """What every path shares while one document is built."""

    def __init__(self, mapping: FieldMapping, separate: bool) -> None:
        self.mapping = mapping
        self.separate = separate
        self.operation_ids: set[str] = set()


def _operation_metadata(route: Any, ctx: _Context) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if route.tags:
        operation["tags"] = route.tags
    operation["summary"] = route.summary or route.name.replace("_", " ").title()
    if route.description:
        operation["description"] = route.description
    operation_id = route.operation_id or route.unique_id
    if operation_id in ctx.operation_ids:
        endpoint_name = getattr(route.endpoint, "__name__", "<unnamed_endpoint>")
        message = f"Duplicate Operation ID {operation_id} for function {endpoint_name}"
        file_name = getattr(route.endpoint, "__globals__", {}).get("__file__")
        if file_name:
            message += f" at {file_name}"
        warnings.warn(message, stacklevel=1)
    ctx.operation_ids.add(operation_id)
    operation["operationId"] = operation_id
    if route.deprecated:
        operation["deprecated"] = route.deprecated
    return operation


def _request_body(body_field: Any, ctx: _Context) -> dict[str, Any] | None:
    if not body_field:
        return None
    schema = field_schema(schema_field(body_field), ctx.mapping, separate_input_output_schemas=ctx.separate)
    info = body_field.field_info
    body: dict[str, Any] = {}
    if info.is_required():
        body["required"] = True
    content: dict[str, Any] = {"schema": schema}
    examples = getattr(info, "openapi_examples", None)
    example = getattr(info, "example", None)
    if examples:
        content["examples"] = jsonable_encoder(examples)
    elif hasattr(info, "example") and not is_unset(example):
        content["example"] = jsonable_encoder(example)
    body["content"] = {getattr(info, "media_type", "application/json"): content}
    return body


def _callbacks(route: Any, ctx: _Context) -> dict[str, Any]:
    # Security schemes and definitions of a callback are not added to the document (as in FastAPI).
    callbacks: dict[str, Any] = {}
    for callback in _api_routes(route.callbacks):
        path, _, _ = _path_item(callback, ctx)
        callbacks[callback.name] = {callback.path: path}
    return callbacks


def _operation(
    route: Any, method: str, data: DependencyData, has_params: bool, ctx: _Context
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    operation = _operation_metadata(route, ctx)
    schemes, requirements = security_definitions(data.security)
    if requirements:
        operation.setdefault("security", []).extend(requirements)
    parameters = operation_parameters(data, ctx.mapping, ctx.separate)
    if parameters:
        operation["parameters"] = dedupe_parameters(parameters)
    if method in METHODS_WITH_BODY:
        body = _request_body(route.body_field, ctx)
        if body:
            operation["requestBody"] = body
    if route.callbacks:
        operation["callbacks"] = _callbacks(route, ctx)
    builder = ResponseBuilder(route, ctx.mapping, ctx.separate)
    builder.build(operation, default_status_code(route, builder.response_class))
    definitions: dict[str, Any] = {}
    if has_params or route.body_field:
        add_validation_error(operation, definitions)
    if route.openapi_extra:
        deep_dict_update(operation, route.openapi_extra)
    return operation, schemes, definitions


def _path_item(route: Any, ctx: _Context) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One route's operations (one per method), its security schemes and extra schema definitions."""
    path: dict[str, Any] = {}
    schemes: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    assert route.methods is not None, "Methods must be a list"
    if not route.include_in_schema:
        return path, schemes, definitions
    data = dependency_data(route.dependant)
    has_params = any(flat_fields(data.params[loc]) for loc in data.params)
    for method in route.methods:
        operation, op_schemes, op_definitions = _operation(route, method, data, has_params, ctx)
        schemes.update(op_schemes)
        definitions.update(op_definitions)
        path[method.lower()] = operation
    return path, schemes, definitions


def get_openapi_path(
    *,
    route: Any,
    operation_ids: set[str],
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    ctx = _Context(field_mapping, separate_input_output_schemas)
    ctx.operation_ids = operation_ids
    return _path_item(route, ctx)


def _info(
    title: str, version: str, summary: str | None, description: str | None, extra: dict[str, Any]
) -> dict[str, Any]:
    info: dict[str, Any] = {"title": title, "version": version}
    if summary:
        info["summary"] = summary
    if description:
        info["description"] = description
    for key, value in extra.items():
        if value:
            info[key] = value
    return info


def _add_paths(
    routes: Iterable[Any],
    target: dict[str, Any],
    components: dict[str, Any],
    definitions: dict[str, Any],
    ctx: _Context,
) -> None:
    for route in _api_routes(routes):
        path, schemes, path_definitions = _path_item(route, ctx)
        if path:
            target.setdefault(route.path_format, {}).update(path)
        if schemes:
            components.setdefault("securitySchemes", {}).update(schemes)
        definitions.update(path_definitions)


def get_openapi(
    *,
    title: str,
    version: str,
    openapi_version: str = "3.1.0",
    summary: str | None = None,
    description: str | None = None,
    routes: Sequence[Any],
    webhooks: Sequence[Any] | None = None,
    tags: list[dict[str, Any]] | None = None,
    servers: list[dict[str, str | Any]] | None = None,
    terms_of_service: str | None = None,
    contact: dict[str, str | Any] | None = None,
    license_info: dict[str, str | Any] | None = None,
    separate_input_output_schemas: bool = True,
    external_docs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenAPI document of `routes` (and `webhooks`), JSON-equal to FastAPI's for the same app."""
    extra_info = {"termsOfService": terms_of_service, "contact": contact, "license": license_info}
    output: dict[str, Any] = {
        "openapi": openapi_version,
        "info": _info(title, version, summary, description, extra_info),
    }
    if servers:
        output["servers"] = servers
    all_fields = get_fields_from_routes([*routes, *(webhooks or [])])
    mapping, definitions = get_definitions(
        all_fields, separate_input_output_schemas=separate_input_output_schemas
    )
    ctx = _Context(mapping, separate_input_output_schemas)
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    webhook_paths: dict[str, Any] = {}
    _add_paths(routes, paths, components, definitions, ctx)
    _add_paths(webhooks or [], webhook_paths, components, definitions, ctx)
    if definitions:
        components["schemas"] = {name: definitions[name] for name in sorted(definitions)}
    if components:
        output["components"] = components
    output["paths"] = paths
    if webhook_paths:
        output["webhooks"] = webhook_paths
    if tags:
        output["tags"] = tags
    if external_docs:
        output["externalDocs"] = external_docs
    document: dict[str, Any] = jsonable_encoder(OpenAPI(**output), by_alias=True, exclude_none=True)
    return document
