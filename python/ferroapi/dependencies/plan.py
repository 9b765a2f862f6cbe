"""The per-route solving plan: the dependency graph flattened once into a list of steps.

Steps are in post-order (every dependency before what depends on it, the endpoint last), which is
the order FastAPI's recursive solver calls dependencies and reports errors in. Each step carries
precomputed readers for its parameters and knows how to call its callable.

Compiling seals the graph's nodes (`models.seal`): a later edit bumps `GRAPH_EPOCH`, and a plan whose
`epoch` is behind it is compiled again on its next use (`plan_for`, which also keeps one plan per
`app.dependency_overrides` version).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any

from ferroapi.dependencies.analyze import analyse_override
from ferroapi.dependencies.body import BodyReader
from ferroapi.dependencies.extract import ModelReader, ParamReader, make_param_reader
from ferroapi.dependencies.lifespan import LIFESPAN, LifespanNode
from ferroapi.dependencies.models import (
    ASYNC_CALL,
    ASYNC_GEN,
    GRAPH_EPOCH,
    ROOT,
    SYNC_CALL,
    SYNC_GEN,
    CacheKey,
    Dependant,
    call_kind,
    seal,
)
from ferroapi.dependencies.overrides import OverridesDict

__all__ = ["ASYNC_CALL", "ASYNC_GEN", "ROOT", "SYNC_CALL", "SYNC_GEN", "SolvePlan", "Step", "compile_plan"]

Reader = ParamReader | ModelReader


class Step:
    """One occurrence of a dependant in the graph (a dependency used twice is two steps)."""

    __slots__ = (
        "body",
        "cache_key",
        "call",
        "children",
        "concurrency",
        "cookie",
        "dependant",
        "function_scope",
        "has_params",
        "header",
        "injects",
        "kind",
        "lifespan",
        "may_hit",
        "oauth_scopes",
        "path",
        "position",
        "query",
        "use_cache",
    )

    def __init__(self, dependant: Dependant, *, original: Dependant | None, is_root: bool) -> None:
        # An overridden dependency runs the override, but keeps the cache identity and scope of
        # the dependency it replaces (what FastAPI does).
        declared = original or dependant
        self.dependant = dependant
        self.call: Callable[..., Any] = dependant.call  # type: ignore[assignment]
        self.kind = ROOT if is_root else call_kind(dependant)
        # An async generator is driven directly (`yielding.AsyncGenDependency`).
        if self.kind == SYNC_GEN:
            self.call = contextmanager(self.call)
        self.cache_key: CacheKey = declared.cache_key
        self.use_cache = declared.use_cache
        self.function_scope = declared.scope == "function"
        self.lifespan: LifespanNode | None = None  # set on the step that reads a lifespan value
        self.concurrency = dependant.concurrency
        self.children: list[tuple[int, str | None]] = []
        self.position: tuple[int, ...] = ()  # child indices from the root: the place in the graph
        self.may_hit = False
        self.path: list[Reader] = [make_param_reader(f, "path") for f in dependant.path_params]
        self.query: list[Reader] = [make_param_reader(f, "query") for f in dependant.query_params]
        self.header: list[Reader] = [make_param_reader(f, "header") for f in dependant.header_params]
        self.cookie: list[Reader] = [make_param_reader(f, "cookie") for f in dependant.cookie_params]
        self.has_params = bool(self.path or self.query or self.header or self.cookie)
        # What SecurityScopes receives (read per request only when the dependant asks for it).
        self.oauth_scopes = dependant.oauth_scopes
        self.body = BodyReader(dependant.body_params) if dependant.body_params else None
        self.injects = any(
            name is not None
            for name in (
                dependant.request_param_name,
                dependant.websocket_param_name,
                dependant.http_connection_param_name,
                dependant.response_param_name,
                dependant.background_tasks_param_name,
                dependant.security_scopes_param_name,
            )
        )


class SolvePlan:
    """Everything `solve_dependencies` needs, computed once per (route, overrides version) and again
    after an edit of the graph (`epoch`)."""

    __slots__ = ("epoch", "has_async_gen", "root", "steps")

    def __init__(self, steps: list[Step], epoch: int) -> None:
        self.steps = steps
        self.epoch = epoch
        self.has_async_gen = any(step.kind == ASYNC_GEN for step in steps)
        # The endpoint's own step, when it has no dependencies at all (the fast path), else None.
        self.root = steps[0] if len(steps) == 1 else None


Overrides = Mapping[Callable[..., Any], Callable[..., Any]]


def compile_plan(root: Dependant, overrides: Overrides | None = None) -> SolvePlan:
    """Flatten `root`'s graph, replacing overridden dependencies by their (analysed) overrides."""
    epoch = GRAPH_EPOCH[0]  # read first: an edit made while compiling makes this plan stale
    steps: list[Step] = []
    seen: set[CacheKey] = set()
    # Post-order: every dependency before what depends on it, the endpoint last.
    _walk(root, None, True, steps, overrides or {}, seen, ())
    return SolvePlan(steps, epoch)


