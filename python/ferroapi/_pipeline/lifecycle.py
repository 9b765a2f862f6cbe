"""The per-request lifecycle: the two exit stacks every request owns, in one object.

`function_stack` holds what `Depends(scope="function")` yield-dependencies opened: it is closed right
after the endpoint returns (or raises), before the response is sent. `request_stack` holds everything
else a request opened (default-scoped yield dependencies, stream producers, uploaded files): it is
closed after the response has been sent, also when the client went away mid-stream. Passing this
object explicitly replaces string keys smuggled through the ASGI scope.

Both stacks are created on first use: most requests open nothing, and two `AsyncExitStack`s per
request were a measurable share of a small GET.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

__all__ = ["Lifecycle"]


class Lifecycle:
    __slots__ = ("_function_stack", "_request_stack")

    def __init__(self) -> None:
        self._function_stack: AsyncExitStack | None = None
        self._request_stack: AsyncExitStack | None = None

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


async def _close(stack: AsyncExitStack | None, exc: BaseException | None) -> bool:
    if stack is None:
        return False
    if exc is None:
        await stack.__aexit__(None, None, None)
        return False
    return bool(await stack.__aexit__(type(exc), exc, exc.__traceback__))
