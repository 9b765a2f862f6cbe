"""Reusing a route's dependency analysis for its included copy.

`include_router` builds, for every included route, an effective route with the merged options: FastAPI
analyses its endpoint again. The result can only differ from the original route's analysis through the
path parameter names (a name in the path template makes a parameter a path parameter) and through the
router dependencies prepended to the route's own. So while `analysis_base(...)` is active, analysing
the same endpoint for a path with the same parameter names copies the original's graph (the same
fields, a fresh `Dependant` per node carrying the new path, no solve plan), and each prepended router
dependency is analysed once per set of path parameter names and copied likewise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.signature import declared_signature
from ferroapi.utils import get_path_param_names

if TYPE_CHECKING:
    from ferroapi import params

__all__ = ["AnalysisBase", "SharedAnalyses", "analysis_base", "copy_dependant", "current_base"]

# (id of a `Depends`, path parameter names) -> (the `Depends`, kept alive for the id; its analysis).
SharedAnalyses = dict[tuple[int, frozenset[str]], tuple[Any, Dependant]]

# FastAPI's fields (the constructor's): a copy starts without ferroapi's per-graph caches.
_LISTS = ("path_params", "query_params", "header_params", "cookie_params", "body_params")
_COPIED = tuple(f.name for f in fields(Dependant) if f.init and f.name != "dependencies")


def copy_dependant(dependant: Dependant, path: str | None, subs: list[Dependant] | None = None) -> Dependant:
    """`dependant` and its sub-dependants (or `subs`) as fresh nodes for `path`, sharing fields and
    callables."""
    values = {name: getattr(dependant, name) for name in _COPIED}
    for name in _LISTS:
        values[name] = list(values[name])
    values["path"] = path
    subs = dependant.dependencies if subs is None else subs
    return Dependant(dependencies=[copy_dependant(sub, path) for sub in subs], **values)


@dataclass(slots=True)
class AnalysisBase:
    """What an inclusion may reuse: the original route's graph (when it is plain analysis of its
    endpoint and route dependencies) and the analyses of router dependencies made so far."""

    shared: SharedAnalyses
    call: Callable[..., Any] | None = None
    path_param_names: frozenset[str] = frozenset()
    dependant: Dependant | None = None
    # id(Depends) -> (the Depends, its analysis in the original graph): the route's own dependencies.
    own: dict[int, tuple[Any, Dependant]] = field(default_factory=dict)
    # The endpoint's own sub-dependants (after the route dependencies in the original graph).
    endpoint_dependencies: list[Dependant] = field(default_factory=list)


_BASE: ContextVar[AnalysisBase | None] = ContextVar("ferroapi_analysis_base", default=None)


def current_base() -> AnalysisBase | None:
    return _BASE.get()


def _base_for(
    *,
    call: Callable[..., Any] | None,
    signature: Any,
    path: str,
    dependant: Dependant | None,
    dependencies: Sequence[params.Depends],
    shared: SharedAnalyses,
) -> AnalysisBase:
    """The original graph is reused only when it is what analysis gives for `call` with the
    parameter-less `dependencies` first (a custom route class may have built another one)."""
    own = list(dependencies)
    subs = dependant.dependencies if dependant is not None else []
    if (
        dependant is None
        or call is None
        or dependant.call is not call
        or signature is not declared_signature(call)  # a class-based view rewrote the parameters
        or dependant.path != path
        or len(subs) < len(own)
        or any(sub.call is not depends.dependency for sub, depends in zip(subs, own, strict=False))
    ):
        return AnalysisBase(shared=shared)
    return AnalysisBase(
        shared=shared,
        call=call,
        path_param_names=frozenset(get_path_param_names(path)),
        dependant=dependant,
        own={id(depends): (depends, sub) for depends, sub in zip(own, subs, strict=False)},
        endpoint_dependencies=subs[len(own) :],
    )


@contextmanager
def analysis_base(
    *,
    shared: SharedAnalyses,
    call: Callable[..., Any] | None = None,
    signature: Any = None,
    path: str = "",
    dependant: Dependant | None = None,
    dependencies: Sequence[params.Depends] = (),
) -> Iterator[None]:
    """While active, analysing a route of `call` reuses `dependant` (analysed for `path`, with the
    parameter-less `dependencies` first, while `call.__signature__` was `signature`); other
    parameter-less dependencies are analysed once into `shared` (per set of path parameter names)
    and copied from there.
    """
    base = _base_for(
        call=call,
        signature=signature,
        path=path,
        dependant=dependant,
        dependencies=dependencies,
        shared=shared,
    )
    token = _BASE.set(base)
    try:
        yield
    finally:
        _BASE.reset(token)
