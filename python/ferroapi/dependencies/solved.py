"""FastAPI's `solve_dependencies(...)` and its `SolvedDependency`, over ferroapi's solver.

Extensions call `fastapi.dependencies.utils.solve_dependencies` (also reachable as
`fastapi.routing.solve_dependencies`, and patched there by instrumentation) with FastAPI's keywords:
inside a request ferroapi serves (the request's own lifecycle is used), or with a Request they built
themselves whose scope holds FastAPI's exit stacks. They read and replace the fields of the mutable
`SolvedDependency` they get back, and a caller-given `dependency_cache` is filled in place.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.requests import HTTPConnection
from starlette.responses import Response

from ferroapi._lifecycle import lifecycle_for
from ferroapi.dependencies.models import CacheKey, Dependant, _UsesScopesCache
from ferroapi.dependencies.solve import new_sub_response, solve

__all__ = ["SolvedDependency", "solve_dependencies"]


@dataclass
class SolvedDependency:
    """The endpoint's arguments (`values`), or the `errors` that prevent calling it; the background
    tasks and the sub-response dependencies may have used; the per-request dependency cache."""

    values: dict[str, Any]
    errors: list[Any]
    background_tasks: StarletteBackgroundTasks | None
    response: Response
    dependency_cache: dict[CacheKey, Any]

    @property
    def response_used(self) -> bool:
        """Always: FastAPI's result carries the sub-response (the pipeline merges what it holds)."""
        return True

    @property
    def response_if_any(self) -> Response:
        """The sub-response, as the pipeline's own `Solution` names it."""
        return self.response


async def solve_dependencies(
    *,
    request: HTTPConnection,
    dependant: Dependant,
    body: Any = PydanticUndefined,
    background_tasks: StarletteBackgroundTasks | None = None,
    response: Response | None = None,
    dependency_overrides_provider: Any | None = None,
    dependency_cache: dict[CacheKey, Any] | None = None,
    async_exit_stack: AsyncExitStack,
    embed_body_fields: bool,
    _uses_scopes_cache: _UsesScopesCache | None = None,
) -> SolvedDependency:
    """Solve `dependant` for `request` (FastAPI's signature). `body` is the decoded body: a JSON
    value, FormData, raw bytes, or Undefined when there was none.

    Yield dependencies are entered on the request's stacks: ferroapi's own while it serves the
    request, else FastAPI's scope keys, else `async_exit_stack` (FastAPI ignores it; here it is the
    fallback that keeps a bare Request usable).
    """
    solution = await solve(
        request=request,
        dependant=dependant,
        lifecycle=lifecycle_for(request.scope, async_exit_stack),
        body=body,
        background_tasks=background_tasks,
        response=response if response is not None else new_sub_response(),
        dependency_overrides_provider=dependency_overrides_provider,
        dependency_cache=dependency_cache,
        embed_body_fields=embed_body_fields,
    )
    return SolvedDependency(
        values=solution.values,
        errors=solution.errors,
        background_tasks=solution.background_tasks,
        response=solution.response,
        dependency_cache=solution.dependency_cache,
    )
