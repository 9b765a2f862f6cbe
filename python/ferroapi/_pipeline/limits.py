"""Body-size and form limits: how settings are checked, merged, and inherited at request time.

Both follow FastAPI 0.165: the most specific setting wins (route, then the routers and inclusions it
sits in, then the app), and a sub-application mounted under a limited app or inclusion inherits the
limit it is reached through.

- `max_body_size`: ferroapi's apps have a built-in default (16 MiB; FastAPI has none). The default is
  a `DefaultLimit`, an int that remembers nobody chose it: it applies where no outer limit exists,
  and defers to one that does (a mounted `FerroAPI()` is as limited as the path that reaches it).
- `form_limits`: a router records its limits in the scope while it routes a request; a form route
  parses with the inherited limits updated by its own.

The first 413 the built-in default gives is logged as a warning (once per process): an app ported
from FastAPI had no limit, and a client's 413 would otherwise be the only sign of one. A limit the
user set is never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Scope

from ferroapi.logger import logger

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "FORM_LIMITS_SCOPE_KEY",
    "FORM_LIMIT_NAMES",
    "DefaultLimit",
    "defers_to_outer_limit",
    "first_limit",
    "inherit_form_limits",
    "request_form_limits",
    "validate_form_limits",
    "validate_max_body_size",
    "warn_default_limit",
]


class DefaultLimit(int):
    """The built-in body limit: in force only where no enclosing app or inclusion set one."""

    def __repr__(self) -> str:
        return f"DefaultLimit({int(self)})"


DEFAULT_MAX_BODY_SIZE = DefaultLimit(16 * 1024 * 1024)

# Whether the default limit's first 413 was logged (a list: set from request handling, no `global`).
_DEFAULT_LIMIT_LOGGED: list[bool] = [False]


def warn_default_limit(limit: int | None, declared: int | None = None) -> None:
    """Log the first 413 of the built-in `max_body_size` default, once per process.

    `declared` is the Content-Length that was over the limit; None when the body was counted as it
    arrived (reading stopped once past the limit, so its full size is unknown).
    """
    if type(limit) is not DefaultLimit or _DEFAULT_LIMIT_LOGGED[0]:
        return
    _DEFAULT_LIMIT_LOGGED[0] = True
    size = f"{declared} bytes (Content-Length)" if declared is not None else f"more than {int(limit)} bytes"
    logger.warning(
        "A request body of %s was refused with 413 Content Too Large: ferroapi's default "
        "max_body_size is %d bytes (16 MiB; FastAPI has no limit). To accept larger bodies, pass "
        "max_body_size=<bytes> (None: no limit) to FerroAPI(), APIRouter(), include_router() or the "
        "route decorator. This warning is logged once per process; a limit you set is never logged.",
        size,
        int(limit),
    )


FORM_LIMIT_NAMES = frozenset({"max_fields", "max_files", "max_part_size"})
FORM_LIMITS_SCOPE_KEY = "ferroapi.form_limits"


def validate_max_body_size(max_body_size: int | None) -> None:
    if max_body_size is None:
        return
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 0:
        raise ValueError("max_body_size must be a non-negative integer or None")


def first_limit(*limits: int | None) -> int | None:
    """The first configured body-size limit (the most specific one is passed first)."""
    for limit in limits:
        if limit is not None:
            return limit
    return None


def defers_to_outer_limit(limit: int | None, scope: Scope) -> bool:
    """Whether `limit` is the built-in default and an enclosing limiter already counts this body."""
    return type(limit) is DefaultLimit and MAX_BODY_SIZE_SCOPE_KEY in scope


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
