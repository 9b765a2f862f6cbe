"""Lifespans: `on_startup`/`on_shutdown` handlers, generator lifespans, and merging included ones."""

from __future__ import annotations

import contextlib
import functools
import inspect
import types
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager, asynccontextmanager
from typing import Any, TypeVar

from starlette.types import Lifespan

from ferroapi._routing.settings import RouterSettings

_T = TypeVar("_T")


class _SyncAsAsync(AbstractAsyncContextManager[_T]):
    def __init__(self, cm: AbstractContextManager[_T]) -> None:
        self._cm = cm

    async def __aenter__(self) -> _T:
        return self._cm.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> bool | None:
        return self._cm.__exit__(exc_type, exc_value, traceback)


def _from_generator(lifespan: Callable[[Any], Generator[Any, Any, Any]]) -> Lifespan[Any]:
    manager = contextlib.contextmanager(lifespan)

    @functools.wraps(manager)
    def wrapper(app: Any) -> _SyncAsAsync[Any]:
        return _SyncAsAsync(manager(app))

    return wrapper


class DefaultLifespan:
    """Runs the router's `on_startup` handlers on enter and `on_shutdown` handlers on exit."""

    def __init__(self, router: RouterSettings) -> None:
        self._router = router

    async def __aenter__(self) -> None:
        await self._router._startup()

    async def __aexit__(self, *exc_info: object) -> None:
        await self._router._shutdown()

    def __call__(self, app: object) -> DefaultLifespan:
        return self


async def run_handlers(handlers: Iterable[Callable[[], Any]]) -> None:
    """`on_startup` / `on_shutdown` handlers in order, sync or async."""
    for handler in handlers:
        if inspect.iscoroutinefunction(handler):
            await handler()
        else:
            handler()


def lifespan_context(router: RouterSettings, lifespan: Any) -> Lifespan[Any]:
    if lifespan is None:
        return DefaultLifespan(router)
    if inspect.isasyncgenfunction(lifespan):
        return asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        return _from_generator(lifespan)
    return lifespan  # type: ignore[no-any-return]


def merge_lifespans(original_context: Lifespan[Any], nested_context: Lifespan[Any]) -> Lifespan[Any]:
    """Enter the router's own lifespan, then the included router's; their states merge (the outer's
    keys win). FastAPI's `_merge_lifespan_context`."""
    outer, inner = original_context, nested_context

    @asynccontextmanager
    async def merged(app: Any) -> AsyncIterator[Mapping[str, Any] | None]:
        async with outer(app) as outer_state, inner(app) as inner_state:
            if outer_state is None and inner_state is None:
                yield None
            else:
                yield {**(inner_state or {}), **(outer_state or {})}

    return merged  # type: ignore[return-value]
