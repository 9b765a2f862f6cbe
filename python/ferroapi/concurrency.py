"""Running blocking code from async code: the thread pool helpers FastAPI exposes, plus the
cancellation-safe wrappers dependency teardown needs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from contextlib import asynccontextmanager as asynccontextmanager
from types import TracebackType
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter, Semaphore
from anyio.lowlevel import RunVar, checkpoint_if_cancelled
from starlette.concurrency import iterate_in_threadpool as iterate_in_threadpool
from starlette.concurrency import run_in_threadpool as run_in_threadpool
from starlette.concurrency import run_until_first_complete as run_until_first_complete

__all__ = [
    "DependencyConcurrency",
    "asynccontextmanager",
    "contextmanager_in_threadpool",
    "iterate_in_threadpool",
    "run_in_threadpool",
    "run_until_first_complete",
]

_T = TypeVar("_T")


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[_T]) -> AsyncGenerator[_T, None]:
    """Enter a sync context manager in a worker thread, and exit it in one too.

    `__exit__` gets its own one-slot limiter: if it waited for a slot of the shared pool, a context
    manager that returns a pooled resource (a DB connection) could deadlock against threads waiting
    for that resource. The exit is shielded so cancellation cannot skip the teardown.
    """
    value = await run_in_threadpool(cm.__enter__)
    try:
        yield value
    except BaseException as exc:
        with CancelScope(shield=True):
            suppressed = await anyio.to_thread.run_sync(
                cm.__exit__, type(exc), exc, exc.__traceback__, limiter=CapacityLimiter(1)
            )
        if not suppressed:
            raise
    else:
        with CancelScope(shield=True):
            await anyio.to_thread.run_sync(cm.__exit__, None, None, None, limiter=CapacityLimiter(1))


class ShieldedExit(AbstractAsyncContextManager[_T]):
    """Run `cm`'s teardown with `cleanup_scope` shielded.

    `cleanup_scope` encloses every async yield-dependency of the request (it was entered on the
    request stack before the first one), so shielding it while a teardown runs keeps a client
    disconnect from cancelling the code after `yield`. A class, not a generator-based context
    manager: one per yield dependency per request, on the hot path.
    """

    __slots__ = ("cleanup_scope", "cm")

    def __init__(self, cm: AbstractAsyncContextManager[_T], cleanup_scope: CancelScope) -> None:
        self.cm = cm
        self.cleanup_scope = cleanup_scope

    async def __aenter__(self) -> _T:
        return await self.cm.__aenter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        scope = self.cleanup_scope
        was_shielded = scope.shield
        scope.shield = True
        try:
            suppressed = await self.cm.__aexit__(exc_type, exc, tb)
        finally:
            scope.shield = was_shielded
        if exc_type is None or suppressed:
            # A task group inside the dependency may have swallowed a cancellation while shielded
            # (when an exception goes on, it is what propagates: no checkpoint may replace it).
            await checkpoint_if_cancelled()
        return suppressed


# One semaphore per (declaration, event loop): anyio primitives belong to one loop.
_semaphores: RunVar[WeakKeyDictionary[DependencyConcurrency, Semaphore]] = RunVar(
    "ferroapi_dependency_semaphores"
)


class DependencyConcurrency:
    """The `max_concurrency=` of a `Depends`: at most that many calls (or open yield contexts)."""

    __slots__ = ("__weakref__", "max_concurrency")

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency

    def get_semaphore(self) -> Semaphore:
        table = _semaphores.get(None)
        if table is None:
            table = WeakKeyDictionary()
            _semaphores.set(table)
        semaphore = table.get(self)
        if semaphore is None:
            semaphore = table[self] = Semaphore(self.max_concurrency)
        return semaphore


@asynccontextmanager
async def limited(cm: AbstractAsyncContextManager[_T], semaphore: Semaphore) -> AsyncGenerator[_T, None]:
    """Hold `semaphore` for the whole life of `cm` (a yield dependency counts until its teardown)."""
    async with semaphore, cm as value:
        yield value


# FastAPI's private names for the same helpers (dependency solving imports them from here).
_DependencyConcurrency = DependencyConcurrency
_dependency_semaphores = _semaphores
_asynccontextmanager_with_shielded_exit = ShieldedExit
_contextmanager_with_concurrency_limit = limited
