"""Names FastAPI apps, extensions and test suites import from `fastapi._compat`.

ferroapi supports pydantic v2 only, so this is not a compatibility layer any more: it re-exports the
annotation predicates, pydantic's "no value" sentinel and the pydantic version tuple under FastAPI's
names. The field and JSON Schema helpers of `_compat.v2` (FastAPI re-exports them here) are imported
on first use: they pull in the document generator, which an app that serves no docs never needs.
"""

from typing import Any

from pydantic import PydanticSchemaGenerationError as PydanticSchemaGenerationError
from pydantic_core import Url
from pydantic_core.core_schema import with_info_plain_validator_function as with_info_plain_validator_function

from ferroapi._compat.shared import (
    PYDANTIC_VERSION_MINOR_TUPLE,
    RequiredParam,
    Undefined,
    annotation_is_pydantic_v1,
    field_annotation_is_complex,
    field_annotation_is_scalar,
    field_annotation_is_scalar_sequence,
    field_annotation_is_sequence,
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
    is_pydantic_v1_model_instance,
    is_uploadfile_or_nonable_uploadfile_annotation,
    is_uploadfile_sequence_annotation,
    lenient_issubclass,
    sequence_annotation_to_type,
    sequence_types,
    value_is_sequence,
)

__all__ = [
    "PYDANTIC_VERSION_MINOR_TUPLE",
    "PydanticSchemaGenerationError",
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
    "is_pydantic_v1_model_instance",
    "is_uploadfile_or_nonable_uploadfile_annotation",
    "is_uploadfile_sequence_annotation",
    "lenient_issubclass",
    "sequence_annotation_to_type",
    "sequence_types",
    "value_is_sequence",
    "with_info_plain_validator_function",
]

# Resolved from `ferroapi._compat.v2` on first access (ModelField lives in ferroapi._fields, which
# imports this package: it cannot be imported here eagerly either).
_FROM_V2 = frozenset(
    {
        "ModelField",
        "copy_field_info",
        "create_body_model",
        "evaluate_forwardref",
        "get_cached_model_fields",
        "get_definitions",
        "get_flat_models_from_fields",
        "get_missing_field_error",
        "get_model_name_map",
        "get_schema_from_model_field",
        "is_scalar_field",
        "serialize_sequence_value",
    }
)


def __getattr__(name: str) -> Any:
    if name in _FROM_V2:
        # Imported on first use (the document generator's start-up cost); no module below this
        # façade imports it (tests/unit/test_import_layers.py).
        from ferroapi._compat import v2

        value = globals()[name] = getattr(v2, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
