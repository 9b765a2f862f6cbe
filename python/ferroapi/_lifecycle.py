"""The per-request lifecycle: the two exit stacks every request owns, and its GC pause, in one object.

`function_stack` holds what `Depends(scope="function")` yield-dependencies opened: it is closed right
after the endpoint returns (or raises), before the response is sent. `request_stack` holds everything
else a request opened (default-scoped yield dependencies, stream producers, uploaded files): it is
closed after the response has been sent, also when the client went away mid-stream. Passing this
object explicitly replaces string keys smuggled through the ASGI scope.

Both stacks are created on first use: most requests open nothing, and two `AsyncExitStack`s per
request were a measurable share of a small GET.

A request with a large body may also hold a share of the process-wide GC pause (`_gc_pause.py`),
from the body's decoding until the route app is done with the request.

FastAPI code finds the stacks under FastAPI's scope keys (`fastapi_inner_astack`,
`fastapi_function_astack`): the route app publishes them there whenever it runs with stacks (yield
dependencies, a custom route handler, extensions); a request that cannot open anything skips them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from ferroapi import _gc_pause as gc_pause

__all__ = [
    "FUNCTION_STACK_SCOPE_KEY",
    "LIFECYCLE_SCOPE_KEY",
    "REQUEST_STACK_SCOPE_KEY",
    "Exchange",
    "Lifecycle",
    "lifecycle_for",
    "lifecycle_of",
]

Connection = TypeVar("Connection")

# The one scope key the pipeline uses: a route handler receives only `request`, and a custom route
# class (or an extension calling `solve_dependencies`) may rebuild the Request from the same scope,
# so the exchange travels with the scope.
LIFECYCLE_SCOPE_KEY = "ferroapi.exchange"
# FastAPI's names for the two stacks, read by extensions (and FastAPI's own `solve_dependencies`).
REQUEST_STACK_SCOPE_KEY = "fastapi_inner_astack"
FUNCTION_STACK_SCOPE_KEY = "fastapi_function_astack"


class Lifecycle:
    """A request's two exit stacks (created on first use) and its share of the GC pause.

    Class-level defaults instead of an `__init__`: `Lifecycle()` runs no Python frame (one per request
    saved); instances get their attributes when a stack or the pause is first taken.
    """

    # The stacks when created (None until then): what `close_*` has to unwind.
    function_stack_if_any: AsyncExitStack[Any] | None = None
    request_stack_if_any: AsyncExitStack[Any] | None = None
    gc_pause_token: int | None = None
    # Whether the response has begun to be sent (an error after that cannot be answered any more).
    sending: bool = False

    @classmethod
    def over(cls, request_stack: AsyncExitStack[Any], function_stack: AsyncExitStack[Any]) -> Lifecycle:
        """A lifecycle over stacks someone else created (FastAPI's scope keys, a caller's stack)."""
        lifecycle = cls()
        lifecycle.request_stack_if_any = request_stack
        lifecycle.function_stack_if_any = function_stack
        return lifecycle

    def publish(self, scope: MutableMapping[str, Any]) -> None:
        """Create both stacks now and put them under FastAPI's scope keys."""
        scope[REQUEST_STACK_SCOPE_KEY] = self.request_stack
        scope[FUNCTION_STACK_SCOPE_KEY] = self.function_stack

    @property
    def function_stack(self) -> AsyncExitStack:
        stack = self.function_stack_if_any
        if stack is None:
            stack = self.function_stack_if_any = AsyncExitStack()
        return stack

    @property
    def request_stack(self) -> AsyncExitStack:
        stack = self.request_stack_if_any
        if stack is None:
            stack = self.request_stack_if_any = AsyncExitStack()
        return stack

    async def close_function_stack(self, exc: BaseException | None = None) -> bool:
        """Unwind the function scope as `async with function_stack:` would on leaving.

        Returns True when a teardown swallowed `exc` (a dependency caught it and did not re-raise).
        """
        return await _close(self.function_stack_if_any, exc)

    async def close_request_stack(self, exc: BaseException | None = None) -> bool:
        """Unwind the request scope; True when a teardown swallowed `exc`."""
        return await _close(self.request_stack_if_any, exc)

    async def run(
        self,
        handler: Callable[[Connection], Awaitable[ASGIApp | None]],
        connection: Connection,
        scope: Scope,
        receive: Receive,
        send: Send,
        swallowed: Callable[[], BaseException] | None = None,
    ) -> None:
        """Serve one connection in FastAPI's order of exits, which is:

            async with request_stack:
                async with function_stack:
                    response = await handler(connection)
                await response(scope, receive, send)   # unless the handler returned None

        The one runner of HTTP routes that may open something (`_pipeline.handler`), websocket
        sessions (`_pipeline.websocket`) and frontends behind dependencies
        (`_routing.static_frontend.routes`). When a yield dependency's teardown swallows the error
        raised inside its scope, there is nothing (more) to send: `swallowed()` is raised in its
        place (an HTTP route: FastAPI's "Response not awaited" error, which request-scoped teardowns
        see too), or with `swallowed=None` the connection simply ends there.
        """
        try:
            try:
                response = await handler(connection)
            except BaseException as exc:
                if not await _close(self.function_stack_if_any, exc):
                    raise
                if swallowed is not None:
                    raise swallowed() from None
                response = None
            else:
                if self.function_stack_if_any is not None:  # (most requests: none, no coroutine)
                    await _close(self.function_stack_if_any, None)
            if response is not None:
                if self.gc_pause_token is not None:
                    self.resume_gc()  # before a stream that may outlast the body's objects by far
                self.sending = True
                await response(scope, receive, send)
        except BaseException as exc:
            if not await _close(self.request_stack_if_any, exc):
                raise
            if swallowed is not None:
                raise swallowed() from None
            return
        if self.request_stack_if_any is not None:
            await _close(self.request_stack_if_any, None)

    def pause_gc(self) -> None:
        """Hold the GC pause until `resume_gc` (if one can be held now; see gc_pause.begin)."""
        if self.gc_pause_token is None:
            self.gc_pause_token = gc_pause.begin()

    def resume_gc(self) -> None:
        token = self.gc_pause_token
        if token is not None:
            self.gc_pause_token = None
            gc_pause.end(token)


