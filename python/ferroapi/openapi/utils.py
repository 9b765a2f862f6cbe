"""`get_openapi`: the OpenAPI 3.1 document of a set of routes, as FastAPI builds it.

Schemas of all fields are generated in one pydantic pass (see `_jsonschema`); each route then becomes a
path item whose operations read the route's attributes (`dependant`, `body_field`, `response_field`,
`responses`, `callbacks`, `openapi_extra`...). The result is validated through the `OpenAPI` model and
dumped by alias without `None`s, so it is plain JSON data.

The steps are importable under FastAPI's names and signatures (`get_openapi_path`,
`_get_openapi_operation_parameters`, `get_fields_from_routes`...): extensions build partial documents
with them. Their `model_name_map` arguments are accepted and unused, as in FastAPI (pydantic names the
models); `field_mapping` is keyed by `(ModelField, mode)`, as `_compat.get_definitions` returns it.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.responses import JSONResponse as JSONResponse
from starlette.routing import BaseRoute as BaseRoute

from ferroapi._compat.shared import lenient_issubclass as lenient_issubclass
from ferroapi._compat.v2 import get_definitions as get_definitions
from ferroapi._compat.v2 import get_flat_models_from_fields as get_flat_models_from_fields
from ferroapi._compat.v2 import get_model_name_map as get_model_name_map
from ferroapi._compat.v2 import get_schema_from_model_field as get_schema_from_model_field
from ferroapi._fields import ModelField as ModelField
from ferroapi._routing.contexts import RouteContext
from ferroapi._routing.inclusion.entry import IncludedRouter
from ferroapi.datastructures import DefaultPlaceholder as DefaultPlaceholder
from ferroapi.datastructures import _Unset as _Unset
from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import FastAPIDeprecationWarning
from ferroapi.openapi import _jsonschema
from ferroapi.openapi._jsonschema import FieldMapping, SchemaField, field_schema, schema_field
from ferroapi.openapi._parameters import (
    _LOCATIONS,
    DependencyData,
    dedupe_parameters,
    dependency_data,
    flat_fields,
    flat_params,
    is_unset,
    operation_parameters,
    security_definitions,
)
from ferroapi.openapi._responses import (
    HTTP_VALIDATION_ERROR_SCHEMA,
    STATUS_RANGE_TEXT,
    VALIDATION_ERROR_SCHEMA,
    ResponseBuilder,
    add_validation_error,
    default_status_code,
)
from ferroapi.openapi.constants import METHODS_WITH_BODY as METHODS_WITH_BODY
from ferroapi.openapi.constants import REF_PREFIX as REF_PREFIX
from ferroapi.openapi.models import OpenAPI
from ferroapi.params import Body as Body
from ferroapi.params import ParamTypes as ParamTypes
from ferroapi.responses import Response as Response
from ferroapi.sse import _SSE_EVENT_SCHEMA as _SSE_EVENT_SCHEMA
from ferroapi.types import DependencyCacheKey as DependencyCacheKey
from ferroapi.types import ModelNameMap as ModelNameMap
from ferroapi.utils import _operation_id, deep_dict_update
from ferroapi.utils import generate_operation_id_for_path as generate_operation_id_for_path
from ferroapi.utils import is_body_allowed_for_status_code as is_body_allowed_for_status_code

__all__ = ["get_fields_from_routes", "get_openapi", "get_openapi_path"]

# FastAPI's names for the schemas and texts the response builder uses.
validation_error_definition = VALIDATION_ERROR_SCHEMA
validation_error_response_definition = HTTP_VALIDATION_ERROR_SCHEMA
status_code_ranges = STATUS_RANGE_TEXT
_OpenAPIDependencyData = DependencyData
_get_openapi_dependency_data = dependency_data
_get_openapi_security_definitions = security_definitions

# Names FastAPI's module re-exports from `fastapi.dependencies`: resolved there on first access, so that
# they are the dependency package's very objects (patching one patches both) and the generator does
# not import the dependency package's internals.
_FROM_DEPENDENCIES = {
    "Dependant": "models",
    "_UsesScopesCache": "models",
    "_get_cache_key": "models",
    "_get_oauth_scopes": "models",
    "_get_security_scheme": "models",
    "_is_security_scheme": "models",
    "_get_flat_fields_from_params": "utils",
    "_get_param_aliases": "utils",
    "_get_param_model": "utils",
    "get_flat_params": "utils",
}


def __getattr__(name: str) -> Any:
    module = _FROM_DEPENDENCIES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f"ferroapi.dependencies.{module}"), name, _MISSING)
        if value is not _MISSING:
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MISSING = object()


# --- which routes are documented -------------------------------------------------------------------


def _is_api_route(route: Any) -> bool:
    """APIRoute-like: what the generator documents (starlette routes and mounts are skipped)."""
    return all(hasattr(route, attr) for attr in ("dependant", "body_field", "response_fields", "unique_id"))


def _get_api_route_for_openapi(route_context: Any) -> Any | None:
    """The route context itself when it stands for an API route (it answers as the effective route),
    else None."""
    return route_context if _is_api_route(route_context.original_route) else None


def _api_routes(routes: Iterable[Any]) -> list[Any]:
    """The documented routes: `RouteContext`s (FastAPI's tests pass them) stand for their effective
    route when the original is an API route; included routers stand for their effective routes."""
    found: list[Any] = []
    for route in routes:
        if isinstance(route, RouteContext):
            if _get_api_route_for_openapi(route) is not None:
                found.append(route.effective_route)
        elif isinstance(route, IncludedRouter):
            found.extend(_api_routes(route.effective_routes()))
        elif _is_api_route(route):
            found.append(route)
    return found


def _schema_fields(routes: Sequence[Any]) -> list[SchemaField]:
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
            callbacks.extend(_schema_fields(route.callbacks))
        params.extend(flat_params(route.dependant))
    return callbacks + bodies + responses + params


def get_fields_from_routes(routes: Sequence[Any]) -> list[ModelField]:
    """Every field of `routes` whose schema the document needs (the routes' own `ModelField`s)."""
    return [field.key for field in _schema_fields(routes)]


# --- one operation ---------------------------------------------------------------------------------


class _Context:
    """What every path shares while one document is built."""

    def __init__(self, mapping: FieldMapping, separate: bool, operation_ids: set[str] | None = None) -> None:
        self.mapping = mapping
        self.separate = separate
        self.operation_ids: set[str] = set() if operation_ids is None else operation_ids


def generate_operation_summary(*, route: Any, method: str) -> str:
    """`summary=`, else the route's name in title case."""
    if route.summary:
        return str(route.summary)
    return str(route.name.replace("_", " ").title())


def generate_operation_id(*, route: Any, method: str) -> str:
    """Deprecated by FastAPI (routes use `unique_id`): `operation_id=`, else one from name and path."""
    warnings.warn(
        "fastapi.openapi.utils.generate_operation_id() was deprecated, it is not used internally, "
        "and will be removed soon",
        FastAPIDeprecationWarning,
        stacklevel=2,
    )
    if route.operation_id:
        return str(route.operation_id)
    return _operation_id(route.name, route.path_format, method)


def get_openapi_operation_metadata(*, route: Any, method: str, operation_ids: set[str]) -> dict[str, Any]:
    """Tags, summary, description, operationId (recorded in `operation_ids`; a repeat warns), deprecated."""
    operation: dict[str, Any] = {}
    if route.tags:
        operation["tags"] = route.tags
    operation["summary"] = generate_operation_summary(route=route, method=method)
    if route.description:
        operation["description"] = route.description
    operation_id = route.operation_id or route.unique_id
    if operation_id in operation_ids:
        endpoint_name = getattr(route.endpoint, "__name__", "<unnamed_endpoint>")
        message = f"Duplicate Operation ID {operation_id} for function {endpoint_name}"
        file_name = getattr(route.endpoint, "__globals__", {}).get("__file__")
        if file_name:
            message += f" at {file_name}"
        warnings.warn(message, stacklevel=1)
    operation_ids.add(operation_id)
    operation["operationId"] = operation_id
    if route.deprecated:
        operation["deprecated"] = route.deprecated
    return operation


def _request_body(body_field: Any, mapping: FieldMapping, separate: bool) -> dict[str, Any] | None:
    if not body_field:
        return None
    schema = field_schema(schema_field(body_field), mapping, separate_input_output_schemas=separate)
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


def get_openapi_operation_request_body(
    *,
    body_field: ModelField | None,
    model_name_map: ModelNameMap,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> dict[str, Any] | None:
    """The operation's `requestBody` (None without a body)."""
    return _request_body(body_field, field_mapping, separate_input_output_schemas)


def _get_openapi_operation_parameters(
    *,
    dependency_data: DependencyData,
    model_name_map: ModelNameMap,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> list[dict[str, Any]]:
    """One parameter object per path/query/header/cookie parameter (grouped models flattened)."""
    return operation_parameters(dependency_data, field_mapping, separate_input_output_schemas)


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
    operation = get_openapi_operation_metadata(route=route, method=method, operation_ids=ctx.operation_ids)
    schemes, requirements = security_definitions(data.security_dependencies)
    if requirements:
        operation.setdefault("security", []).extend(requirements)
    parameters = operation_parameters(data, ctx.mapping, ctx.separate)
    if parameters:
        operation["parameters"] = dedupe_parameters(parameters)
    if method in METHODS_WITH_BODY:
        body = _request_body(route.body_field, ctx.mapping, ctx.separate)
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
    has_params = any(flat_fields(data.params(loc)) for loc in _LOCATIONS)
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
    model_name_map: ModelNameMap,
    field_mapping: FieldMapping,
    separate_input_output_schemas: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One route's path item, its security schemes and the schema definitions it adds."""
    return _path_item(route, _Context(field_mapping, separate_input_output_schemas, operation_ids))


# --- the document ----------------------------------------------------------------------------------


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
    all_fields = _schema_fields([*routes, *(webhooks or [])])
    mapping, definitions = _jsonschema.get_definitions(
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
