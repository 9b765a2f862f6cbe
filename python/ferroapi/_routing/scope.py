"""FastAPI's private per-request dict, `scope["fastapi"]`: its keys and the helpers that read it.

ferroapi keeps the same dict (also visible as `scope["ferroapi"]`): the effective route context of an
included route and the matched frontend path are recorded there under FastAPI's keys, and extensions
read them so (`scope["fastapi"]["effective_route_context"].path`). Two of FastAPI's records are kept
elsewhere by ferroapi, and the helpers here bridge them:

- form limits: ferroapi's routers record theirs under `FORM_LIMITS_SCOPE_KEY` (`_limits.forms`);
  limits applied through FastAPI's helper go to both records, so ferroapi's form routes honour them;
- the inclusion a router is consulted for: ferroapi flattens inclusions into the route table and only
  records one while it consults a router's own `matches`/`handle` (`inclusion.entry.selecting_inclusion`).
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope

from ferroapi._limits.forms import FORM_LIMITS_SCOPE_KEY, inherit_form_limits
from ferroapi._routing.inclusion.entry import selecting_inclusion

__all__ = [
    "FORM_LIMITS_KEY",
    "INCLUDED_ROUTER_KEY",
    "SCOPE_KEY",
    "SCOPE_MISSING",
    "apply_router_form_limits",
    "fastapi_scope",
    "get_scope_included_router",
    "resolve_form_limits",
    "restore_fastapi_scope_key",
]

SCOPE_KEY = "fastapi"
FORM_LIMITS_KEY = "form_limits"
INCLUDED_ROUTER_KEY = "included_router"
# "No previous value" for `restore_fastapi_scope_key`.
SCOPE_MISSING: Any = object()


def fastapi_scope(scope: Scope) -> dict[str, Any]:
    """FastAPI's private per-request dict (also visible as `scope["ferroapi"]`)."""
    private = scope.get("fastapi")
    if not isinstance(private, dict):
        private = scope["fastapi"] = {}
    scope.setdefault("ferroapi", private)
    return private


def resolve_form_limits(fastapi_scope: dict[str, Any], overrides: dict[str, int] | None) -> dict[str, int]:
    """The form limits recorded in FastAPI's dict, updated by `overrides` (a route's or a router's)."""
    inherited: dict[str, int] = fastapi_scope.get(FORM_LIMITS_KEY, {})
    return {**inherited, **overrides} if overrides else inherited


def apply_router_form_limits(scope: Scope, limits: dict[str, int]) -> None:
    """Record a router's form limits for the HTTP request in `scope`, on top of the inherited ones."""
    if limits and scope["type"] == "http":
        inherit_form_limits(scope, limits)
        fastapi_scope(scope)[FORM_LIMITS_KEY] = scope[FORM_LIMITS_SCOPE_KEY]


def get_scope_included_router(scope: Scope) -> Any | None:
    """The inclusion a router is being consulted for: ferroapi's record while it calls a router's own
    `matches`/`handle` on behalf of its inclusion, else whatever code put under FastAPI's key."""
    inclusion = selecting_inclusion(scope)
    if inclusion is not None:
        return inclusion
    private = scope.get(SCOPE_KEY)
    return private.get(INCLUDED_ROUTER_KEY) if isinstance(private, dict) else None


def restore_fastapi_scope_key(scope: Scope, key: str, previous: Any) -> None:
    """Put back what FastAPI's dict held under `key` (`SCOPE_MISSING`: nothing)."""
    private = scope.get(SCOPE_KEY)
    if not isinstance(private, dict):
        return
    if previous is SCOPE_MISSING:
        private.pop(key, None)
    else:
        private[key] = previous
