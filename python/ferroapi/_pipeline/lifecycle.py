"""The per-request lifecycle: the two exit stacks every request owns, and its GC pause, in one object.

`function_stack` holds what `Depends(scope="function")` yield-dependencies opened: it is closed right
after the endpoint returns (or raises), before the response is sent. `request_stack` holds everything
else a request opened (default-scoped yield dependencies, stream producers, uploaded files): it is
closed after the response has been sent, also when the client went away mid-stream. Passing this
object explicitly replaces string keys smuggled through the ASGI scope.

Both stacks are created on first use: most requests open nothing, and two `AsyncExitStack`s per
request were a measurable share of a small GET.

A request with a large body may also hold a share of the process-wide GC pause (`gc_pause.py`),
from the body's decoding until the route app is done with the request.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from ferroapi._pipeline import gc_pause

__all__ = ["Lifecycle"]


class Lifecycle:
    __slots__ = ("_function_stack", "_gc_pause", "_request_stack")

    def __init__(self) -> None:
        self._function_stack: AsyncExitStack | None = None
        self._request_stack: AsyncExitStack | None = None
        self._gc_pause: int | None = None

    @property
    def function_stack(self) -> AsyncExitStack:
        stack = self._function_stack
        if stack is None:
            stack = self._function_stack = AsyncExitStack()
        return stack

    @property
    def request_stack(self) -> AsyncExitStack:
        stack = self._request_stack
        if stack is None:
            stack = self._request_stack = AsyncExitStack()
        return stack

    async def close_function_stack(self, exc: BaseException | None = None) -> bool:
        """Unwind the function scope as `async with function_stack:` would on leaving.

        Returns True when a teardown swallowed `exc` (a dependency caught it and did not re-raise).
        """
        return await _close(self._function_stack, exc)

    async def close_request_stack(self, exc: BaseException | None = None) -> bool:
        """Unwind the request scope; True when a teardown swallowed `exc`."""
        return await _close(self._request_stack, exc)

    def pause_gc(self) -> None:
        """Hold the GC pause until `resume_gc` (if one can be held now; see gc_pause.begin)."""
        if self._gc_pause is None:
            self._gc_pause = gc_pause.begin()

    def resume_gc(self) -> None:
        token = self._gc_pause
        if token is not None:
            self._gc_pause = None
            gc_pause.end(token)


async def _close(stack: AsyncExitStack | None, exc: BaseException | None) -> bool:
    if stack is None:
        return False
    if exc is None:
        await stack.__aexit__(None, None, None)
        return False
    return bool(await stack.__aexit__(type(exc), exc, exc.__traceback__))
