"""Predicates on type annotations: how a parameter's annotation decides where its value comes from.

They answer the questions dependency analysis asks once per parameter (is it a scalar, a sequence of
scalars, an upload, bytes?) and are importable under FastAPI's `fastapi._compat.shared` names.
"""

from __future__ import annotations

import functools
import sys
import types
import typing
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass
from typing import Annotated, Any, TypeGuard, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticUndefined
from starlette.datastructures import UploadFile

__all__ = [
    "PYDANTIC_VERSION_MINOR_TUPLE",
    "RequiredParam",
    "Undefined",
    "WithArgsTypes",
    "annotation_is_pydantic_v1",
    "field_annotation_is_complex",
    "field_annotation_is_scalar",
    "field_annotation_is_scalar_sequence",
    "field_annotation_is_sequence",
    "is_bytes_or_nonable_bytes_annotation",
    "is_bytes_sequence_annotation",
    "is_pydantic_v1_model_class",
    "is_pydantic_v1_model_instance",
    "is_union",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
    "lenient_issubclass",
    "sequence_annotation_to_type",
    "sequence_types",
    "value_is_sequence",
]

_T = TypeVar("_T")

# "No value given": a required parameter's default, a missing request value (FastAPI's names, which
# `ferroapi._compat` re-exports; the modules below that façade import them from here).
Undefined = PydanticUndefined
RequiredParam = PydanticUndefined

PYDANTIC_VERSION_MINOR_TUPLE: tuple[int, ...] = tuple(int(part) for part in PYDANTIC_VERSION.split(".")[:2])

# Which concrete container a sequence annotation is rebuilt into (e.g. after reading uploaded bytes).
sequence_annotation_to_type: dict[Any, type[Any]] = {
    Sequence: list,
    list: list,
    tuple: tuple,
    set: set,
    frozenset: frozenset,
    deque: deque,
}
sequence_types: tuple[type[Any], ...] = tuple(sequence_annotation_to_type)

# Parametrized generics: `issubclass` raises TypeError on them, and they are never subclasses.
WithArgsTypes: tuple[type[Any], ...] = (
    typing._GenericAlias,  # type: ignore[attr-defined]
    types.GenericAlias,
    types.UnionType,
)


def lenient_issubclass(cls: Any, class_or_tuple: type[_T] | tuple[type[_T], ...]) -> TypeGuard[type[_T]]:
    """`issubclass` that answers False for non-classes instead of raising."""
    try:
        return isinstance(cls, type) and issubclass(cls, class_or_tuple)
    except TypeError:
        if isinstance(cls, WithArgsTypes):
            return False
        raise


