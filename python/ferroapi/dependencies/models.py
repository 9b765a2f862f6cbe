"""`Dependant`: one callable of the dependency graph, with FastAPI's fields in FastAPI's order.

Everything ferroapi derives from a dependant (how to call it, its cache key, the OAuth scopes it sees,
the security schemes below it) is a property computed from the current fields, so a dependant built
or edited by an extension (`Dependant(call=..., name=...)`, `.dependencies.insert(0, ...)`,
`.call = wrapper`) means what it says. Nothing here runs per request: the solver compiles a graph
into a plan once (`dependencies.plan`) and reads only the plan.

Edits made after a graph was compiled must reach the plan: compiling "seals" each node, and from
then on any change to one of FastAPI's fields, or to one of its lists in place, bumps `GRAPH_EPOCH`,
which compiled plans compare once per request (one integer comparison) and recompile on.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from functools import partial
from typing import Any, Literal, SupportsIndex

from ferroapi._fields import ModelField
from ferroapi._foreign import is_foreign_security_scheme
from ferroapi.concurrency import DependencyConcurrency
from ferroapi.concurrency import _DependencyConcurrency as _DependencyConcurrency
from ferroapi.dependencies.signature import (  # the _cached names: FastAPI's, kept importable here
    _CALLABLE_CLASSIFICATION_CACHE_SIZE,  # noqa: F401
    _Identity,
    _is_async_gen_callable_cached,  # noqa: F401
    _is_coroutine_callable_cached,  # noqa: F401
    _is_gen_callable_cached,  # noqa: F401
    is_async_gen_callable,
    is_coroutine_callable,
    is_gen_callable,
    unwrap_call,
)
from ferroapi.types import DependencyCacheKey

__all__ = [
    "ASYNC_CALL",
    "ASYNC_GEN",
    "GRAPH_EPOCH",
    "ROOT",
    "SYNC_CALL",
    "SYNC_GEN",
    "CacheKey",
    "Dependant",
    "DependencyScope",
    "SecurityRequirement",
    "TrackedList",
    "call_kind",
    "seal",
]

# (callable, OAuth scopes when the subtree reads them, computed scope): two occurrences of a
# dependency with equal keys share one result per request (unless `use_cache=False`). FastAPI's
# `DependencyCacheKey` (`ferroapi.types`), the same object under the name ferroapi's solver uses.
CacheKey = DependencyCacheKey

# FastAPI's scopes, plus ferroapi's "lifespan" (`dependencies.lifespan`): created once per app.
DependencyScope = Literal["function", "request", "lifespan"]

# How a dependant is called (`call_kind`; ROOT is the endpoint's own step in a solving plan).
ROOT, ASYNC_CALL, SYNC_CALL, ASYNC_GEN, SYNC_GEN = range(5)

# Bumped by every change to a sealed dependant (a node of a compiled graph).
GRAPH_EPOCH = [0]


def _bump() -> None:
    GRAPH_EPOCH[0] += 1


class TrackedList(list[Any]):
    """A sealed dependant's list: changing it in place invalidates the compiled plans."""

    __slots__ = ()

    def append(self, item: Any) -> None:
        super().append(item)
        _bump()

    def extend(self, items: Iterable[Any]) -> None:
        super().extend(items)
        _bump()

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, item)
        _bump()

    def remove(self, item: Any) -> None:
        super().remove(item)
        _bump()

    def pop(self, index: SupportsIndex = -1) -> Any:
        _bump()
        return super().pop(index)

    def clear(self) -> None:
        super().clear()
        _bump()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        _bump()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        _bump()

    def __iadd__(self, items: Iterable[Any]) -> TrackedList:  # type: ignore[misc]
        super().__iadd__(items)
        _bump()
        return self

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        _bump()

    def reverse(self) -> None:
        super().reverse()
        _bump()


@dataclass(slots=True)
class SecurityRequirement:
    """A security scheme a dependant depends on directly, with the scopes asked for on the way."""

    security_scheme: Any
    scopes: list[str] | None = None


_LIST_FIELDS = (
    "path_params",
    "query_params",
    "header_params",
    "cookie_params",
    "body_params",
    "dependencies",
)


