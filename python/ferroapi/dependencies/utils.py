"""FastAPI's `fastapi.dependencies.utils` names, for code that imports them from there.

Analysis lives in `dependencies.analyze` (+ `signature`, `flat`), solving in `dependencies.solve`;
FastAPI's keyword contract of `solve_dependencies` over it in `dependencies.solved`.
"""

from collections.abc import Sequence
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData

from ferroapi._fields import ModelField
from ferroapi.dependencies.analyze import (
    analyze_param,
    get_body_field,
    get_dependant,
    get_flat_body_params,
    get_flat_dependant,
    get_flat_params,
    get_parameterless_sub_dependant,
    get_path_param_names,
    should_embed_body_fields,
)
from ferroapi.dependencies.body import BodyReader
from ferroapi.dependencies.body import read_upload as _read_file_bytes
from ferroapi.dependencies.extract import make_param_reader
from ferroapi.dependencies.fieldinfo import (
    _MULTIPART_MISSING,
    _MULTIPART_WRONG,
    ensure_multipart_is_installed,
)
from ferroapi.dependencies.signature import (
    get_typed_annotation,
    get_typed_return_annotation,
    get_typed_signature,
)
from ferroapi.dependencies.solved import SolvedDependency, solve_dependencies

multipart_not_installed_error = _MULTIPART_MISSING
multipart_incorrect_install_error = _MULTIPART_WRONG


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
        body = PydanticUndefined if received_body is None else received_body
        reader.read_json(body, embed_body_fields, values, errors)
    return values, errors


# FastAPI's private spellings of public helpers here.
_should_embed_body_fields = should_embed_body_fields
_get_flat_body_params = get_flat_body_params
_get_body_field = get_body_field

__all__ = [
    "SolvedDependency",
    "_get_body_field",
    "_get_flat_body_params",
    "_read_file_bytes",
    "_should_embed_body_fields",
    "analyze_param",
    "ensure_multipart_is_installed",
    "get_body_field",
    "get_dependant",
    "get_flat_body_params",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "get_path_param_names",
    "get_typed_annotation",
    "get_typed_return_annotation",
    "get_typed_signature",
    "multipart_incorrect_install_error",
    "multipart_not_installed_error",
    "request_body_to_args",
    "request_params_to_args",
    "should_embed_body_fields",
    "solve_dependencies",
]
