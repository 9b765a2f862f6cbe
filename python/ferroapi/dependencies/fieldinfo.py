"""Helpers on declarations (FieldInfo) shared by analysis and solving."""

from __future__ import annotations

from copy import copy
from dataclasses import is_dataclass
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, Json
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ferroapi import params
from ferroapi._compat.shared import is_union, lenient_issubclass
from ferroapi._fields import ModelField

__all__ = [
    "ensure_multipart_is_installed",
    "is_json_field",
    "merge_annotated",
    "model_fields",
    "model_type",
    "param_model",
]

_FIELD_ATTRIBUTES = (
    "default", "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias",
    "title", "field_title_generator", "description", "examples", "exclude", "exclude_if",
    "discriminator", "deprecated", "json_schema_extra", "frozen", "validate_default", "repr", "init",
    "init_var", "kw_only",
)  # fmt: skip


def merge_annotated(field_info: FieldInfo, annotation: Any) -> FieldInfo:
    """A copy of `field_info` (keeping its class: Query, Body...) with everything pydantic collects
    from `Annotated[T, ...]` merged in: constraints of several `Field()`s, the inner type.
    """
    merged = FieldInfo.from_annotation(annotation)
    result = copy(field_info)
    for name in _FIELD_ATTRIBUTES:
        value = getattr(merged, name, PydanticUndefined)
        if value is not PydanticUndefined:
            setattr(result, name, value)
    result._attributes_set = merged._attributes_set.copy()
    result.metadata = merged.metadata
    result.annotation = merged.annotation
    return result


def model_type(annotation: Any) -> type[BaseModel] | None:
    """The model of `M` or `M | None`, else None."""
    if is_union(annotation):
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(arg for arg in args if arg is not type(None))
    return annotation if lenient_issubclass(annotation, BaseModel) else None


def is_json_field(field: ModelField) -> bool:
    """`Annotated[T, Json]`: the raw value is a JSON document, never split into a list."""
    return any(type(item) is Json for item in field.field_info.metadata)


def param_model(field: ModelField) -> type[BaseModel] | None:
    """The model of a grouped parameter (`filters: Annotated[Filters, Query()]`), else None."""
    annotation = field.field_info.annotation
    if isinstance(field.field_info, (params.Query, params.Header, params.Cookie)):
        annotation = model_type(annotation)
    if lenient_issubclass(annotation, BaseModel) and not is_json_field(field):
        return annotation
    return None


@cache
def model_fields(model: type[BaseModel]) -> list[ModelField]:
    """One ModelField per model field, built once per model."""
    fields: list[ModelField] = []
    for name, info in model.model_fields.items():
        nested = lenient_issubclass(info.annotation, (BaseModel, dict))
        # The model's config (aliases, extra) matters to its own fields, not to nested models.
        config = None if nested or _is_dataclass(info.annotation) else model.model_config
        fields.append(ModelField(info, name, config=config))
    return fields


def _is_dataclass(annotation: Any) -> bool:
    return is_dataclass(annotation)


_MULTIPART_MISSING = (
    'Form data requires "python-multipart" to be installed. \n'
    'You can install "python-multipart" with: \n\n'
    "pip install python-multipart\n"
)
_MULTIPART_WRONG = (
    'Form data requires "python-multipart" to be installed. '
    'It seems you installed "multipart" instead. \n'
    'You can remove "multipart" with: \n\n'
    "pip uninstall multipart\n\n"
    'And then install "python-multipart" with: \n\n'
    "pip install python-multipart\n"
)


def ensure_multipart_is_installed() -> None:
    """Form parameters need python-multipart; say so at registration, not on the first request."""
    try:
        from python_multipart import __version__

        assert __version__ > "0.0.12"
    except (ImportError, AssertionError):
        try:
            from multipart import __version__ as other_version  # type: ignore[import-untyped,unused-ignore]

            assert other_version
        except ImportError:
            raise RuntimeError(_MULTIPART_MISSING) from None
        try:
            from multipart.multipart import parse_options_header  # type: ignore[import-untyped,unused-ignore]

            assert parse_options_header
        except ImportError:
            raise RuntimeError(_MULTIPART_WRONG) from None