@dataclass(slots=True, eq=False, init=False)
class Dependant:
    path_params: list[ModelField] = field(default_factory=list)
    query_params: list[ModelField] = field(default_factory=list)
    header_params: list[ModelField] = field(default_factory=list)
    cookie_params: list[ModelField] = field(default_factory=list)
    body_params: list[ModelField] = field(default_factory=list)
    dependencies: list[Dependant] = field(default_factory=list)
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
    scope: DependencyScope | None = None
    concurrency: DependencyConcurrency | None = None
    # --- ferroapi's caches: not part of FastAPI's constructor, never a reason to recompile ---
    # The compiled per-request plan (a `dependencies.plan.SolvePlan`, typed Any: this module sits
    # below the plan's), built on first solve.
    plan: Any = field(default=None, init=False, repr=False)
    # (overrides mapping, its version, plan) of the last overrides seen (dependencies.overrides).
    overrides_plan: tuple[Any, Any, Any] | None = field(default=None, init=False, repr=False)
    # Overrides analysed in this dependant's place: id(override) -> (override, its dependant).
    analysed_overrides: dict[int, tuple[Any, Dependant]] = field(default_factory=dict, init=False, repr=False)
    # Part of a compiled graph: from now on a change bumps GRAPH_EPOCH.
    sealed: bool = field(default=False, init=False, repr=False)
    # (call, is_coroutine, is_gen, is_async_gen, is_security_scheme) for the current `call`.
    _kind: tuple[Any, bool, bool, bool, bool] | None = field(default=None, init=False, repr=False)

    def __init__(
        self,
        path_params: list[ModelField] | None = None,
        query_params: list[ModelField] | None = None,
        header_params: list[ModelField] | None = None,
        cookie_params: list[ModelField] | None = None,
        body_params: list[ModelField] | None = None,
        dependencies: list[Dependant] | None = None,
        name: str | None = None,
        call: Callable[..., Any] | None = None,
        request_param_name: str | None = None,
        websocket_param_name: str | None = None,
        http_connection_param_name: str | None = None,
        response_param_name: str | None = None,
        background_tasks_param_name: str | None = None,
        security_scopes_param_name: str | None = None,
        own_oauth_scopes: list[str] | None = None,
        parent_oauth_scopes: list[str] | None = None,
        use_cache: bool = True,
        path: str | None = None,
        scope: DependencyScope | None = None,
        concurrency: DependencyConcurrency | None = None,
    ) -> None:
        # Written through object.__setattr__: a node being built is not sealed, so the tracking
        # `__setattr__` below would only cost time (analysis builds thousands of these).
        init = object.__setattr__
        init(self, "path_params", [] if path_params is None else path_params)
        init(self, "query_params", [] if query_params is None else query_params)
        init(self, "header_params", [] if header_params is None else header_params)
        init(self, "cookie_params", [] if cookie_params is None else cookie_params)
        init(self, "body_params", [] if body_params is None else body_params)
        init(self, "dependencies", [] if dependencies is None else dependencies)
        init(self, "name", name)
        init(self, "call", call)
        init(self, "request_param_name", request_param_name)
        init(self, "websocket_param_name", websocket_param_name)
        init(self, "http_connection_param_name", http_connection_param_name)
        init(self, "response_param_name", response_param_name)
        init(self, "background_tasks_param_name", background_tasks_param_name)
        init(self, "security_scopes_param_name", security_scopes_param_name)
        init(self, "own_oauth_scopes", own_oauth_scopes)
        init(self, "parent_oauth_scopes", parent_oauth_scopes)
        init(self, "use_cache", use_cache)
        init(self, "path", path)
        init(self, "scope", scope)
        init(self, "concurrency", concurrency)
        init(self, "plan", None)
        init(self, "overrides_plan", None)
        init(self, "analysed_overrides", {})
        init(self, "sealed", False)
        init(self, "_kind", None)

    def __copy__(self) -> Dependant:
        # FastAPI's fields only: a copy is a new node, without this one's compiled plans.
        return Dependant(**{name: getattr(self, name) for name in _INIT_FIELDS})

    def __deepcopy__(self, memo: dict[int, Any]) -> Dependant:
        copied = Dependant(**{name: copy.deepcopy(getattr(self, name), memo) for name in _INIT_FIELDS})
        memo[id(self)] = copied
        return copied

    def __setattr__(self, name: str, value: Any) -> None:
        if self.sealed and name in _FASTAPI_FIELDS:
            if name in _LIST_FIELDS and type(value) is list:
                value = TrackedList(value)
            object.__setattr__(self, name, value)
            _bump()
            return
        object.__setattr__(self, name, value)

    # ---- how to call it (from `call`, cached per callable) -------------------------------------
    def _classified(self) -> tuple[Any, bool, bool, bool, bool]:
        kind = self._kind
        call = self.call
        if kind is None or kind[0] is not call:
            if call is None:
                kind = (None, False, False, False, False)
            else:
                kind = (
                    call,
                    is_coroutine_callable(call),
                    is_gen_callable(call),
                    is_async_gen_callable(call),
                    _is_scheme(unwrap_call(call)),
                )
            object.__setattr__(self, "_kind", kind)
        return kind

    @property
    def is_coroutine(self) -> bool:
        return self._classified()[1]

    @property
    def is_gen(self) -> bool:
        return self._classified()[2]

    @property
    def is_async_gen(self) -> bool:
        return self._classified()[3]

    @property
    def is_yield(self) -> bool:
        return self.is_gen or self.is_async_gen

    @property
    def is_security_scheme(self) -> bool:
        return self._classified()[4]

    # ---- what it shares with the rest of the graph ---------------------------------------------
    @property
    def computed_scope(self) -> DependencyScope | None:
        """The declared scope; a yield dependency without one lives for the whole request."""
        if self.scope:
            return self.scope
        return "request" if self.is_yield else None

    @property
    def oauth_scopes(self) -> list[str]:
        """Parent scopes then own scopes, without repeats: what SecurityScopes receives."""
        return _get_oauth_scopes(dependant=self)

    @property
    def uses_scopes(self) -> bool:
        """Whether this dependant or one below it reads the OAuth scopes (then they split the cache)."""
        return _uses_scopes(dependant=self)

    @property
    def cache_key(self) -> CacheKey:
        return _get_cache_key(dependant=self)

    @property
    def security_requirements(self) -> list[SecurityRequirement]:
        """The security schemes this dependant depends on directly, with their scopes."""
        return [
            SecurityRequirement(unwrap_call(sub.call), sub.oauth_scopes)
            for sub in self.dependencies
            if sub.is_security_scheme
        ]