def _walk(
    dependant: Dependant,
    original: Dependant | None,
    is_root: bool,
    steps: list[Step],
    overrides: Overrides,
    seen: set[CacheKey],
    position: tuple[int, ...],
) -> int:
    seal(dependant)
    if original is not None:
        seal(original)
    children: list[tuple[int, str | None]] = []
    for index, sub in enumerate(dependant.dependencies):
        if sub.scope == LIFESPAN:
            child = _lifespan_step(sub, steps, overrides, seen, (*position, index))
        else:
            effective, replaced = _resolve(sub, overrides)
            child = _walk(effective, replaced, False, steps, overrides, seen, (*position, index))
        children.append((child, sub.name))
    step = Step(dependant, original=original, is_root=is_root)
    step.children = children
    return _append(step, position, steps, seen)


def _append(step: Step, position: tuple[int, ...], steps: list[Step], seen: set[CacheKey]) -> int:
    """Add `step` after its dependencies; its index in the plan."""
    step.position = position
    # Only a key met before can hit the per-request cache (a caller-given cache is checked anyway).
    step.may_hit = step.cache_key in seen
    seen.add(step.cache_key)
    steps.append(step)
    return len(steps) - 1


def _lifespan_step(
    sub: Dependant, steps: list[Step], overrides: Overrides, seen: set[CacheKey], position: tuple[int, ...]
) -> int:
    """A lifespan dependency is one leaf step: an async call of its node's `resolve`, which gets the
    connection (to find the app's store) injected like an `HTTPConnection` parameter. What it depends
    on is compiled into the node, not into steps: it runs once per app, not per request."""
    node = _lifespan_node(sub, overrides)
    carrier = Dependant(call=node.resolve, name=sub.name, http_connection_param_name="connection")
    step = Step(carrier, original=sub, is_root=False)
    step.lifespan = node
    return _append(step, position, steps, seen)


def _lifespan_node(sub: Dependant, overrides: Overrides) -> LifespanNode:
    effective, _ = _resolve(sub, overrides)
    seal(sub)
    seal(effective)  # an edit of the graph below must reach the plan, as for any dependency
    children = [(child.name, _lifespan_node(child, overrides)) for child in effective.dependencies]
    return LifespanNode(sub, effective, children)


def _resolve(sub: Dependant, overrides: Overrides) -> tuple[Dependant, Dependant | None]:
    if not overrides or sub.call is None or sub.call not in overrides:
        return sub, None
    return analyse_override(sub, overrides[sub.call]), sub


def _version(overrides: Overrides) -> Any:
    if isinstance(overrides, OverridesDict):
        return overrides.version
    # A plain dict assigned by the app: its content is the version (small, and rarely used).
    return tuple(overrides.items())


def plan_for(dependant: Dependant, provider: Any) -> SolvePlan:
    """The plan of `dependant` under `provider.dependency_overrides` (cached per overrides version)."""
    overrides = getattr(provider, "dependency_overrides", None) if provider is not None else None
    if not overrides:
        plan: SolvePlan | None = dependant.plan
        if plan is None or plan.epoch != GRAPH_EPOCH[0]:
            plan = dependant.plan = compile_plan(dependant)
        return plan
    version = _version(overrides)
    cached = dependant.overrides_plan
    if (
        cached is not None
        and cached[0] is overrides
        and cached[1] == version
        and cached[2].epoch == GRAPH_EPOCH[0]
    ):
        hit: SolvePlan = cached[2]
        return hit
    compiled = compile_plan(dependant, overrides)
    dependant.overrides_plan = (overrides, version, compiled)
    return compiled
