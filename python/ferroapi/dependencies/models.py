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
