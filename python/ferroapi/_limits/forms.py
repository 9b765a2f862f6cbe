"""The `form_limits` setting (`max_fields`, `max_files`, `max_part_size`): checked, merged per request.

As in FastAPI 0.165, a router records its limits in the scope while it routes a request; a form route
parses with the inherited limits updated by its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope

__all__ = [
    "FORM_LIMITS_SCOPE_KEY",
    "FORM_LIMIT_NAMES",
    "inherit_form_limits",
    "request_form_limits",
    "validate_form_limits",
]

FORM_LIMIT_NAMES = frozenset({"max_fields", "max_files", "max_part_size"})
FORM_LIMITS_SCOPE_KEY = "ferroapi.form_limits"


def validate_form_limits(limits: Mapping[str, Any] | None) -> dict[str, int]:
    """A checked copy of a `form_limits` setting (FastAPI's `_FormLimits`: non-negative ints only)."""
    if limits is None:
        return {}
    checked: dict[str, int] = {}
    for name, value in limits.items():
        if name not in FORM_LIMIT_NAMES:
            raise ValueError(
                f"form_limits: unknown limit {name!r} (expected one of {sorted(FORM_LIMIT_NAMES)})"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"form_limits: {name} must be a non-negative integer, not {value!r}")
        checked[name] = value
    return checked


def inherit_form_limits(scope: Scope, limits: dict[str, int]) -> None:
    """A router's limits, on top of those of the routers (and apps) the request came through."""
    inherited = scope.get(FORM_LIMITS_SCOPE_KEY)
    scope[FORM_LIMITS_SCOPE_KEY] = {**inherited, **limits} if inherited else limits


def request_form_limits(scope: Scope, own: dict[str, int]) -> dict[str, int]:
    """The limits a form route parses with: the inherited ones, updated by the route's own."""
    inherited = scope.get(FORM_LIMITS_SCOPE_KEY)
    return {**inherited, **own} if inherited else own
