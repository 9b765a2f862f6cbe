"""`Dependant`: one callable of the dependency graph and everything a request needs to call it.

Built once per route by `analyze.get_dependant`; the flags (`is_coroutine`, `is_gen`, ...) and the
cache key are computed there, so solving a request never inspects a callable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ferroapi._fields import ModelField
from ferroapi.concurrency import DependencyConcurrency

if TYPE_CHECKING:
    from ferroapi.dependencies.plan import SolvePlan

__all__ = ["CacheKey", "Dependant", "SecurityRequirement"]

# (callable, OAuth scopes when the subtree reads them, computed scope): two occurrences of a
# dependency with equal keys share one result per request (unless `use_cache=False`).
CacheKey = tuple[Callable[..., Any] | None, tuple[str, ...], str]


@dataclass(slots=True)
class SecurityRequirement:
    """A security scheme a dependant depends on directly, with the scopes asked for on the way."""

    security_scheme: Any
    scopes: list[str] | None = None


@dataclass(slots=True, eq=False)
class Dependant:
    path_params: list[ModelField] = field(default_factory=list)
    query_params: list[ModelField] = field(default_factory=list)
    header_params: list[ModelField] = field(default_factory=list)
    cookie_params: list[ModelField] = field(default_factory=list)
    body_params: list[ModelField] = field(default_factory=list)
    dependencies: list[Dependant] = field(default_factory=list)
    security_requirements: list[SecurityRequirement] = field(default_factory=list)
    name: str | None = None
    call: Callable[..., Any] | None = None
    request_param_name: str | None = None
    websocket_param_name: str | None = None
    http_connection_param_name: str | None = None
    response_param_name: str | None = None
    background_tasks_param_name: str | None = None
    security_scopes_param_name: str | None = None
    own_oauth_scopes: list[str] | None = None
    parent_oauth_scopes: list[str] | None = None
    use_cache: bool = True
    path: str | None = None
    scope: Literal["function", "request"] | None = None
    concurrency: DependencyConcurrency | None = None
    # --- computed once by analysis ---
    is_coroutine: bool = False
    is_gen: bool = False
    is_async_gen: bool = False
    is_security_scheme: bool = False
    # Parent scopes then own scopes, without repeats: what SecurityScopes receives.
    oauth_scopes: list[str] = field(default_factory=list)
    # True when this dependant or one below it reads the OAuth scopes (then they split the cache).
    uses_scopes: bool = False
    cache_key: CacheKey = (None, (), "")
    # The compiled per-request plan (dependencies.plan), built on first solve.
    plan: SolvePlan | None = field(default=None, repr=False)
    # (overrides mapping, its version, plan) of the last overrides seen (dependencies.overrides).
    overrides_plan: tuple[Any, Any, SolvePlan] | None = field(default=None, repr=False)
    # Overrides analysed in this dependant's place: id(override) -> (override, its dependant).
    analysed_overrides: dict[int, tuple[Any, Dependant]] = field(default_factory=dict, repr=False)

    @property
    def computed_scope(self) -> Literal["function", "request"] | None:
        """The declared scope; a yield dependency without one lives for the whole request."""
        if self.scope:
            return self.scope
        if self.is_gen or self.is_async_gen:
            return "request"
        return None

    @property
    def is_yield(self) -> bool:
        return self.is_gen or self.is_async_gen


# --- FastAPI's private helpers, computed from the dependant's current state -----------------------
# ferroapi computes these once at analysis (the fields above); code written against FastAPI's
# `fastapi.dependencies.models` helpers (its own test-suite, some extensions) keeps working.


def _get_oauth_scopes(*, dependant: Dependant) -> list[str]:
    scopes = list(dependant.parent_oauth_scopes or [])
    scopes.extend(s for s in dependant.own_oauth_scopes or [] if s not in scopes)
    return scopes


def _is_security_scheme(*, dependant: Dependant) -> bool:
    from ferroapi.dependencies.signature import unwrap_call
    from ferroapi.security.base import SecurityBase

    return dependant.call is not None and isinstance(unwrap_call(dependant.call), SecurityBase)


def _get_security_scheme(*, dependant: Dependant) -> Any:
    from ferroapi.dependencies.signature import unwrap_call

    assert _is_security_scheme(dependant=dependant)
    return unwrap_call(dependant.call)


def _uses_scopes(*, dependant: Dependant, cache: dict[int, tuple[Dependant, bool]] | None = None) -> bool:
    cache = {} if cache is None else cache
    cached = cache.get(id(dependant))
    if cached is not None and cached[0] is dependant:
        return cached[1]
    result = bool(
        dependant.own_oauth_scopes
        or dependant.security_scopes_param_name is not None
        or _is_security_scheme(dependant=dependant)
        or any(_uses_scopes(dependant=sub, cache=cache) for sub in dependant.dependencies)
    )
    cache[id(dependant)] = (dependant, result)
    return result


def _get_computed_scope(*, dependant: Dependant) -> str | None:
    from ferroapi.dependencies.signature import is_async_gen_callable, is_gen_callable

    if dependant.scope:
        return dependant.scope
    call = dependant.call
    if call is not None and (is_gen_callable(call) or is_async_gen_callable(call)):
        return "request"
    return None


def _get_cache_key(*, dependant: Dependant, uses_scopes_cache: dict[int, Any] | None = None) -> CacheKey:
    uses = _uses_scopes(dependant=dependant, cache=uses_scopes_cache)
    scopes = tuple(sorted(set(_get_oauth_scopes(dependant=dependant)))) if uses else ()
    return (dependant.call, scopes, _get_computed_scope(dependant=dependant) or "")


def __getattr__(name: str) -> Any:
    # The callable classifiers live in dependencies.signature (imported lazily: it imports nothing
    # from here, but keeping models import-light keeps the package's import order simple).
    from ferroapi.dependencies import signature

    aliases = {
        "_is_coroutine_callable": signature.is_coroutine_callable,
        "_is_gen_callable": signature.is_gen_callable,
        "_is_async_gen_callable": signature.is_async_gen_callable,
        "_is_coroutine_callable_cached": signature._is_coroutine_callable_cached,
        "_is_gen_callable_cached": signature._is_gen_callable_cached,
        "_is_async_gen_callable_cached": signature._is_async_gen_callable_cached,
    }
    if name in aliases:
        return aliases[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