_FASTAPI_FIELDS = frozenset(
    {
        *_LIST_FIELDS,
        "name",
        "call",
        "request_param_name",
        "websocket_param_name",
        "http_connection_param_name",
        "response_param_name",
        "background_tasks_param_name",
        "security_scopes_param_name",
        "own_oauth_scopes",
        "parent_oauth_scopes",
        "use_cache",
        "path",
        "scope",
        "concurrency",
    }
)


_INIT_FIELDS = tuple(f.name for f in fields(Dependant) if f.init)


def _is_scheme(value: Any) -> bool:
    # No scheme can exist before `ferroapi.security` is imported: checked through sys.modules, so
    # analysing dependencies never imports the security package (its OpenAPI models are heavy).
    security = sys.modules.get("ferroapi.security.base")
    if security is not None and isinstance(value, security.SecurityBase):
        return True
    return is_foreign_security_scheme(value)


def seal(dependant: Dependant) -> None:
    """Mark `dependant` as part of a compiled graph: later changes to it invalidate compiled plans."""
    if dependant.sealed:
        return
    for name in _LIST_FIELDS:
        value = getattr(dependant, name)
        if type(value) is list:
            object.__setattr__(dependant, name, TrackedList(value))
    object.__setattr__(dependant, "sealed", True)


# --- FastAPI's private helpers (`fastapi.dependencies.models`), over the current fields -----------


def _get_oauth_scopes(*, dependant: Dependant) -> list[str]:
    scopes = list(dependant.parent_oauth_scopes or [])
    scopes.extend(s for s in dependant.own_oauth_scopes or [] if s not in scopes)
    return scopes


def _is_security_scheme(*, dependant: Dependant) -> bool:
    return dependant.call is not None and dependant.is_security_scheme


def _get_security_scheme(*, dependant: Dependant) -> Any:
    scheme = unwrap_call(dependant.call)
    assert _is_scheme(scheme)
    return scheme


_UsesScopesCache = dict[int, tuple[Dependant, bool]]


def _uses_scopes(*, dependant: Dependant, cache: _UsesScopesCache | None = None) -> bool:
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
    return dependant.computed_scope


def _get_cache_key(*, dependant: Dependant, uses_scopes_cache: _UsesScopesCache | None = None) -> CacheKey:
    uses = _uses_scopes(dependant=dependant, cache=uses_scopes_cache)
    scopes = tuple(sorted(set(_get_oauth_scopes(dependant=dependant)))) if uses else ()
    return (dependant.call, scopes, dependant.computed_scope or "")


def _impartial(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function behind `functools.partial` layers."""
    while isinstance(func, partial):
        func = func.func
    return func


def call_kind(dependant: Dependant) -> int:
    """How `dependant` is called: ASYNC_CALL, SYNC_CALL, ASYNC_GEN or SYNC_GEN."""
    if dependant.is_async_gen:
        return ASYNC_GEN
    if dependant.is_gen:
        return SYNC_GEN
    return ASYNC_CALL if dependant.is_coroutine else SYNC_CALL


def _unwrapped_call(call: Callable[..., Any] | None) -> Any:
    return None if call is None else unwrap_call(call)


# FastAPI keeps its callable classifiers here; ferroapi's live in dependencies.signature.
_is_coroutine_callable = is_coroutine_callable
_is_gen_callable = is_gen_callable
_is_async_gen_callable = is_async_gen_callable
_CallIdentity = _Identity


def __getattr__(name: str) -> Any:
    # FastAPI's module imports SecurityBase; here it is resolved on first access only, because
    # importing the security package loads the OpenAPI models (a start-up cost every app would pay).
    if name == "SecurityBase":
        from ferroapi.security.base import SecurityBase

        return SecurityBase
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