async def _close(stack: AsyncExitStack | None, exc: BaseException | None) -> bool:
    # A stack nothing was pushed on (the function stack of most requests) unwinds to nothing and
    # swallows nothing: skip `__aexit__` (a coroutine per request).
    if stack is None or not stack._exit_callbacks:  # type: ignore[attr-defined]
        return False
    if exc is None:
        await stack.__aexit__(None, None, None)
        return False
    return bool(await stack.__aexit__(type(exc), exc, exc.__traceback__))


class Exchange(Lifecycle):
    """One request's lifecycle, with its `Request`.

    The exchange is the request's `Lifecycle` itself (one object per request, no `__init__` frame).
    The request lets a streaming response see whether the body was read to its end (then it may
    watch `receive()` for the client leaving: `streaming/disconnect.py`).
    """

    request: Any = None


def lifecycle_of(scope: MutableMapping[str, Any]) -> Lifecycle:
    exchange: Exchange = scope[LIFECYCLE_SCOPE_KEY]
    return exchange


def lifecycle_for(scope: MutableMapping[str, Any], fallback: AsyncExitStack | None = None) -> Lifecycle:
    """The lifecycle of the request in `scope`: ferroapi's own when a route app serves it, else one
    over FastAPI's stacks in the scope (code that builds a Request itself), else over `fallback`.
    """
    exchange = scope.get(LIFECYCLE_SCOPE_KEY)
    if isinstance(exchange, Exchange):
        return exchange
    request_stack = scope.get(REQUEST_STACK_SCOPE_KEY)
    function_stack = scope.get(FUNCTION_STACK_SCOPE_KEY)
    request_stack = request_stack if isinstance(request_stack, AsyncExitStack) else fallback
    if request_stack is None:
        raise AssertionError(
            "solve_dependencies() needs the request's exit stacks: call it while ferroapi serves the "
            f"request, or put AsyncExitStacks under scope[{REQUEST_STACK_SCOPE_KEY!r}] and "
            f"scope[{FUNCTION_STACK_SCOPE_KEY!r}], or pass async_exit_stack="
        )
    if not isinstance(function_stack, AsyncExitStack):
        function_stack = request_stack
    return Lifecycle.over(request_stack, function_stack)
