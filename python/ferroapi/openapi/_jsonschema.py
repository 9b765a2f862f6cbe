"""JSON Schemas of request and response fields, generated in one pass by pydantic.

Every field of every route (and every model reachable from one) is handed to a single
`GenerateJsonSchema.generate_definitions` call, so that a model used both as input and as output is
named once, and split into `Model-Input` / `Model-Output` only when its two schemas differ.

The generated schemas are keyed by `(field, mode)` where `field` is the route's own field object (its
`ModelField`), as in FastAPI: a mapping built here serves `fastapi._compat.get_schema_from_model_field`
and the other way round.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import is_dataclass
from enum import Enum
from typing import Annotated, Any, Literal, TypeGuard, Union, cast, get_args, get_origin

from pydantic import BaseModel, Field, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema as _PydanticGenerateJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ferroapi.openapi.constants import REF_TEMPLATE

Mode = Literal["validation", "serialization"]
FieldMapping = dict[tuple[Any, Mode], JsonSchemaValue]


class GenerateJsonSchema(_PydanticGenerateJsonSchema):
    """pydantic's generator, with `bytes` documented as an octet stream (as FastAPI documents it)."""

    def bytes_schema(self, schema: Any) -> JsonSchemaValue:
        json_schema: JsonSchemaValue = {"type": "string", "contentMediaType": "application/octet-stream"}
        config = self._config
        bytes_mode = config.ser_json_bytes if self.mode == "serialization" else config.val_json_bytes
        if bytes_mode == "base64":
            json_schema["contentEncoding"] = "base64"
        self.update_with_validations(json_schema, schema, self.ValidationsMapping.bytes)
        return json_schema


def _is_subclass(value: Any, parent: type[Any] | tuple[type[Any], ...]) -> TypeGuard[type[Any]]:
    return isinstance(value, type) and issubclass(value, parent)


class SchemaField:
    """A field as the schema generator sees it: a type adapter over `Annotated[type, *metadata, Field]`."""

    __slots__ = ("_adapter", "config", "field_info", "mode", "name", "source")

    def __init__(self, field_info: FieldInfo, name: str, mode: Mode, config: Any = None, source: Any = None):
        self.field_info = field_info
        self.name = name
        self.mode = mode
        self.source = source
        self.config = config
        self._adapter: TypeAdapter[Any] | None = None

    @property
    def key(self) -> Any:
        """What the schema mapping is keyed by: the wrapped field, else this wrapper."""
        return self.source if self.source is not None else self

    @property
    def core_schema(self) -> CoreSchema:
        if self._adapter is None:
            own = getattr(self.source, "_type_adapter", None) or getattr(self.source, "type_adapter", None)
            self._adapter = (
                own if isinstance(own, TypeAdapter) else _adapter_for(self.field_info, self.config)
            )
        return self._adapter.core_schema


def _adapter_for(field_info: FieldInfo, config: Any) -> TypeAdapter[Any]:
    described = field_info.asdict()
    attributes = {k: v for k, v in described["attributes"].items() if v is not None or k == "default"}
    with warnings.catch_warnings():
        # pydantic warns about field-only attributes (alias...) used outside a model: expected here.
        warnings.simplefilter("ignore")
        parts = (described["annotation"], *described["metadata"], Field(**attributes))
        return TypeAdapter(cast(Any, Annotated[parts]), config=config)


def schema_field(field: Any) -> SchemaField:
    """Wrap one of `ferroapi._fields.ModelField` (anything with `field_info`, `name`, `mode`)."""
    if isinstance(field, SchemaField):
        return field
    cached = getattr(field, "_ferroapi_schema_field", None)
    if isinstance(cached, SchemaField):
        return cached
    kept = _WRAPPERS.get(id(field))
    if kept is not None and kept[0] is field:
        return kept[1]
    mode: Literal["validation", "serialization"] = getattr(field, "mode", "validation")
    wrapped = SchemaField(
        field.field_info, field.name, mode, config=getattr(field, "config", None), source=field
    )
    try:
        field._ferroapi_schema_field = wrapped
    except (AttributeError, TypeError):
        # No room for the attribute: keep the wrapper here, so that one field always maps to one
        # wrapper (the generated schemas are keyed by the wrapper's identity).
        _WRAPPERS[id(field)] = (field, wrapped)
    return wrapped


_WRAPPERS: dict[int, tuple[Any, SchemaField]] = {}


