"""Whole-graph views of a route's dependant: every parameter and body field of the graph, and the
single body field the OpenAPI document and the pipeline use (a combined model when embedded).
"""

from __future__ import annotations

from copy import copy
from functools import partial
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, GetPydanticSchema, create_model

from ferroapi import params
from ferroapi._fields import ModelField, create_model_field
from ferroapi.dependencies.body import form_model, form_models, should_embed_body_fields
from ferroapi.dependencies.fieldinfo import model_fields, param_model
from ferroapi.dependencies.form_schema import form_body_schema, form_model_schema
from ferroapi.dependencies.models import CacheKey, Dependant

__all__ = [
    "get_body_field",
    "get_flat_body_params",
    "get_flat_dependant",
    "get_flat_params",
    "is_form_body",
    "should_embed_body_fields",
]


def get_flat_dependant(
    dependant: Dependant, *, skip_repeats: bool = False, visited: list[CacheKey] | None = None
) -> Dependant:
    """One Dependant holding the parameters of the whole graph (own ones first, then each sub's)."""
    if visited is None:
        visited = []
    visited.append(dependant.cache_key)
    flat = Dependant(
        path_params=dependant.path_params.copy(),
        query_params=dependant.query_params.copy(),
        header_params=dependant.header_params.copy(),
        cookie_params=dependant.cookie_params.copy(),
        body_params=dependant.body_params.copy(),
        use_cache=dependant.use_cache,
        path=dependant.path,
        call=dependant.call,
    )
    for sub in dependant.dependencies:
        if skip_repeats and sub.cache_key in visited:
            continue
        flat_sub = get_flat_dependant(sub, skip_repeats=skip_repeats, visited=visited)
        flat.path_params.extend(flat_sub.path_params)
        flat.query_params.extend(flat_sub.query_params)
        flat.header_params.extend(flat_sub.header_params)
        flat.cookie_params.extend(flat_sub.cookie_params)
        flat.body_params.extend(flat_sub.body_params)
    return flat


def get_flat_body_params(dependant: Dependant) -> list[ModelField]:
    """Every body parameter of the graph, repeats included (a repeat still counts as one name)."""
    found: list[ModelField] = []
    stack = [dependant]
    while stack:
        current = stack.pop()
        found.extend(current.body_params)
        stack.extend(reversed(current.dependencies))
    return found


def _expand_models(fields: list[ModelField]) -> list[ModelField]:
    expanded: list[ModelField] = []
    for field in fields:
        model = param_model(field)
        expanded.extend(model_fields(model) if model is not None else [field])
    return expanded


def get_flat_params(dependant: Dependant) -> list[ModelField]:
    """Path, query, header and cookie parameters of the graph (grouped models expanded), each
    dependency counted once: what the OpenAPI `parameters` list is made of.
    """
    flat = get_flat_dependant(dependant, skip_repeats=True)
    return (
        _expand_models(flat.path_params)
        + _expand_models(flat.query_params)
        + _expand_models(flat.header_params)
        + _expand_models(flat.cookie_params)
    )


def is_form_body(body_field: ModelField | None) -> bool:
    """Form (or file) bodies are read with `request.form()`, JSON bodies with `request.body()`."""
    return body_field is not None and isinstance(body_field.field_info, params.Form)


def _form_body_definitions(body_params: list[ModelField]) -> dict[str, Any]:
    """`field_<i>` per parameter: a form model documented by its form keys, titled after the name."""
    definitions: dict[str, Any] = {}
    for index, field in enumerate(body_params):
        info = copy(field.field_info)
        model = form_model(field)
        if model is not None:
            hook = GetPydanticSchema(get_pydantic_json_schema=partial(form_model_schema, model))
            documented: Any = Annotated[model, hook]
            info.annotation = documented if info.annotation is model else documented | None
        key = f"field_{index}"
        info.alias = info.validation_alias = info.serialization_alias = key
        info.title = info.title or field.name.replace("_", " ").title()
        definitions[key] = (info.annotation, info)
    return definitions


def _body_model(name: str, body_params: list[ModelField]) -> type[BaseModel]:
    config: ConfigDict | None = None
    if any(form_models(f) for f in body_params):
        definitions = _form_body_definitions(body_params)
        config = {"json_schema_extra": partial(form_body_schema, body_params)}
    else:
        definitions = {f.name: (f.field_info.annotation, copy(f.field_info)) for f in body_params}
    model: type[BaseModel] = create_model(f"Body_{name}", __config__=config, **definitions)
    return model


def get_body_field(
    *,
    name: str,
    embed_body_fields: bool,
    flat_dependant: Dependant | None = None,
    body_params: list[ModelField] | None = None,
) -> ModelField | None:
    """The request body as one field: the parameter itself, or a `Body_<name>` model of all of them
    (embedded, or a form with a nullable form model). Used for the OpenAPI schema and to pick JSON
    vs form; validation is per parameter.
    """
    if body_params is None:
        body_params = flat_dependant.body_params if flat_dependant is not None else []
    if not body_params:
        return None
    first = body_params[0]
    nullable_form_model = any(
        form_models(f) and type(None) in get_args(f.field_info.annotation) for f in body_params
    )
    if not embed_body_fields and not nullable_form_model:
        return first
    body_model = _body_model(name, body_params)
    if not embed_body_fields:
        info = copy(first.field_info)
        info.annotation = body_model
        info.metadata = []  # the parameter itself still carries (and validates) its constraints
        info.discriminator = None
        return create_model_field(first.name, body_model, field_info=info)
    kwargs: dict[str, Any] = {"annotation": body_model, "alias": "body"}
    if not any(f.field_info.is_required() for f in body_params):
        kwargs["default"] = None
    declaration: type[params.Body] = params.Body
    if any(isinstance(f.field_info, params.File) for f in body_params):
        declaration = params.File
    elif any(isinstance(f.field_info, params.Form) for f in body_params):
        declaration = params.Form
    if declaration is not params.File:
        media_types = [f.field_info.media_type for f in body_params if isinstance(f.field_info, declaration)]
        if declaration is params.Form and "multipart/form-data" in media_types:
            kwargs["media_type"] = "multipart/form-data"
        elif len(set(media_types)) == 1:
            kwargs["media_type"] = media_types[0]
    return create_model_field("body", body_model, alias="body", field_info=declaration(**kwargs))
