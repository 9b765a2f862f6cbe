"""FastAPI's one-call helpers for reading request values (`fastapi.dependencies.utils` private names),
over the readers the solver compiles once per route (`dependencies.extract`, `dependencies.body`).

ferroapi decides at registration how each field is read and keeps that in a reader object; FastAPI's
helpers decide it on every call from the field and the container they are given. Extensions call
the helpers one value at a time (a parameter read out of a hand-built request, a form field), so each
helper here builds the reader for its arguments and runs it once: the same lookups, defaults and
errors as a request served by ferroapi. Nothing here runs on ferroapi's own request path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, Headers, ImmutableMultiDict

from ferroapi import params
from ferroapi._compat.shared import field_annotation_is_sequence
from ferroapi._fields import ModelField
from ferroapi.dependencies.body import BodyReader, _form_items, _FormKeys, _read_form, form_model_supplied
from ferroapi.dependencies.extract import FieldReader, ModelReader, lookup, make_param_reader
from ferroapi.dependencies.fieldinfo import is_json_field, model_fields

__all__ = [
    "extract_form_body",
    "extract_form_items",
    "extract_form_model",
    "get_multidict_value",
    "get_validation_alias",
    "request_body_to_args",
    "request_param_model_to_args",
    "request_params_to_args",
    "validate_value_with_model_field",
]

Undefined: Any = PydanticUndefined
_MULTIDICTS = (ImmutableMultiDict, Headers)


def get_validation_alias(field: ModelField) -> str:
    """The key a field is looked up under: its validation alias, else its alias."""
    return getattr(field, "validation_alias", None) or field.alias


def get_multidict_value(field: ModelField, values: Mapping[str, Any], alias: str) -> Any:
    """The raw value of `field` under `alias`, or Undefined when absent (or empty: a list without
    items, an empty form string or file input). Repeated keys are read as a list when the field is a
    sequence and `values` keeps repeats (query parameters, headers, form data)."""
    is_sequence = field_annotation_is_sequence(field.field_info.annotation)
    as_list = is_sequence and not is_json_field(field) and isinstance(values, _MULTIDICTS)
    return lookup(
        values, alias, as_list=as_list, is_sequence=is_sequence, is_form=isinstance(values, FormData)
    )


def validate_value_with_model_field(
    *, field: ModelField, value: Any, values: dict[str, Any], loc: tuple[str, ...]
) -> tuple[Any, list[Any]]:
    """(validated value, errors) for a raw value, Undefined meaning "not sent": the missing-field
    error when required, else the default (validated only with `validate_default`)."""
    errors: list[Any] = []
    return FieldReader(field).finish(value, loc, errors), errors


def request_param_model_to_args(
    model_field: ModelField, model: type[BaseModel], received_params: Mapping[str, Any]
) -> tuple[Any, list[Any]]:
    """A grouped parameter (`Annotated[Model, Query()]`, a header or cookie model) read out of
    `received_params`: (the model instance, or None on errors; the errors).

    The parameter's location decides header-name conversion (`x_token` read as `x-token`); FastAPI
    decides it from `received_params` being `Headers`, which is what a request gives a header model.
    """
    info = model_field.field_info
    assert isinstance(info, params.Param), "Params must be subclasses of Param"
    assert info.in_ is not None
    reader = ModelReader(
        model_field, model, info.in_.value, multidict=isinstance(received_params, _MULTIDICTS)
    )
    values: dict[str, Any] = {}
    errors: list[Any] = []
    reader.read(received_params, values, errors)
    return values.get(model_field.name), errors


def extract_form_items(
    body_fields: list[ModelField], received_body: FormData
) -> Iterator[tuple[str, Any, ModelField | None]]:
    """(key, raw value, the field that claimed it) for each field found in the form, then every
    key no field claimed, with None as its field."""
    for key, value, keys in _form_items([_FormKeys(field) for field in body_fields], received_body):
        yield key, value, keys.field if keys is not None else None


async def extract_form_body(
    body_fields: list[ModelField], received_body: FormData
) -> AsyncIterator[tuple[str, Any, ModelField | None]]:
    """`extract_form_items`, with uploads of `bytes` file fields read into bytes (the file position
    left where it was, for other parameters reading the same upload)."""
    async for key, value, keys in _read_form([_FormKeys(field) for field in body_fields], received_body):
        yield key, value, keys.field if keys is not None else None


async def extract_form_model(
    field: ModelField, models: list[type[BaseModel]], received_body: FormData
) -> Any:
    """The raw value of a form-model parameter: its model's keys out of the form (a union of models
    gets every key; each branch picks its own when validated), or Undefined when the parameter is
    optional and nothing of its models was sent."""
    if type(None) in get_args(field.field_info.annotation) and not any(
        form_model_supplied(model, received_body) for model in models
    ):
        return Undefined
    fields = model_fields(models[0]) if len(models) == 1 else []
    return {key: value async for key, value, _ in extract_form_body(fields, received_body)}


def request_params_to_args(
    fields: Sequence[ModelField], received_params: Any
) -> tuple[dict[str, Any], list[Any]]:
    """Validate the path/query/header/cookie `fields` (all of one location) from a mapping."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for field in fields:
        location = getattr(field.field_info, "in_", None)
        name = getattr(location, "value", "query")
        make_param_reader(field, name).read(received_params, values, errors)
    return values, errors


async def request_body_to_args(
    body_fields: list[ModelField], received_body: Any, embed_body_fields: bool
) -> tuple[dict[str, Any], list[Any]]:
    """Validate body fields from a decoded JSON body or FormData (None: no body was sent)."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    if not body_fields:
        return values, errors
    reader = BodyReader(list(body_fields))
    if isinstance(received_body, FormData):
        await reader.read_form(received_body, embed_body_fields, values, errors)
    else:
        body = Undefined if received_body is None else received_body
        reader.read_json(body, embed_body_fields, values, errors)
    return values, errors
