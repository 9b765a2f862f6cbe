"""`fastapi._compat.v2`: FastAPI's pydantic v2 helpers, over ferroapi's own machinery.

Extensions (cadwyn, titiler, fastapi-jsonrpc, fastapi-amis-admin) build fields and partial OpenAPI
documents with these: `ModelField` is `ferroapi._fields.ModelField`; the JSON Schema helpers run the
document generator's one-pass schema generation (`ferroapi.openapi._jsonschema`), with the mapping
keyed by `(ModelField, mode)` as FastAPI's is. Nothing here runs per request; this module is imported
on first use (by `ferroapi._compat`'s lazy names, or directly).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as Field
from pydantic import GetJsonSchemaHandler as GetJsonSchemaHandler
from pydantic import PydanticSchemaGenerationError as PydanticSchemaGenerationError
from pydantic import PydanticUndefinedAnnotation as PydanticUndefinedAnnotation
from pydantic import TypeAdapter as TypeAdapter
from pydantic import ValidationError as ValidationError
from pydantic import json_schema as _pydantic_json_schema
from pydantic._internal import _typing_extra
from pydantic.fields import FieldInfo as FieldInfo
from pydantic.json_schema import JsonSchemaValue as JsonSchemaValue
from pydantic_core import CoreSchema as CoreSchema
from pydantic_core import PydanticUndefined as PydanticUndefined
from pydantic_core import Url as Url
from pydantic_core.core_schema import with_info_plain_validator_function as with_info_plain_validator_function

from ferroapi import params
from ferroapi._compat.shared import (
    field_annotation_is_scalar,
    sequence_annotation_to_type,
    sequence_types,
)
from ferroapi._compat.shared import lenient_issubclass as lenient_issubclass
from ferroapi._fields import (
    _ADAPTER_ATTRIBUTES,
    ModelField,
    _field_attributes,
    missing_field_error,
    prefix_errors,
)
from ferroapi.dependencies.fieldinfo import merge_annotated, model_fields
from ferroapi.openapi import _jsonschema
from ferroapi.openapi._jsonschema import GenerateJsonSchema as GenerateJsonSchema
from ferroapi.openapi.constants import REF_TEMPLATE as REF_TEMPLATE
from ferroapi.types import IncEx as IncEx
from ferroapi.types import ModelNameMap as ModelNameMap

__all__ = [
    "GenerateJsonSchema",
    "ModelField",
    "RequiredParam",
    "Undefined",
    "asdict",
    "copy_field_info",
    "create_body_model",
    "evaluate_forwardref",
    "get_cached_model_fields",
    "get_definitions",
    "get_flat_models_from_annotation",
    "get_flat_models_from_field",
    "get_flat_models_from_fields",
    "get_flat_models_from_model",
    "get_missing_field_error",
    "get_model_fields",
    "get_model_name_map",
    "get_schema_from_model_field",
    "is_scalar_field",
    "normalize_name",
    "serialize_sequence_value",
]

# "No value given": a required parameter's default, a missing request value.
RequiredParam = PydanticUndefined
Undefined = PydanticUndefined

Mode = Literal["validation", "serialization"]
TypeModelOrEnum = type[BaseModel] | type[Enum]
TypeModelSet = set[TypeModelOrEnum]

get_missing_field_error = missing_field_error
# pydantic's generator; `GenerateJsonSchema` is the document generator's subclass of it.
_GenerateJsonSchema = _pydantic_json_schema.GenerateJsonSchema


def evaluate_forwardref(
    value: Any, globalns: dict[str, Any] | None = None, localns: dict[str, Any] | None = None
) -> Any:
    """`value` (a string or ForwardRef) evaluated in the namespaces, or left as is when it cannot be."""
    return _typing_extra.try_eval_type(value, globalns, localns)[0]


# --- FieldInfo as data -----------------------------------------------------------------------------

# The FieldInfo attributes a field's type adapter is rebuilt with, and pydantic's default of each.
_Attrs: dict[str, Any] = {name: None for name in _ADAPTER_ATTRIBUTES} | {"default": ..., "repr": True}


def asdict(field_info: FieldInfo) -> dict[str, Any]:
    """`{"annotation", "metadata", "attributes"}`: the parts a field's adapter is built from (the
    attributes that are set)."""
    return {
        "annotation": field_info.annotation,
        "metadata": field_info.metadata,
        "attributes": _field_attributes(field_info),
    }


def copy_field_info(*, field_info: FieldInfo, annotation: Any) -> FieldInfo:
    """A copy of `field_info` (same class: Query, Body...) with what `Annotated[...]` adds merged in."""
    return merge_annotated(field_info, annotation)


def _regenerate_error_with_loc(
    *, errors: Sequence[Any], loc_prefix: tuple[str | int, ...]
) -> list[dict[str, Any]]:
    """`errors` with `loc_prefix` put in front of each error's `loc`."""
    return prefix_errors(errors, loc_prefix)


# --- fields ----------------------------------------------------------------------------------------


