"""Names FastAPI apps and test suites import from `fastapi._compat`.

ferroapi supports pydantic v2 only, so this is not a compatibility layer any more: it re-exports the
annotation predicates, pydantic's "no value" sentinel and the pydantic version tuple under FastAPI's
names.
"""

from pydantic_core import PydanticUndefined, Url

from ferroapi._compat.shared import (
    PYDANTIC_VERSION_MINOR_TUPLE,
    annotation_is_pydantic_v1,
    field_annotation_is_complex,
    field_annotation_is_scalar,
    field_annotation_is_scalar_sequence,
    field_annotation_is_sequence,
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
    is_uploadfile_or_nonable_uploadfile_annotation,
    is_uploadfile_sequence_annotation,
    lenient_issubclass,
    sequence_annotation_to_type,
    sequence_types,
    value_is_sequence,
)

# "No value given": a required parameter's default, a missing request value.
Undefined = PydanticUndefined
RequiredParam = PydanticUndefined

__all__ = [
    "PYDANTIC_VERSION_MINOR_TUPLE",
    "RequiredParam",
    "Undefined",
    "Url",
    "annotation_is_pydantic_v1",
    "field_annotation_is_complex",
    "field_annotation_is_scalar",
    "field_annotation_is_scalar_sequence",
    "field_annotation_is_sequence",
    "is_bytes_or_nonable_bytes_annotation",
    "is_bytes_sequence_annotation",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
    "lenient_issubclass",
    "sequence_annotation_to_type",
    "sequence_types",
    "value_is_sequence",
]


def __getattr__(name: str) -> object:
    # ModelField lives in ferroapi._fields, which imports this package: resolve it lazily.
    if name == "ModelField":
        from ferroapi._fields import ModelField

        return ModelField
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
