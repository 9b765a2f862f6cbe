"""`RouterSettings`: what the routing modules below `APIRouter` read of a router.

`APIRouter` (router.py) is built from dispatch, inclusion, lifespan and frontend modules; those take
the router they serve as this protocol, so none of them imports router.py (not even for typing). The
one implementation is `APIRouter`; mypy checks it against this protocol wherever one is passed.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from ferroapi._routing.routelist import RouteList

if TYPE_CHECKING:
    from ferroapi.dependencies.lifespan import LifespanStore
    from ferroapi.params import Depends

__all__ = ["RouterSettings"]


class RouterSettings(Protocol):
    # the options its routes inherit (include_router merges them)
    prefix: str
    tags: list[str | Enum]
    dependencies: list[Depends]
    default_response_class: type[Response]
    responses: dict[int | str, dict[str, Any]]
    callbacks: list[BaseRoute]
    deprecated: bool | None
    include_in_schema: bool
    generate_unique_id_function: Callable[[Any], str]
    strict_content_type: bool
    max_body_size: int | None
    form_limits: dict[str, int]
    dependency_overrides_provider: Any
    # dispatch
    redirect_slashes: bool
    default: ASGIApp
    has_routing_hooks: bool  # a subclass overrides `matches` or `handle`
    _low_priority_routes: RouteList
    _frontend_routes: Any  # the router's FrontendRouteGroup, once it has a frontend
    # lifespan (include_router merges the contexts; the store is the one this router's lifespan serves)
    lifespan_context: Lifespan[Any]
    _lifespan_store: LifespanStore

    @property
    def routes(self) -> RouteList: ...
    def matches(self, scope: Scope) -> tuple[Match, Scope]: ...
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    async def not_found(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    def effective_routes(self) -> list[BaseRoute]: ...
    def _get_routes_version(self, seen: set[int] | None = None) -> int: ...
    def _mark_routes_changed(self) -> None: ...
    async def _startup(self) -> None: ...
    # The dispatcher's `serve_selected`, which an inclusion with routing hooks calls for the route
    # it selected (the dispatcher imports the inclusion module, not the reverse).
    @staticmethod
    async def serve_selected(
        router: RouterSettings,
        route: BaseRoute,
        match: Match,
        child_scope: Scope,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None: ...
    async def _shutdown(self) -> None: ...
