"""The ASGI app of an API WebSocket route, in FastAPI's two parts (both FastAPI names):

- `websocket_session(func)`: the connection's lifecycle (both exit stacks, published under FastAPI's
  scope keys, closed when `func` returns or raises) and the app's exception handlers;
- `get_websocket_app(dependant, ...)`: `func` itself, solving the dependencies (through a replaced
  `ferroapi.routing.solve_dependencies` when instrumentation replaced it) and calling the endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ferroapi._pipeline.errors import handle_exception
from ferroapi._pipeline.hooks import HOOKS
from ferroapi._pipeline.lifecycle import LIFECYCLE_SCOPE_KEY, Exchange, lifecycle_of
from ferroapi._pipeline.plan import EndpointSite
from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.solve import solve
from ferroapi.exceptions import WebSocketRequestValidationError

__all__ = ["get_websocket_app", "websocket_session"]


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """`func(websocket)` as an ASGI app, within the connection's exit stacks."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        exchange = Exchange()
        scope[LIFECYCLE_SCOPE_KEY] = exchange
        lifecycle = exchange.lifecycle
        lifecycle.publish(scope)
        try:
            async with lifecycle.request_stack, lifecycle.function_stack:
                await func(websocket)
        except Exception as exc:
            if not await handle_exception(websocket, exc, scope, receive, send, started=False):
                raise

    return app


def get_websocket_app(
    dependant: Dependant,
    dependency_overrides_provider: Any | None = None,
    embed_body_fields: bool = False,
) -> Callable[[WebSocket], Coroutine[Any, Any, Any]]:
    """The endpoint of `dependant` with its dependencies solved for the connection."""
    site = EndpointSite(dependant.call) if dependant.call is not None else None

    async def app(websocket: WebSocket) -> None:
        lifecycle = lifecycle_of(websocket.scope)
        if HOOKS.active:
            solved: Any = await HOOKS.solve_dependencies(
                request=websocket,
                dependant=dependant,
                dependency_overrides_provider=dependency_overrides_provider,
                async_exit_stack=lifecycle.request_stack,
                embed_body_fields=embed_body_fields,
            )
        else:
            solved = await solve(
                request=websocket,
                dependant=dependant,
                lifecycle=lifecycle,
                dependency_overrides_provider=dependency_overrides_provider,
                embed_body_fields=embed_body_fields,
            )
        if solved.errors:
            root_path = websocket.scope.get("root_path", "")
            ctx = site.context("WS", root_path, dependant.path or "") if site is not None else {}
            raise WebSocketRequestValidationError(solved.errors, endpoint_ctx=ctx)
        assert dependant.call is not None, "dependant.call must be a function"
        await dependant.call(**solved.values)

    return app
