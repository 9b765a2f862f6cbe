"""Small helpers FastAPI exposes in `fastapi.utils`, used by routing and OpenAPI."""

from __future__ import annotations

import re
import warnings
from collections.abc import Collection
from typing import Any, Protocol

from pydantic import PydanticSchemaGenerationError as PydanticSchemaGenerationError
from pydantic.fields import FieldInfo as FieldInfo

from ferroapi._compat.shared import Undefined as Undefined
from ferroapi._compat.shared import annotation_is_pydantic_v1 as annotation_is_pydantic_v1
from ferroapi._fields import ModelField as ModelField
from ferroapi._fields import _invalid_args_message as _invalid_args_message
from ferroapi._fields import create_model_field as create_model_field
from ferroapi.datastructures import DefaultPlaceholder, DefaultType
from ferroapi.exceptions import FastAPIDeprecationWarning
from ferroapi.exceptions import PydanticV1NotSupportedError as PydanticV1NotSupportedError

__all__ = [
    "create_model_field",
    "deep_dict_update",
    "generate_operation_id_for_path",
    "generate_unique_id",
    "get_path_param_names",
    "get_value_or_default",
    "is_body_allowed_for_status_code",
]

_OPENAPI_STATUS_RANGES = frozenset({"default", "1XX", "2XX", "3XX", "4XX", "5XX"})
_NON_WORD = re.compile(r"\W")


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    """False for 1xx, 204, 205 and 304: HTTP forbids a body there."""
    if status_code is None or status_code in _OPENAPI_STATUS_RANGES:
        return True
    code = int(status_code)
    return code >= 200 and code not in (204, 205, 304)


def get_path_param_names(path: str) -> set[str]:
    return set(re.findall("{(.*?)}", path))


def _operation_id(name: str, path: str, method: str) -> str:
    """name + path with non-word characters as "_", + "_" + the method in lower case."""
    return f"{_NON_WORD.sub('_', f'{name}{path}')}_{method.lower()}"


class _NamedRoute(Protocol):
    """What `generate_unique_id` reads of a route (an `APIRoute`; this module sits below routing)."""

    @property
    def name(self) -> str: ...
    @property
    def path_format(self) -> str: ...
    @property
    def methods(self) -> Collection[str] | None: ...


def generate_unique_id(route: _NamedRoute) -> str:
    """The default operation id: name + path with non-word characters as "_", + first method."""
    assert route.methods
    return _operation_id(route.name, route.path_format, next(iter(route.methods)))


def generate_operation_id_for_path(*, name: str, path: str, method: str) -> str:
    """Deprecated by FastAPI (not used by either framework): the operation id of `method` on `path`."""
    warnings.warn(
        "fastapi.utils.generate_operation_id_for_path() was deprecated, it is not used internally, "
        "and will be removed soon",
        FastAPIDeprecationWarning,
        stacklevel=2,
    )
    return _operation_id(name, path, method)


def get_value_or_default(
    first_item: DefaultPlaceholder | DefaultType, *extra_items: DefaultPlaceholder | DefaultType
) -> DefaultPlaceholder | DefaultType:
    """The first item that is not a `DefaultPlaceholder`, else the first item."""
    for item in (first_item, *extra_items):
        if not isinstance(item, DefaultPlaceholder):
            return item
    return first_item


def deep_dict_update(main_dict: dict[Any, Any], update_dict: dict[Any, Any]) -> None:
    """Merge `update_dict` into `main_dict`: dicts recursively, lists concatenated, else replaced."""
    for key, value in update_dict.items():
        current = main_dict.get(key)
        if key in main_dict and isinstance(current, dict) and isinstance(value, dict):
            deep_dict_update(current, value)
        elif key in main_dict and isinstance(current, list) and isinstance(value, list):
            main_dict[key] = current + value
        else:
            main_dict[key] = value
