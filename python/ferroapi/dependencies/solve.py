"""Solving a request's dependencies: walk the route's precomputed plan, call each dependency once
(per cache key), enter yield dependencies on the request's exit stacks, and validate parameters.

Errors do not stop the walk: like FastAPI, every parameter is validated and every dependency whose
own inputs are valid is called, so one response lists all problems; a dependency is skipped only
when something it needs failed.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from anyio import CancelScope
from pydantic_core import PydanticUndefined
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from ferroapi._lifecycle import Lifecycle
from ferroapi._query_params import query_params_of
from ferroapi.background import BackgroundTasks
from ferroapi.concurrency import contextmanager_in_threadpool, limited
from ferroapi.dependencies.models import GRAPH_EPOCH, CacheKey, Dependant
from ferroapi.dependencies.overrides import EPOCH
from ferroapi.dependencies.plan import ASYNC_CALL, ASYNC_GEN, ROOT, SYNC_CALL, SolvePlan, Step, plan_for
from ferroapi.dependencies.yielding import AsyncGenDependency, open_cleanup_scope

__all__ = ["Solution", "new_sub_response", "prepare", "solve"]

Undefined: Any = PydanticUndefined
_FAILED: Any = object()  # the result of a step that could not be called
_UNDECIDED: Any = object()  # no async yield dependency entered yet: no cleanup scope decided


class Solution:
    """The endpoint's arguments, or the errors that prevent calling it (the pipeline's own result;
    FastAPI's `SolvedDependency` is built from it by `dependencies.solved`).

    `response` is the "sub-response" dependencies may set headers, cookies and a status code on;
    it is created on first access, so `response_used` tells whether there is anything to merge
    (`response_if_any` is that response, or None: read per request without a property call).
    """

    __slots__ = ("background_tasks", "dependency_cache", "errors", "response_if_any", "values")

    def __init__(
        self,
        values: dict[str, Any],
        errors: list[Any],
        background_tasks: StarletteBackgroundTasks | None,
        response: Response | None,
        dependency_cache: dict[CacheKey, Any],
    ) -> None:
        self.values = values
        self.errors = errors
        self.background_tasks = background_tasks
        self.response_if_any = response
        self.dependency_cache = dependency_cache

    @property
    def response(self) -> Response:
        response = self.response_if_any
        if response is None:
            response = self.response_if_any = new_sub_response()
        return response

    @property
    def response_used(self) -> bool:
        return self.response_if_any is not None


def new_sub_response() -> Response:
    response = Response()
    del response.headers["content-length"]
    response.status_code = None  # type: ignore[assignment]  # "not set": the route's code applies
    return response


class _RequestState:
    """What the steps of one request share besides values: injected objects, cleanup scope."""

    __slots__ = ("background_tasks", "cleanup_scope", "connection", "lifecycle", "response")

    def __init__(
        self,
        connection: HTTPConnection,
        lifecycle: Lifecycle | None,
        background_tasks: StarletteBackgroundTasks | None,
        response: Response | None,
    ) -> None:
        self.connection = connection
        self.lifecycle = lifecycle
        self.background_tasks = background_tasks
        self.response = response
        self.cleanup_scope: CancelScope | None = _UNDECIDED


def prepare(dependant: Dependant) -> SolvePlan:
    """Compile the plan now (at registration) instead of on the first request."""
    return plan_for(dependant, None)


async def solve(
    *,
    request: HTTPConnection,
    dependant: Dependant,
    lifecycle: Lifecycle,
    body: Any = Undefined,
    background_tasks: StarletteBackgroundTasks | None = None,
    response: Response | None = None,
    dependency_overrides_provider: Any = None,
    dependency_cache: dict[CacheKey, Any] | None = None,
    embed_body_fields: bool = False,
) -> Solution:
    """Solve `dependant` for `request`. `body` is the decoded body: a JSON value, FormData, raw bytes,
    or Undefined when there was none (None is JSON `null`).
    """
    provider = dependency_overrides_provider
    plan: SolvePlan | None = dependant.plan
    # `plan_for`'s common case (no overrides, the plan current) without its frame.
    if (
        plan is None
        or plan.epoch != GRAPH_EPOCH[0]
        or (provider is not None and getattr(provider, "dependency_overrides", None))
    ):
        plan = plan_for(dependant, provider)
    step = plan.root
    if step is not None:
        # No dependencies: the endpoint's own parameters, nothing to call or cache. (Inline: one
        # coroutine per request less.)
        values: dict[str, Any] = {}
        errors: list[Any] = []
        if step.has_params:
            _read_params(step, request, values, errors)
        if step.body is not None:
            await _read_body(step, body, embed_body_fields, values, errors)
        if step.injects:
            # Only injections need the per-request state; the lifecycle is never touched here.
            injected = _RequestState(request, None, background_tasks, response)
            _inject(step, injected, values)
            background_tasks, response = injected.background_tasks, injected.response
        cache = dependency_cache if dependency_cache is not None else {}
        return Solution(values, errors, background_tasks, response, cache)
    cache = dependency_cache if dependency_cache is not None else {}
    state = _RequestState(request, lifecycle, background_tasks, response)
    errors = []
    values = await _solve_steps(
        plan, dependant, dependency_overrides_provider, state, body, embed_body_fields, cache, errors,
        external_cache=dependency_cache is not None,
    )  # fmt: skip
    return Solution(values, errors, state.background_tasks, state.response, cache)


async def _solve_steps(
    plan: SolvePlan,
    dependant: Dependant,
    provider: Any,
    state: _RequestState,
    body: Any,
    embed_body_fields: bool,
    cache: dict[CacheKey, Any],
    errors: list[Any],
    *,
    external_cache: bool,
) -> dict[str, Any]:
    """Run the plan's steps in order; the endpoint's arguments (the root step's values)."""
    request = state.connection
    steps = plan.steps
    results: list[Any] = [None] * len(steps)
    done: list[bool] | None = None  # set when the plan was switched mid-request: steps already run
    epoch_box = EPOCH
    epoch = epoch_box[0]
    while True:
        for index, step in enumerate(steps):
            if done is not None and done[index]:
                continue
            values: dict[str, Any] = {}
            ok = True
            for child, name in step.children:
                result = results[child]
                if result is _FAILED:
                    ok = False
                elif name is not None:
                    values[name] = result
            if step.has_params and not _read_params(step, request, values, errors):
                ok = False
            if step.body is not None and not await _read_body(step, body, embed_body_fields, values, errors):
                ok = False
            if step.injects:
                _inject(step, state, values)
            if step.kind == ROOT:
                return values
            if not ok:
                results[index] = _FAILED
                continue
            key = step.cache_key
            if step.use_cache and (step.may_hit or external_cache) and key in cache:
                result = cache[key]
            elif step.kind == ASYNC_CALL and step.concurrency is None:
                result = await step.call(**values)  # the common case, without a frame in between
            elif step.kind >= ASYNC_GEN:
                result = await _enter(step, values, state)
            else:
                result = await _call(step, values, state)
            if key not in cache:
                cache[key] = result
            results[index] = result
            if epoch_box[0] != epoch:
                # The dependency changed the overrides: the rest of the graph is solved under them.
                epoch = epoch_box[0]
                switched = plan_for(dependant, provider)
                if switched is not plan:
                    results, done = _carry_over(steps[: index + 1], results, switched.steps)
                    plan, steps = switched, switched.steps
                    break
        else:
            raise AssertionError("a plan ends with its root step")  # pragma: no cover


def _carry_over(ran: list[Step], results: list[Any], steps: list[Step]) -> tuple[list[Any], list[bool]]:
    """Results of the steps already run, placed in a new plan by graph position; a step inside a
    subtree that already ran is done too (its parent's value stands, as in FastAPI).
    """
    by_position = {step.position: results[i] for i, step in enumerate(ran)}
    new_results: list[Any] = [None] * len(steps)
    done = [False] * len(steps)
    for i, step in enumerate(steps):
        position = step.position
        if position in by_position:
            new_results[i], done[i] = by_position[position], True
        elif any(position[:n] in by_position for n in range(1, len(position))):
            done[i] = True
    return new_results, done


def _read_params(step: Step, request: HTTPConnection, values: dict[str, Any], errors: list[Any]) -> bool:
    ok = True
    if step.path:
        source: Any = request.path_params
        for reader in step.path:
            ok = reader.read(source, values, errors) and ok
    if step.query:
        source = query_params_of(request)
        for reader in step.query:
            ok = reader.read(source, values, errors) and ok
    if step.header:
        source = request.headers
        for reader in step.header:
            ok = reader.read(source, values, errors) and ok
    if step.cookie:
        source = request.cookies
        for reader in step.cookie:
            ok = reader.read(source, values, errors) and ok
    return ok


async def _read_body(step: Step, body: Any, embed: bool, values: dict[str, Any], errors: list[Any]) -> bool:
    assert step.body is not None
    if isinstance(body, FormData):
        return await step.body.read_form(body, embed, values, errors)
    return step.body.read_json(body, embed, values, errors)


def _inject(step: Step, state: _RequestState, values: dict[str, Any]) -> None:
    dependant = step.dependant
    connection = state.connection
    if dependant.http_connection_param_name:
        values[dependant.http_connection_param_name] = connection
    if dependant.request_param_name and isinstance(connection, Request):
        values[dependant.request_param_name] = connection
    elif dependant.websocket_param_name and isinstance(connection, WebSocket):
        values[dependant.websocket_param_name] = connection
    if dependant.background_tasks_param_name:
        if state.background_tasks is None:
            state.background_tasks = BackgroundTasks()
        values[dependant.background_tasks_param_name] = state.background_tasks
    if dependant.response_param_name:
        if state.response is None:
            state.response = new_sub_response()
        values[dependant.response_param_name] = state.response
    if dependant.security_scopes_param_name:
        # Imported here, not at start-up: the security package loads the OpenAPI models.
        from ferroapi.security.oauth2 import SecurityScopes

        values[dependant.security_scopes_param_name] = SecurityScopes(scopes=list(step.oauth_scopes))


async def _call(step: Step, values: dict[str, Any], state: _RequestState) -> Any:
    kind = step.kind
    if kind >= ASYNC_GEN:
        return await _enter(step, values, state)
    if step.concurrency is not None:
        async with step.concurrency.get_semaphore():
            return await _call_plain(step, kind, values)
    return await _call_plain(step, kind, values)


async def _call_plain(step: Step, kind: int, values: dict[str, Any]) -> Any:
    if kind == ASYNC_CALL:
        return await step.call(**values)
    assert kind == SYNC_CALL
    return await run_in_threadpool(step.call, **values)


async def _enter(step: Step, values: dict[str, Any], state: _RequestState) -> Any:
    """Enter a yield dependency; its teardown runs when its stack closes."""
    lifecycle = state.lifecycle
    assert lifecycle is not None  # only the endpoint-only fast path has none, and it enters nothing
    request_stack = lifecycle.request_stack
    stack = lifecycle.function_stack if step.function_scope else request_stack
    cm: AbstractAsyncContextManager[Any]
    if step.kind == ASYNC_GEN:
        scope = state.cleanup_scope
        if scope is _UNDECIDED:
            # Decided (and entered) before the first async yield dependency, so it encloses all
            # of their own cancel scopes; shielded while each teardown runs.
            scope = state.cleanup_scope = open_cleanup_scope(request_stack)
        cm = AsyncGenDependency(step.call(**values), scope)
        if step.concurrency is None:
            value = await cm.__aenter__()
            # `stack.push_async_exit(cm)` without its type lookup and method wrapper.
            stack._push_exit_callback(cm.__aexit__, False)  # type: ignore[attr-defined]
            return value
    else:
        cm = contextmanager_in_threadpool(step.call(**values))
    if step.concurrency is not None:
        cm = limited(cm, step.concurrency.get_semaphore())
    return await stack.enter_async_context(cm)
