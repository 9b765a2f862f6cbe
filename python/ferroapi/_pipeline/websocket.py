"""The ASGI app of an API WebSocket route: lifecycle, dependencies, endpoint, exception handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from ferroapi._pipeline.errors import handle_exception
from ferroapi._pipeline.handler import LIFECYCLE_SCOPE_KEY, Exchange
from ferroapi._pipeline.plan import EndpointSite
from ferroapi.exceptions import WebSocketRequestValidationError

if TYPE_CHECKING:
    from ferroapi._routing.route import APIWebSocketRoute

__all__ = ["WebSocketApp", "websocket_app"]


class WebSocketApp:
    __slots__ = ("route", "site")

    def __init__(self, route: APIWebSocketRoute) -> None:
        self.route = route
        self.site = EndpointSite(route.endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive=receive, send=send)
        exchange = Exchange()
        scope[LIFECYCLE_SCOPE_KEY] = exchange
        try:
            await self._run(websocket, exchange)
        except Exception as exc:
            if not await handle_exception(websocket, exc, scope, receive, send, started=False):
                raise

    async def _run(self, websocket: WebSocket, exchange: Exchange) -> None:
        from ferroapi.dependencies.solve import solve_dependencies

        route = self.route
        lifecycle = exchange.lifecycle
        async with lifecycle.request_stack, lifecycle.function_stack:
            solved = await solve_dependencies(
                request=websocket,
                dependant=route.dependant,
                lifecycle=lifecycle,
                dependency_overrides_provider=route.dependency_overrides_provider,
                embed_body_fields=route._embed_body_fields,
            )
            if solved.errors:
                ctx = self.site.context(
                    "WS", websocket.scope.get("root_path", ""), route.dependant.path or ""
                )
                raise WebSocketRequestValidationError(solved.errors, endpoint_ctx=ctx)
            assert route.dependant.call is not None
            await route.dependant.call(**solved.values)


def websocket_app(route: APIWebSocketRoute) -> WebSocketApp:
    return WebSocketApp(route)
