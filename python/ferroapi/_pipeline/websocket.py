"""The ASGI app of an API WebSocket route, in FastAPI's two parts (both FastAPI names):

- `websocket_session(func)`: the connection's lifecycle (both exit stacks, published under FastAPI's
  scope keys, closed when `func` returns or raises: `Lifecycle.run`) and the app's exception handlers;
- `get_websocket_app(dependant, ...)`: `func` itself, solving the dependencies (through a replaced
  `ferroapi.routing.solve_dependencies` when instrumentation replaced it, with FastAPI's telemetry
  calls once connections are observed) and calling the endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ferroapi._lifecycle import LIFECYCLE_SCOPE_KEY, Exchange, Lifecycle, lifecycle_of
from ferroapi._pipeline.errors import handle_exception
from ferroapi._pipeline.hooks import HOOKS
from ferroapi._pipeline.plan import EndpointSite
from ferroapi._shutdown.websocket import going_away
from ferroapi.dependencies.models import Dependant
from ferroapi.dependencies.solve import solve
from ferroapi.exceptions import WebSocketRequestValidationError
from ferroapi.telemetry._api import TELEMETRY_SEEN, _operation, _validation_failed, get_telemetry_data

__all__ = ["get_websocket_app", "websocket_session"]


def websocket_session(func: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """`func(websocket)` as an ASGI app, within the connection's exit stacks (`Lifecycle.run`)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        exchange = Exchange()
        scope[LIFECYCLE_SCOPE_KEY] = exchange
        exchange.publish(scope)
        try:
            # Closed with 1001 when the app drains (_shutdown.websocket); the drain's grace bounds
            # `func` (`session`), never the teardown of the exit stacks after it.
            async with going_away(websocket, func) as session:
                # Nothing is sent after `session`: the endpoint spoke on the socket itself.
                await exchange.run(session, websocket, scope, receive, send)
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
            await _through_hooks(
                websocket, dependant, lifecycle, site, dependency_overrides_provider, embed_body_fields
            )
            return
        solved = await solve(
            request=websocket,
            dependant=dependant,
            lifecycle=lifecycle,
            dependency_overrides_provider=dependency_overrides_provider,
            embed_body_fields=embed_body_fields,
        )
        if solved.errors:
            raise _validation_error(websocket, dependant, site, solved.errors)
        assert dependant.call is not None, "dependant.call must be a function"
        await dependant.call(**solved.values)

    return app


def _validation_error(
    websocket: WebSocket, dependant: Dependant, site: EndpointSite | None, errors: Any
) -> WebSocketRequestValidationError:
    root_path = websocket.scope.get("root_path", "")
    ctx = site.context("WS", root_path, dependant.path or "") if site is not None else {}
    return WebSocketRequestValidationError(errors, endpoint_ctx=ctx)


async def _through_hooks(
    websocket: WebSocket,
    dependant: Dependant,
    lifecycle: Lifecycle,
    site: EndpointSite | None,
    dependency_overrides_provider: Any,
    embed_body_fields: bool,
) -> None:
    """FastAPI's calls: a replaced `solve_dependencies`, and the telemetry of an observed connection
    (its data, the dependencies and endpoint spans, the validation-failure log)."""
    telemetry_data = get_telemetry_data() if TELEMETRY_SEEN.value else None
    if telemetry_data is not None:
        telemetry_data.websocket = websocket
    with _operation(name="dependencies", function=dependant.call):
        solved: Any = await HOOKS.solve_dependencies(
            request=websocket,
            dependant=dependant,
            dependency_overrides_provider=dependency_overrides_provider,
            async_exit_stack=lifecycle.request_stack,
            embed_body_fields=embed_body_fields,
        )
        if telemetry_data is not None:
            telemetry_data.values = solved.values
            telemetry_data.errors = solved.errors
    if solved.errors:
        error = _validation_error(websocket, dependant, site, solved.errors)
        _validation_failed(error)
        raise error
    assert dependant.call is not None, "dependant.call must be a function"
    with _operation(name="endpoint", function=dependant.call):
        await dependant.call(**solved.values)
