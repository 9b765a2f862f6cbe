"""Async yield dependencies: the generator driven directly, its teardown shielded from cancellation.

FastAPI wraps each async yield dependency in `asynccontextmanager`, then in a second generator-based
context manager that shields a per-request "cleanup" cancel scope while the teardown runs, then
checkpoints. `AsyncGenDependency` does the same in one object: it is contextlib's own
`_AsyncGeneratorContextManager` (its `__aexit__`, so exceptions thrown into the generator, a
generator that does not stop and a teardown that raises behave exactly as there) without the
per-instance bookkeeping of its `__init__`, with the shielding folded into `__aexit__`.

The cleanup scope only protects a teardown from the cancellation of an anyio scope that encloses the
request. When the request's task runs on asyncio inside no anyio cancel scope at all (a plain server
task: uvicorn, hypercorn, granian), there is nothing such a scope could protect from, so none is
opened; under trio, or inside any anyio scope (TestClient, task-group based middleware), it is.
"""

from __future__ import annotations

from asyncio import current_task
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, _AsyncGeneratorContextManager
from types import TracebackType
from typing import Any
from weakref import WeakKeyDictionary, ref

from anyio import CancelScope
from anyio.lowlevel import checkpoint_if_cancelled

__all__ = ["AsyncGenDependency", "open_cleanup_scope", "outside_cancel_scopes"]

_task_states: Any
try:  # anyio's per-task record of the innermost cancel scope (asyncio backend)
    from anyio._backends._asyncio import _task_states
except ImportError:  # pragma: no cover - another anyio layout: always take the general path
    _task_states = None
# Its mapping of weak references, read directly when it is the stdlib's WeakKeyDictionary.
_task_states_data: dict[Any, Any] | None = (
    _task_states.data if type(_task_states) is WeakKeyDictionary else None  # type: ignore[attr-defined]
)


def outside_cancel_scopes() -> bool:
    """True when the current task runs on asyncio outside any anyio cancel scope.

    False whenever that cannot be told (trio, no running loop, an unknown anyio layout).
    """
    if _task_states is None:
        return False
    try:
        task = current_task()
    except RuntimeError:  # no asyncio loop running: trio
        return False
    if task is None:
        return False
    # `_task_states.get(task)` without WeakKeyDictionary.get's frame (it looks up `ref(task)` in `data`).
    state = _task_states_data.get(ref(task)) if _task_states_data is not None else _task_states.get(task)
    return state is None or getattr(state, "cancel_scope", True) is None


def open_cleanup_scope(request_stack: AsyncExitStack) -> CancelScope | None:
    """The scope shielded while teardowns run, entered before the first async yield dependency so
    it encloses their own scopes; None when no enclosing scope could cancel a teardown.
    """
    if outside_cancel_scopes():
        return None
    return request_stack.enter_context(CancelScope())


class AsyncGenDependency(_AsyncGeneratorContextManager[Any]):
    """One async yield dependency of one request, entered on an exit stack."""

    def __init__(self, gen: AsyncGenerator[Any, None], cleanup_scope: CancelScope | None) -> None:
        # Not contextlib's __init__: it records func/args/kwds for recreation, never used here.
        self.gen = gen
        self.cleanup_scope = cleanup_scope

    async def __aenter__(self) -> Any:
        try:
            return await self.gen.__anext__()
        except StopAsyncIteration:
            raise RuntimeError("generator didn't yield") from None

    async def __aexit__(
        self, typ: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        scope = self.cleanup_scope
        if scope is None:
            if typ is None:
                # contextlib's normal-exit path, without a frame in between.
                try:
                    await self.gen.__anext__()
                except StopAsyncIteration:
                    suppressed: bool | None = False
                else:
                    try:
                        raise RuntimeError("generator didn't stop")
                    finally:
                        await self.gen.aclose()
            else:
                suppressed = await super().__aexit__(typ, value, traceback)
        else:
            was_shielded = scope.shield
            scope.shield = True
            try:
                suppressed = await super().__aexit__(typ, value, traceback)
            finally:
                scope.shield = was_shielded
        if (typ is None or suppressed) and (scope is not None or not outside_cancel_scopes()):
            # A task group inside the dependency may have swallowed a cancellation while shielded
            # (when an exception goes on, it is what propagates: no checkpoint may replace it).
            # Outside any cancel scope anyio's checkpoint has nothing to look at: skipped.
            await checkpoint_if_cancelled()
        return suppressed
