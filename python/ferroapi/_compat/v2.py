"""`fastapi._compat.v2` names: the pydantic v2 helpers FastAPI keeps there, over ferroapi's own."""

from __future__ import annotations

from collections.abc import Sequence
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, create_model

from ferroapi._compat.shared import sequence_annotation_to_type, sequence_types
from ferroapi._fields import ModelField, missing_field_error

__all__ = ["ModelField", "create_body_model", "get_missing_field_error", "serialize_sequence_value"]

get_missing_field_error = missing_field_error


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