def is_union(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return origin is Union or origin is types.UnionType


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _annotation_is_sequence(annotation: Any) -> bool:
    # str and bytes are sequences for Python, but a query value, not a list of them.
    if lenient_issubclass(annotation, (str, bytes)):
        return False
    return lenient_issubclass(annotation, sequence_types)


_Predicate = typing.Callable[[Any], bool]


def _memo_by_annotation(predicate: _Predicate) -> _Predicate:
    """Remember a predicate's answer per (hashable) annotation: dependency analysis asks the same
    questions of `int`, `str | None`... for every parameter of every route."""
    answers: dict[Any, bool] = {}

    @functools.wraps(predicate)
    def memo(annotation: Any) -> bool:
        try:
            return answers[annotation]
        except KeyError:
            pass
        except TypeError:  # unhashable (Annotated metadata, some generic aliases)
            return predicate(annotation)
        if len(answers) >= 4096:
            answers.clear()
        answer = answers[annotation] = predicate(annotation)
        return answer

    return memo


@_memo_by_annotation
def field_annotation_is_sequence(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    if is_union(annotation):
        return any(field_annotation_is_sequence(arg) for arg in get_args(annotation))
    return _annotation_is_sequence(annotation) or _annotation_is_sequence(get_origin(annotation))


def value_is_sequence(value: Any) -> bool:
    return isinstance(value, sequence_types) and not isinstance(value, (str, bytes))


def _annotation_is_complex(annotation: Any) -> bool:
    return (
        lenient_issubclass(annotation, (BaseModel, Mapping, UploadFile))
        or _annotation_is_sequence(annotation)
        or is_dataclass(annotation)
    )


@_memo_by_annotation
def field_annotation_is_complex(annotation: Any) -> bool:
    """Models, mappings, sequences, dataclasses, uploads: values that cannot come from one string."""
    annotation = _strip_annotated(annotation)
    if is_union(annotation):
        return any(field_annotation_is_complex(arg) for arg in get_args(annotation))
    origin = get_origin(annotation)
    return (
        _annotation_is_complex(annotation)
        or _annotation_is_complex(origin)
        or hasattr(origin, "__pydantic_core_schema__")
        or hasattr(origin, "__get_pydantic_core_schema__")
    )


def field_annotation_is_scalar(annotation: Any) -> bool:
    # Ellipsis shows up as the second argument of `tuple[int, ...]`.
    return annotation is Ellipsis or not field_annotation_is_complex(annotation)


def field_annotation_is_scalar_sequence(annotation: Any) -> bool:
    """`list[int]`, `set[str] | None`: a repeated query/header value."""
    annotation = _strip_annotated(annotation)
    if is_union(annotation):
        found = False
        for arg in get_args(annotation):
            if field_annotation_is_scalar_sequence(arg):
                found = True
            elif not field_annotation_is_scalar(arg):
                return False
        return found
    return field_annotation_is_sequence(annotation) and all(
        field_annotation_is_scalar(arg) for arg in get_args(annotation)
    )


def _any_union_arg(annotation: Any, predicate: typing.Callable[[Any], bool]) -> bool:
    return is_union(annotation) and any(predicate(arg) for arg in get_args(annotation))


def is_bytes_or_nonable_bytes_annotation(annotation: Any) -> bool:
    if lenient_issubclass(annotation, bytes):
        return True
    return _any_union_arg(annotation, lambda arg: lenient_issubclass(arg, bytes))


def is_uploadfile_or_nonable_uploadfile_annotation(annotation: Any) -> bool:
    if lenient_issubclass(annotation, UploadFile):
        return True
    return _any_union_arg(annotation, lambda arg: lenient_issubclass(arg, UploadFile))


def is_bytes_sequence_annotation(annotation: Any) -> bool:
    if is_union(annotation):
        return any(is_bytes_sequence_annotation(arg) for arg in get_args(annotation))
    return field_annotation_is_sequence(annotation) and all(
        is_bytes_or_nonable_bytes_annotation(arg) for arg in get_args(annotation)
    )


def is_uploadfile_sequence_annotation(annotation: Any) -> bool:
    if is_union(annotation):
        return any(is_uploadfile_sequence_annotation(arg) for arg in get_args(annotation))
    return field_annotation_is_sequence(annotation) and all(
        is_uploadfile_or_nonable_uploadfile_annotation(arg) for arg in get_args(annotation)
    )


def is_pydantic_v1_model_class(cls: Any) -> bool:
    """A `pydantic.v1` model class. Never imports pydantic.v1 (it warns on some Pythons): while
    nothing imported it, no such class can exist."""
    base = getattr(sys.modules.get("pydantic.v1"), "BaseModel", None)
    return base is not None and lenient_issubclass(cls, base)


def is_pydantic_v1_model_instance(obj: Any) -> bool:
    """An instance of a `pydantic.v1` model (False while pydantic.v1 was never imported)."""
    return is_pydantic_v1_model_class(type(obj))


def annotation_is_pydantic_v1(annotation: Any) -> bool:
    """A pydantic.v1 model, alone, in a union, or as the items of a sequence (at any depth)."""
    if "pydantic.v1" not in sys.modules:
        return False  # no such model can exist: skip walking the annotation (every field, at build)
    if is_pydantic_v1_model_class(annotation):
        return True
    if is_union(annotation) and any(is_pydantic_v1_model_class(arg) for arg in get_args(annotation)):
        return True
    return field_annotation_is_sequence(annotation) and any(
        annotation_is_pydantic_v1(arg) for arg in get_args(annotation)
    )