def model_fields(model: type[BaseModel]) -> list[SchemaField]:
    """The fields of a model, with the model's config unless the field is itself a model/dict/dataclass."""
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nested = _is_subclass(annotation, (BaseModel, dict)) or is_dataclass(annotation)
        config = None if nested else model.model_config
        fields.append(SchemaField(info, name, "validation", config=config))
    return fields


# --- models reachable from fields --------------------------------------------------------------


def collect_annotation(annotation: Any, known: set[type[Any]]) -> None:
    """Add the models and enums inside a generic annotation (`list[Model]`, `Model | None`...)."""
    if get_origin(annotation) is None:
        return
    for arg in get_args(annotation):
        if _is_subclass(arg, (BaseModel, Enum)):
            if arg not in known:
                known.add(arg)
                if _is_subclass(arg, BaseModel):
                    collect_fields(model_fields(arg), known)
        else:
            collect_annotation(arg, known)


def collect_fields(fields: Iterable[Any], known: set[type[Any]]) -> None:
    """Add the models and enums fields (anything with `field_info`) use, and those they use."""
    for field in fields:
        annotation = field.field_info.annotation
        if _is_subclass(annotation, BaseModel):
            if annotation not in known:
                known.add(annotation)
                collect_fields(model_fields(annotation), known)
        elif _is_subclass(annotation, Enum):
            known.add(annotation)
        else:
            collect_annotation(annotation, known)


def flat_models(fields: Iterable[SchemaField]) -> set[type[Any]]:
    known: set[type[Any]] = set()
    collect_fields(fields, known)
    return known


# --- computed fields (they make validation and serialization schemas differ) -------------------


def annotation_has_computed_fields(annotation: Any, seen: set[type[Any]]) -> bool:
    if _is_subclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        if annotation.model_computed_fields:
            return True
        return any(
            annotation_has_computed_fields(f.annotation, seen) for f in annotation.model_fields.values()
        )
    return any(annotation_has_computed_fields(arg, seen) for arg in get_args(annotation))


def has_computed_fields(field: SchemaField) -> bool:
    inner = field.core_schema.get("schema", {})
    if isinstance(inner, dict) and inner.get("computed_fields"):
        return True
    return annotation_has_computed_fields(field.field_info.annotation, set())


# --- definitions and per-field schemas ---------------------------------------------------------


def get_definitions(
    fields: Sequence[SchemaField], *, separate_input_output_schemas: bool
) -> tuple[FieldMapping, dict[str, dict[str, Any]]]:
    """One generator pass over the fields plus every model reachable from them."""
    extra: list[SchemaField] = []
    for mode in ("validation", "serialization"):
        models = flat_models(f for f in fields if f.mode == mode)
        extra.extend(SchemaField(FieldInfo(annotation=m), m.__name__, mode) for m in models)
    direct_types = {f.field_info.annotation for f in fields}
    extra = [f for f in extra if f.field_info.annotation not in direct_types]
    inputs = []
    for field in [*fields, *extra]:
        keep_mode = separate_input_output_schemas or has_computed_fields(field)
        inputs.append((field.key, field.mode if keep_mode else "validation", field.core_schema))
    generator = GenerateJsonSchema(ref_template=REF_TEMPLATE)
    mapping, definitions = generator.generate_definitions(inputs=inputs)
    for definition in definitions.values():
        if "description" in definition:
            # A form feed ends the part of a docstring meant for the schema.
            definition["description"] = definition["description"].split("\f")[0]
    return mapping, dict(definitions)  # type: ignore[arg-type]


def field_schema(
    field: SchemaField,
    mapping: FieldMapping,
    *,
    separate_input_output_schemas: bool,
    alias: str | None = None,
) -> dict[str, Any]:
    """The schema of one field; a non-reference schema gets a title from the field's name/alias."""
    mode: Mode = field.mode
    if not separate_input_output_schemas and not has_computed_fields(field):
        mode = "validation"
    if alias is None:
        alias = _alias_for(field)
    schema = dict(mapping[(field.key, mode)])
    if "$ref" not in schema:
        schema["title"] = field.field_info.title or alias.title().replace("_", " ")
    return schema


def _alias_for(field: SchemaField) -> str:
    info = field.field_info
    base = info.alias if info.alias is not None else field.name
    if field.mode == "validation":
        va = info.validation_alias
        return va if isinstance(va, str) and va else base
    return info.serialization_alias or base


def optional_model(annotation: Any) -> Any:
    """`Model | None` -> `Model`; anything else unchanged."""
    origin = get_origin(annotation)
    if origin is Union or (origin is not None and origin.__name__ == "UnionType"):
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            return next(arg for arg in args if arg is not type(None))
    return annotation
