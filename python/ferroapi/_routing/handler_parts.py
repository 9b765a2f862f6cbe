"""Two steps of FastAPI's request handler that extensions reuse in handlers of their own: where the
endpoint is defined (for error messages), and the status and background tasks of the response.

ferroapi's handler keeps both in the route's plan (`EndpointSite`, `render.response_status`); these are
FastAPI's function forms of the same decisions, for code holding an endpoint or a `SolvedDependency`.
"""

from __future__ import annotations

from typing import Any

from ferroapi._pipeline.plan import EndpointSite
from ferroapi.exceptions import EndpointContext

__all__ = ["build_response_args", "endpoint_context_cache", "extract_endpoint_context"]

# id(endpoint) -> where it is defined: looking up source files once per endpoint, as FastAPI does.
endpoint_context_cache: dict[int, EndpointContext] = {}


def extract_endpoint_context(func: Any) -> EndpointContext:
    """The file, line and function name of `func` (an empty context when they cannot be found)."""
    key = id(func)
    context = endpoint_context_cache.get(key)
    if context is None:
        context = endpoint_context_cache[key] = EndpointSite(func).context("", "", "")
    return context


def build_response_args(*, status_code: int | None, solved_result: Any) -> dict[str, Any]:
    """Keyword arguments of the response class for an endpoint's value: the background tasks the
    dependencies used, and the status code: the one a dependency set on the injected `Response`,
    else the route's, else the response class's own (nothing passed)."""
    response_args: dict[str, Any] = {"background": solved_result.background_tasks}
    set_by_dependency = solved_result.response.status_code
    status = set_by_dependency or status_code or set_by_dependency
    if status is not None:
        response_args["status_code"] = status
    return response_args
