"""`APIRouter`: registers path operations and dispatches through the compiled native route table."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from starlette import routing as starlette_routing
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send
from typing_extensions import Unpack, deprecated

from ferroapi._foreign import refuse_foreign_route, refuse_foreign_router
from ferroapi._limits.body import first_limit, validate_max_body_size
from ferroapi._limits.forms import inherit_form_limits, validate_form_limits
from ferroapi._routing.dispatch import dispatch
from ferroapi._routing.dispatch import serve_selected as dispatch_selected
from ferroapi._routing.inclusion.entry import IncludedRouter, check_inclusion, selecting_inclusion
from ferroapi._routing.inclusion.inherit import IncludeContext, check_prefix
from ferroapi._routing.lifespan import lifespan_context, merge_lifespans, run_handlers
from ferroapi._routing.lifespan_scope import serve_lifespan
from ferroapi._routing.options import FormLimits, RouteOptions
from ferroapi._routing.route import APIRoute, APIWebSocketRoute
from ferroapi._routing.routelist import RouteList, _Epoch
from ferroapi._routing.settings import RouterSettings
from ferroapi._routing.static_frontend.fallback import IncludedRouterEntry, low_priority_routes
from ferroapi._routing.static_frontend.files import Fallback, resolve_check_dir
from ferroapi._routing.static_frontend.routes import FrontendRouteGroup, add_frontend
from ferroapi._routing.table import RouteTable, compile_table
from ferroapi.datastructures import Default
from ferroapi.dependencies.lifespan import LifespanStore
from ferroapi.types import DecoratedCallable
from ferroapi.utils import generate_unique_id, get_value_or_default

if TYPE_CHECKING:
    from ferroapi.params import Depends

__all__ = ["ON_EVENT_DEPRECATED", "APIRouter"]

ON_EVENT_DEPRECATED = """
        on_event is deprecated, use lifespan event handlers instead.

        Read more about it in the
        [FastAPI docs for Lifespan Events](https://fastapi.tiangolo.com/advanced/events/).
        """


class APIRouter(starlette_routing.Router):
    """A group of path operations, declared apart from the app and attached to it later.

    Decorate functions with `@router.get(...)`, `@router.post(...)` and the other HTTP methods (or
    call `add_api_route`, `websocket`), then attach the router with `app.include_router(router)`, or
    nest it in another router first. The keyword arguments given here (`prefix`, `tags`,
    `dependencies`, `responses`, `default_response_class`, `max_body_size`...) apply to every path
    operation of the router; each `include_router` call may add its own on top.

    Including a router does not chain routers to be tried one after another: its routes join the
    app's native route table (compiled once, and again after a change), so a request is matched in
    one lookup whatever the number of routers. A subclass overriding `matches` or `handle` keeps
    them: its inclusion is then a single entry of that table, which consults them on each request.

    ```python
    from ferroapi import APIRouter, FerroAPI

    users = APIRouter(prefix="/users", tags=["users"])


    @users.get("/{user_id}")
    async def read_user(user_id: int) -> dict[str, int]:
        return {"user_id": user_id}


    app = FerroAPI()
    app.include_router(users)  # serves GET /users/{user_id}
    ```
    """

    # Whether this class overrides `matches` or `handle`: its inclusions then consult them per request.
    has_routing_hooks = False

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        routes: list[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        dependency_overrides_provider: Any | None = None,
        route_class: type[APIRoute] = APIRoute,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        strict_content_type: bool = Default(True),
        max_body_size: int | None = None,
        form_limits: FormLimits | None = None,
    ) -> None:
        validate_max_body_size(max_body_size)
        for route in routes or ():
            refuse_foreign_route(route)
        super().__init__(routes=routes, redirect_slashes=redirect_slashes, default=default)
        self.lifespan_context = lifespan_context(self, lifespan)
        # The values of the lifespan-scoped dependencies this router's lifespan serves (as the
        # outermost router, `scope["router"]`, it is where requests below it look them up).
        self._lifespan_store = LifespanStore()
        check_prefix(prefix)
        self.on_startup: list[Callable[[], Any]] = list(on_startup or [])
        self.on_shutdown: list[Callable[[], Any]] = list(on_shutdown or [])
        self.prefix = prefix
        self.tags: list[str | Enum] = tags or []
        self.dependencies = list(dependencies or [])
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.responses = responses or {}
        self.callbacks = callbacks or []
        self.dependency_overrides_provider = dependency_overrides_provider
        self.route_class = route_class
        self.default_response_class = default_response_class
        self.generate_unique_id_function = generate_unique_id_function
        self.strict_content_type = strict_content_type
        self.max_body_size = max_body_size
        self.form_limits: dict[str, int] = validate_form_limits(form_limits)
        self._table: RouteTable | None = None
        # FastAPI's low-priority routes (tried after every route and slash redirect): frontends.
        self._low_priority_routes = RouteList()
        self._frontend_routes: FrontendRouteGroup | None = None

    # ---- the route list and its compiled table ----------------------------------------------------
    @property
    def routes(self) -> RouteList:
        return self._routes

    @routes.setter
    def routes(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = RouteList(routes)
        _Epoch.bump()

    def _mark_routes_changed(self) -> None:
        _Epoch.bump()

    def _get_routes_version(self, seen: set[int] | None = None) -> int:
        """A number that changes whenever a route list changes (FastAPI's per-router version; here
        the process-wide epoch every route table is compiled against, a safe over-approximation)."""
        return _Epoch.value

    def effective_routes(self) -> list[BaseRoute]:
        """The routes in dispatch order, included routers flattened into their effective routes."""
        return self._expanded(IncludedRouter.effective_routes)

    def dispatch_routes(self) -> list[BaseRoute]:
        """What the route table is compiled from: the effective routes, except that the inclusion of
        a router with its own `matches`/`handle` stays one opaque entry that consults them."""
        return self._expanded(IncludedRouter.dispatch_candidates)

    def _expanded(self, expand: Callable[[IncludedRouter], Iterable[BaseRoute]]) -> list[BaseRoute]:
        flat: list[BaseRoute] = []
        for route in list(self.routes):
            if isinstance(route, IncludedRouter):
                flat.extend(expand(route))
            else:
                flat.append(route)
        return flat

    def route_table(self) -> RouteTable:
        table = self._table
        if table is None or table.epoch != _Epoch.value or table.redirect_slashes != self.redirect_slashes:
            epoch = _Epoch.value
            table = compile_table(
                self.dispatch_routes(),
                redirect_slashes=self.redirect_slashes,
                epoch=epoch,
                low_priority=low_priority_routes(self),
            )
            self._table = table
        return table

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if "router" not in scope:
            scope["router"] = self
        if scope["type"] == "lifespan":
            await self.lifespan(scope, receive, send)
            return
        if self.form_limits and scope["type"] == "http":
            inherit_form_limits(scope, self.form_limits)
        table = self._table  # `route_table()`'s test, inlined (a call per request)
        if table is None or table.epoch != _Epoch.value or table.redirect_slashes != self.redirect_slashes:
            table = self.route_table()
        await dispatch(self, table, scope, receive, send)

    # A router is not a route: an inclusion's routes are matched in the parent's table. As a route
    # (FastAPI's BaseRoute protocol) it matches nothing, and handling a request runs its own dispatch.
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # Called by the inclusion of this router (a subclass overriding `matches` calls super()):
        # the inclusion's routes, as they are under its prefix.
        inclusion = selecting_inclusion(scope)
        if inclusion is not None and inclusion.original_router is self:
            match, child_scope, _ = inclusion.select(scope)
            return match, child_scope
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        inclusion = selecting_inclusion(scope)
        if inclusion is not None and inclusion.original_router is self:
            await inclusion.handle_selected(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    async def serve_selected(
        router: RouterSettings,
        route: BaseRoute,
        match: Match,
        child_scope: Scope,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Serve the route an inclusion of this router selected by its own `matches` (the inclusion
        module sits below the dispatcher, so it reaches it through the router: `RouterSettings`)."""
        await dispatch_selected(router, route, match, child_scope, scope, receive, send)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.has_routing_hooks = cls.matches is not APIRouter.matches or cls.handle is not APIRouter.handle

    def frontend(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool | Literal["auto"] = "auto",
    ) -> None:
        """Serve a static frontend build (e.g. `dist/`) under `path`, after every other route.

        `fallback`: for a missing file, `"404.html"` answers it (404) and `"index.html"` answers it to
        navigation requests (200); `"auto"` whichever exists. `check_dir="auto"`: warn under `fastapi dev`.
        """
        checked = resolve_check_dir(directory, check_dir)  # here: its warning points at the caller
        add_frontend(self, path, directory=directory, fallback=fallback, check_dir=checked)

    # ---- path operations ------------------------------------------------------------------------
    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: set[str] | list[str] | None = None,
        route_class_override: type[APIRoute] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        route_class = route_class_override or self.route_class
        merged: dict[str, Any] = dict(options)
        merged["tags"] = [*self.tags, *(options.get("tags") or [])]
        merged["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        merged["responses"] = {**self.responses, **(options.get("responses") or {})}
        merged["callbacks"] = [*self.callbacks, *(options.get("callbacks") or [])]
        merged["deprecated"] = options.get("deprecated") or self.deprecated
        merged["include_in_schema"] = options.get("include_in_schema", True) and self.include_in_schema
        merged["response_class"] = get_value_or_default(
            options.get("response_class", Default(JSONResponse)), self.default_response_class
        )
        merged["generate_unique_id_function"] = get_value_or_default(
            options.get("generate_unique_id_function", Default(generate_unique_id)),
            self.generate_unique_id_function,
        )
        merged["strict_content_type"] = get_value_or_default(
            options.get("strict_content_type", Default(True)), self.strict_content_type
        )
        merged["max_body_size"] = first_limit(options.get("max_body_size"), self.max_body_size)
        if not merged.get("form_limits"):
            merged.pop("form_limits", None)
        route = route_class(
            self.prefix + path,
            endpoint=endpoint,
            methods=methods,
            dependency_overrides_provider=self.dependency_overrides_provider,
            **merged,
        )
        self.routes.append(route)

    def api_route(
        self, path: str, *, methods: list[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_route(path, func, methods=methods, **options)
            return func

        return decorator

    def get(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["GET"], **options)

    def put(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PUT"], **options)

    def post(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["POST"], **options)

    def delete(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["DELETE"], **options)

    def options(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["HEAD"], **options)

    def patch(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["PATCH"], **options)

    def trace(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(path, methods=["TRACE"], **options)

    # ---- WebSockets and plain starlette routes ----------------------------------------------------
    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[Depends] | None = None,
    ) -> None:
        route = APIWebSocketRoute(
            self.prefix + path,
            endpoint=endpoint,
            name=name,
            dependencies=[*self.dependencies, *(dependencies or [])],
            dependency_overrides_provider=self.dependency_overrides_provider,
        )
        self.routes.append(route)

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Depends] | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_websocket_route(path, func, name=name, dependencies=dependencies)
            return func

        return decorator

    def websocket_route(
        self, path: str, name: str | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def route(
        self,
        path: str,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def add_route(
        self,
        path: str,
        endpoint: Callable[[Request], Awaitable[Response] | Response],
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        route = starlette_routing.Route(
            path, endpoint=endpoint, methods=methods, name=name, include_in_schema=include_in_schema
        )
        self.routes.append(route)

    # ---- inclusion and lifespan ---------------------------------------------------------------
    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        max_body_size: int | None = None,
        form_limits: FormLimits | None = None,
    ) -> None:
        refuse_foreign_router(router)
        check_inclusion(self, router, prefix)
        context = IncludeContext.for_include(
            parent_router=self,
            included_router=router,
            prefix=prefix,
            tags=tags,
            dependencies=dependencies,
            default_response_class=default_response_class,
            responses=responses,
            callbacks=callbacks,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size,
            form_limits=form_limits,
        )
        self.routes.append(IncludedRouterEntry(router, context))
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = merge_lifespans(self.lifespan_context, router.lifespan_context)

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        assert event_type in ("startup", "shutdown")
        (self.on_startup if event_type == "startup" else self.on_shutdown).append(func)

    @deprecated(ON_EVENT_DEPRECATED)
    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    async def lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan: the router's lifespan context, with the lifespan-scoped dependencies."""
        await serve_lifespan(self, scope, receive, send)

    async def _startup(self) -> None:
        await run_handlers(self.on_startup)

    async def _shutdown(self) -> None:
        await run_handlers(self.on_shutdown)
