"""Operation parameters and security requirements, read from a route's dependency graph.

The graph is walked depth-first in declaration order; a dependency reached twice with the same cache
key is documented once. Grouped parameters (a pydantic model declared as `Query()`, `Header()`,
`Cookie()`) are flattened into one parameter per model field.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import AliasChoices, AliasPath, BaseModel, Json

from ferroapi._foreign import is_foreign_security_scheme
from ferroapi.dependencies.fieldinfo import model_fields
from ferroapi.encoders import jsonable_encoder
from ferroapi.openapi._jsonschema import (
    FieldMapping,
    SchemaField,
    field_schema,
    optional_model,
    schema_field,
)
from ferroapi.security.base import SecurityBase

_LOCATIONS = ("path", "query", "header", "cookie")


def _params_class(name: str) -> Any:
    """A class of `ferroapi.params` (imported late: that module sits above this one)."""
    try:
        return getattr(importlib.import_module("ferroapi.params"), name, ())
    except ImportError:
        return ()


def is_unset(value: Any) -> bool:
    """`example=` left at its default (a sentinel of ferroapi.params, or pydantic's Undefined)."""
    if value is None:
        return False
    return type(value).__name__ in {"_Unset", "_UnsetType", "PydanticUndefinedType", "DefaultPlaceholder"}


@dataclass
class DependencyData:
    """What a route's dependency graph documents (FastAPI's `_OpenAPIDependencyData`): its parameters
    per location, and each security scheme dependant with the OAuth scopes asked for on the way."""

    path_params: list[Any] = field(default_factory=list)
    query_params: list[Any] = field(default_factory=list)
    header_params: list[Any] = field(default_factory=list)
    cookie_params: list[Any] = field(default_factory=list)
    security_dependencies: list[tuple[Any, list[str]]] = field(default_factory=list)

    def params(self, loc: str) -> list[Any]:
        found: list[Any] = getattr(self, f"{loc}_params")
        return found


def unwrap_call(call: Any) -> Any:
    """`functools.partial` and friends around a security scheme still count as the scheme."""
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _cache_key(dependant: Any) -> Any:
    key = getattr(dependant, "cache_key", None)
    if key is not None:
        return key
    scopes = tuple(sorted(set(getattr(dependant, "oauth_scopes", None) or [])))
    return (dependant.call, scopes, getattr(dependant, "scope", None) or "")


def _own_scopes(dependant: Any) -> list[str]:
    scopes = getattr(dependant, "oauth_scopes", None)
    if scopes is None:
        parent = list(getattr(dependant, "parent_oauth_scopes", None) or [])
        own = getattr(dependant, "own_oauth_scopes", None) or []
        scopes = parent + [s for s in own if s not in parent]
    return list(scopes)


def dependency_data(dependant: Any) -> DependencyData:
    """The parameters and security scheme dependants of `dependant`'s graph, each dependency once."""
    data = DependencyData()
    visited: set[Any] = set()
    stack: list[tuple[Any, list[str], bool]] = [(dependant, [], True)]
    while stack:
        dependant, parent_scopes, is_root = stack.pop()
        key = _cache_key(dependant)
        if key in visited:
            continue
        visited.add(key)
        for loc in _LOCATIONS:
            data.params(loc).extend(getattr(dependant, f"{loc}_params"))
        scopes = parent_scopes.copy()
        scopes.extend(s for s in _own_scopes(dependant) if s not in scopes)
        # A real-FastAPI scheme handed over by an extension counts too (`_foreign`).
        scheme = unwrap_call(dependant.call)
        if not is_root and (isinstance(scheme, SecurityBase) or is_foreign_security_scheme(scheme)):
            data.security_dependencies.append((dependant, scopes))
        stack.extend((sub, scopes, False) for sub in reversed(dependant.dependencies))
    return data


def security_definitions(
    security_dependencies: list[tuple[Any, list[str]]],
) -> tuple[dict[str, Any], list[dict[str, list[str]]]]:
    """`components.securitySchemes` entries and the operation's requirements (scopes merged per name),
    from (security scheme dependant, scopes) pairs."""
    definitions: dict[str, Any] = {}
    requirements: dict[str, list[str]] = {}
    for dependant, scopes in security_dependencies:
        scheme = unwrap_call(dependant.call)
        definitions[scheme.scheme_name] = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        merged = requirements.setdefault(scheme.scheme_name, [])
        merged.extend(s for s in scopes if s not in merged)
    return definitions, [{name: scopes} for name, scopes in requirements.items()]


# --- grouped parameters ------------------------------------------------------------------------


def _is_json(param: Any) -> bool:
    return any(type(item) is Json for item in param.field_info.metadata)


def param_model(param: Any) -> type[BaseModel] | None:
    """The model of a grouped parameter (`q: Annotated[Filters, Query()]`), else None."""
    annotation = param.field_info.annotation
    if isinstance(param.field_info, _params_tuple("Query", "Header", "Cookie")):
        annotation = optional_model(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and not _is_json(param):
        return annotation
    return None


def param_model_fields(model: type[BaseModel]) -> list[SchemaField]:
    """The model's fields as the dependency machinery reads them (one `ModelField` per field, built
    once per model), so the schema mapping is keyed by the same objects FastAPI's is."""
    return [schema_field(f) for f in model_fields(model)]


def flat_fields(params: list[Any]) -> list[SchemaField]:
    flat: list[SchemaField] = []
    for param in params:
        model = param_model(param)
        flat.extend(param_model_fields(model) if model is not None else [schema_field(param)])
    return flat


def flat_params(root: Any) -> list[SchemaField]:
    data = dependency_data(root)
    return [f for loc in _LOCATIONS for f in flat_fields(data.params(loc))]


# --- the parameters list -----------------------------------------------------------------------


def _names(param: SchemaField, convert_underscores: bool) -> tuple[str, str]:
    """(the key the schema is titled by, the parameter's documented name): the first name a request
    may use, as FastAPI reads it from `alias`, `validation_alias` (a string, or the first of
    `AliasChoices` of plain names) and the model's `validate_by_alias`."""
    info = param.field_info
    alias = info.alias if info.alias is not None else param.name
    validation_alias = info.validation_alias
    if isinstance(validation_alias, str) and validation_alias:
        alias = validation_alias
    request_name = alias.replace("_", "-") if convert_underscores and alias == param.name else alias
    if isinstance(info, _params_tuple("Path")) or isinstance(validation_alias, AliasPath):
        return alias, request_name
    if isinstance(validation_alias, AliasChoices):
        if any(isinstance(choice, AliasPath) for choice in validation_alias.choices):
            return alias, request_name
        first = validation_alias.choices[0]
        assert isinstance(first, str)
        alias = request_name = first
    config = param.config or {}
    if config.get("validate_by_alias") is False:
        return param.name, param.name.replace("_", "-") if convert_underscores else param.name
    return alias, request_name


def _params_tuple(*names: str) -> tuple[type[Any], ...]:
    return tuple(c for c in (_params_class(name) for name in names) if isinstance(c, type))


def _parameter(
    loc: str, parent: Any, param: SchemaField, optional: bool, ctx: dict[str, Any]
) -> dict[str, Any]:
    info = param.field_info
    convert = loc == "header" and getattr(
        info, "convert_underscores", getattr(parent.field_info, "convert_underscores", True)
    )
    alias, name = _names(param, bool(convert))
    schema = field_schema(param, ctx["mapping"], separate_input_output_schemas=ctx["separate"], alias=alias)
    parameter: dict[str, Any] = {
        "name": name,
        "in": loc,
        "required": info.is_required() and not optional,
        "schema": schema,
    }
    if info.description:
        parameter["description"] = info.description
    examples = getattr(info, "openapi_examples", None)
    # As FastAPI: a field without `example` (a grouped model's field) gets `"example": None`, which the
    # document drops with the other Nones; extensions calling the steps see it.
    example = getattr(info, "example", None)
    if examples:
        parameter["examples"] = jsonable_encoder(examples)
    elif not is_unset(example):
        parameter["example"] = jsonable_encoder(example)
    if getattr(info, "deprecated", None):
        parameter["deprecated"] = True
    return parameter


def operation_parameters(data: DependencyData, mapping: FieldMapping, separate: bool) -> list[dict[str, Any]]:
    ctx = {"mapping": mapping, "separate": separate}
    parameters: list[dict[str, Any]] = []
    for loc in _LOCATIONS:
        for parent in data.params(loc):
            if not getattr(parent.field_info, "include_in_schema", True):
                continue
            model = param_model(parent)
            optional = (
                model is not None
                and parent.field_info.annotation is not model
                and not parent.field_info.is_required()
            )
            for param in flat_fields([parent]):
                parameters.append(_parameter(loc, parent, param, optional, ctx))
    return parameters


def dedupe_parameters(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (in, name); a required declaration wins over an optional one."""
    by_key = {(p["in"], p["name"]): p for p in parameters}
    by_key.update({(p["in"], p["name"]): p for p in parameters if p.get("required")})
    return list(by_key.values())