def is_scalar_field(field: ModelField) -> bool:
    """A value that comes from one string (not a model, list... and not declared as a body)."""
    return field_annotation_is_scalar(field.field_info.annotation) and not isinstance(
        field.field_info, params.Body
    )


def serialize_sequence_value(*, field: ModelField, value: Any) -> Sequence[Any]:
    """`value` as the sequence type the field declares (`list[str] | None` -> a list)."""
    annotation = field.field_info.annotation
    origin = get_origin(annotation) or annotation
    if origin is Union or origin is UnionType:
        choice = next(arg for arg in get_args(annotation) if arg is not type(None))
        origin = get_origin(choice) or choice
    if not (isinstance(origin, type) and issubclass(origin, sequence_types)):
        raise TypeError(f"{annotation!r} is not a sequence type")
    result: Sequence[Any] = sequence_annotation_to_type[origin](value)
    return result


def create_body_model(
    *, fields: Sequence[ModelField], model_name: str, config: ConfigDict | None = None
) -> type[BaseModel]:
    """A model with one field per body parameter (the combined body of an embedded route)."""
    definitions: dict[str, Any] = {f.name: (f.field_info.annotation, f.field_info) for f in fields}
    model: type[BaseModel] = create_model(model_name, __config__=config, **definitions)
    return model


def get_cached_model_fields(model: type[BaseModel]) -> list[ModelField]:
    """The model's fields as `ModelField`s (the model's config for its own fields, none for nested
    models, dicts and dataclasses), built once per model: the objects request parsing uses."""
    return model_fields(model)


def get_model_fields(model: type[BaseModel]) -> list[ModelField]:
    """`get_cached_model_fields(model)` as a new list."""
    return list(model_fields(model))


# --- models reachable from fields, and their names -------------------------------------------------


def normalize_name(name: str) -> str:
    """`name` with every character JSON Schema names avoid replaced by "_"."""
    return re.sub(r"[^a-zA-Z0-9.\-_]", "_", name)


def get_model_name_map(unique_models: TypeModelSet) -> dict[TypeModelOrEnum, str]:
    """Each model's normalized class name; of models sharing a name, only the last one is kept."""
    by_name = {normalize_name(model.__name__): model for model in unique_models}
    return {model: name for name, model in by_name.items()}


def get_flat_models_from_annotation(annotation: Any, known_models: TypeModelSet) -> TypeModelSet:
    """Add the models and enums inside a generic annotation (and those their fields use)."""
    _jsonschema.collect_annotation(annotation, known_models)
    return known_models


def get_flat_models_from_field(field: ModelField, known_models: TypeModelSet) -> TypeModelSet:
    _jsonschema.collect_fields([field], known_models)
    return known_models


def get_flat_models_from_fields(fields: Sequence[ModelField], known_models: TypeModelSet) -> TypeModelSet:
    """Every model and enum the fields use, at any depth, added to `known_models`."""
    _jsonschema.collect_fields(fields, known_models)
    return known_models


def get_flat_models_from_model(
    model: type[BaseModel], known_models: TypeModelSet | None = None
) -> TypeModelSet:
    """The models and enums `model`'s fields use (into `known_models`; a new set when it is empty)."""
    known = known_models or set()
    return get_flat_models_from_fields(get_model_fields(model), known_models=known)


# --- JSON Schemas ----------------------------------------------------------------------------------


def _annotation_has_computed_fields(annotation: Any, *, known_models: set[type[BaseModel]]) -> bool:
    return _jsonschema.annotation_has_computed_fields(annotation, known_models)


def _has_computed_fields(field: ModelField) -> bool:
    """Whether the field's type has computed fields (its serialization schema then differs)."""
    return _jsonschema.has_computed_fields(_jsonschema.schema_field(field))


def get_definitions(
    *,
    fields: Sequence[ModelField],
    model_name_map: ModelNameMap,
    separate_input_output_schemas: bool = True,
) -> tuple[dict[tuple[ModelField, Mode], JsonSchemaValue], dict[str, dict[str, Any]]]:
    """The schemas of `fields` keyed by `(field, mode)`, and the definitions of the models they use
    (`model_name_map` is unused: pydantic names the models)."""
    wrapped = [_jsonschema.schema_field(field) for field in fields]
    return _jsonschema.get_definitions(wrapped, separate_input_output_schemas=separate_input_output_schemas)


def get_schema_from_model_field(
    *,
    field: ModelField,
    model_name_map: ModelNameMap,
    field_mapping: dict[tuple[ModelField, Mode], JsonSchemaValue],
    separate_input_output_schemas: bool = True,
    field_alias: str | None = None,
) -> dict[str, Any]:
    """`field`'s schema from `field_mapping` (see `get_definitions`); an inline schema is titled after
    `field_alias` (default: the field's alias for its mode)."""
    return _jsonschema.field_schema(
        _jsonschema.schema_field(field),
        field_mapping,
        separate_input_output_schemas=separate_input_output_schemas,
        alias=field_alias,
    )
