"""FastAPI's `_solve_generator`: one yield dependency entered on a given exit stack.

ferroapi's solver enters yield dependencies itself (`dependencies.solve._enter`, with the request's
cleanup scope kept in its per-request state). Extensions that solve a graph their own way call
FastAPI's helper instead, with the stack to use and the dependency's arguments: this enters the
dependency the same way (async generators through `AsyncGenDependency`, teardown shielded by the
request's cleanup scope; sync generators in the thread pool; `max_concurrency` held until teardown)
and returns the value it yielded. The cleanup scope is recorded in the scope under FastAPI's key, per
request stack, so that several calls for one request share it as FastAPI's do.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AsyncExitStack, contextmanager
from typing import Any

from anyio import CancelScope
from starlette.requests import HTTPConnection

from ferroapi._lifecycle import lifecycle_for
from ferroapi.concurrency import contextmanager_in_threadpool, limited
from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.yielding import AsyncGenDependency, open_cleanup_scope

__all__ = ["solve_generator"]

# FastAPI's scope key: request stack -> the cancel scope shielded while teardowns run.
CLEANUP_SCOPES_KEY = "fastapi_async_cleanup_scopes"


def _cleanup_scope(connection: HTTPConnection, stack: AsyncExitStack) -> CancelScope | None:
    """The request's cleanup scope, entered on its request stack before its first async yield
    dependency (so it encloses theirs); None where nothing could cancel a teardown."""
    request_stack = lifecycle_for(connection.scope, stack).request_stack
    scopes: dict[AsyncExitStack, CancelScope | None] = connection.scope.setdefault(CLEANUP_SCOPES_KEY, {})
    if request_stack not in scopes:
        scopes[request_stack] = open_cleanup_scope(request_stack)
        request_stack.callback(scopes.pop, request_stack, None)
    return scopes[request_stack]


async def solve_generator(
    *, dependant: Dependant, stack: AsyncExitStack, sub_values: dict[str, Any], request: HTTPConnection
) -> Any:
    """Call the generator dependency `dependant` with `sub_values`, enter it on `stack` (its teardown
    runs when the stack closes) and return what it yielded."""
    call = dependant.call
    assert call is not None
    cm: AbstractAsyncContextManager[Any]
    if dependant.is_async_gen:
        cm = AsyncGenDependency(call(**sub_values), _cleanup_scope(request, stack))
    else:
        cm = contextmanager_in_threadpool(contextmanager(call)(**sub_values))
    if dependant.concurrency is not None:
        cm = limited(cm, dependant.concurrency.get_semaphore())
    return await stack.enter_async_context(cm)
