"""Small helpers FastAPI exposes in `fastapi.utils`, used by routing and OpenAPI."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ferroapi._routing.route import APIRoute

__all__ = [
    "create_model_field",
    "deep_dict_update",
    "generate_unique_id",
    "get_path_param_names",
    "get_value_or_default",
    "is_body_allowed_for_status_code",
]

_T = TypeVar("_T")
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


def generate_unique_id(route: APIRoute) -> str:
    """The default operation id: name + path with non-word characters as "_", + first method."""
    assert route.methods
    base = _NON_WORD.sub("_", f"{route.name}{route.path_format}")
    return f"{base}_{next(iter(route.methods)).lower()}"


def get_value_or_default(first_item: Any, *extra_items: Any) -> Any:
    """The first item that is not a `DefaultPlaceholder`, else the first item."""
    from ferroapi.datastructures import DefaultPlaceholder

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


def create_model_field(name: str, type_: Any, **kwargs: Any) -> Any:
    """`ferroapi._fields.create_model_field`, under FastAPI's import path."""
    from ferroapi._fields import create_model_field as create

    return create(name, type_, **kwargs)
