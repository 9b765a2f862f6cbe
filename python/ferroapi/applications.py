"""`FerroAPI`: the application (FastAPI's `FastAPI`, same constructor and methods).

Request path: `__call__` -> ServerErrorMiddleware -> body limit -> user middleware -> ExceptionMiddleware
-> the router's native dispatch. Without user middleware the first layers collapse into one
`AppEntry` (same handlers, same 500s) and the router enforces the body limits itself.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse as HTMLResponse
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.types import AppType as AppType
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send
from starlette.types import ExceptionHandler as ExceptionHandler
from typing_extensions import Unpack, deprecated

from ferroapi._alias import alias_installed
from ferroapi._app.entry import AppEntry
from ferroapi._foreign import counterpart_exception, foreign_exception_classes
from ferroapi._limits.body import DEFAULT_MAX_BODY_SIZE
from ferroapi._limits.middleware import AppBodyLimitMiddleware
from ferroapi._routing.observed import observe_requests
from ferroapi._routing.options import FormLimits, RouteOptions
from ferroapi._routing.route import APIRoute
from ferroapi._routing.router import ON_EVENT_DEPRECATED, APIRouter
from ferroapi._routing.static_frontend.files import Fallback, resolve_check_dir
from ferroapi._shutdown.lifespan import watch_lifespan
from ferroapi._shutdown.registry import begin_drains
from ferroapi.datastructures import Default
from ferroapi.datastructures import DefaultPlaceholder as DefaultPlaceholder
from ferroapi.dependencies.overrides import OverridesDict
from ferroapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
    websocket_request_validation_exception_handler,
)
from ferroapi.exceptions import (
    FastAPIDeprecationWarning,
    RequestValidationError,
    WebSocketRequestValidationError,
)
from ferroapi.middleware.asyncexitstack import AsyncExitStackMiddleware as AsyncExitStackMiddleware
from ferroapi.openapi.docs_routes import add_docs_routes, openapi_document
from ferroapi.params import Depends as Depends
from ferroapi.telemetry import TelemetryConfig
from ferroapi.telemetry._api import SCOPE_KEY, default_telemetry_config
from ferroapi.telemetry._asgi import ExceptionTelemetryMiddleware as ExceptionTelemetryMiddleware
from ferroapi.telemetry._asgi import NativeTelemetry, _legacy_otel
from ferroapi.telemetry._gate import TelemetryGate
from ferroapi.telemetry._gate import logs_internal as _otel_logs
from ferroapi.telemetry._gate import metrics_internal as _otel_metrics
from ferroapi.telemetry._gate import trace as _otel_trace
from ferroapi.telemetry._runtime import lifespan
from ferroapi.types import DecoratedCallable
from ferroapi.types import IncEx as IncEx
from ferroapi.utils import generate_unique_id

__all__ = ["DEFAULT_MAX_BODY_SIZE", "FastAPI", "FerroAPI"]

# FastAPI's name for the form limits declaration.
_FormLimits = FormLimits


class FerroAPI(Starlette):
    """The application. `FerroAPI(...)` accepts FastAPI's arguments, and these of its own:

    - `max_body_size`: requests with a larger body are refused with 413 (default 16 MiB; None: no limit).
      Routers, `include_router` and path operations may set their own.
    - `form_limits`: limits of multipart/urlencoded parsing (`max_files`, `max_fields`, `max_part_size`).
    - `sse_keepalive_interval`: seconds between keepalive comments on a server-sent-events stream that
      is idle (default: FastAPI's 15 s). A path operation or an `EventSourceResponse` subclass may set
      its own; `math.inf` sends none.
    - `stream_send_timeout`: seconds a streamed response may wait for the client to take a chunk
      before the stream ends and is torn down (default 60 s; FastAPI has no limit). A path operation or
      a response subclass may set its own; `math.inf` waits forever.
    - `sse_drain_retry`: milliseconds of the `retry:` hint an SSE stream ends with when the app drains
      on shutdown (default 1000); `drain_timeout`: seconds a SIGTERM/SIGINT waits for the drain
      before the server's own handler gets it (default 5). Both taken as extra keyword arguments
      (`app.extra`); see `drain()` and docs/shutdown.md.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        routes: list[BaseRoute] | None = None,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, str | Any]] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        redirect_slashes: bool = True,
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: dict[int | type[Exception], Callable[[Request, Any], Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[Any] | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, str | Any] | None = None,
        license_info: dict[str, str | Any] | None = None,
        root_path: str = "",
        root_path_in_servers: bool = True,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        webhooks: APIRouter | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        swagger_ui_parameters: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        separate_input_output_schemas: bool = True,
        openapi_external_docs: dict[str, Any] | None = None,
        strict_content_type: bool = Default(True),
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        form_limits: FormLimits | None = None,
        telemetry: TelemetryConfig | None = None,
        sse_keepalive_interval: float | None = None,
        stream_send_timeout: float | None = None,
        **extra: Any,
    ) -> None:
        self.max_body_size = max_body_size
        # Read per stream by the streaming lanes (a route's own setting wins; None: the default).
        self.sse_keepalive_interval = sse_keepalive_interval
        self.stream_send_timeout = stream_send_timeout
        self.debug = debug
        self.title = title
        self.summary = summary
        self.description = description
        self.version = version
        self.terms_of_service = terms_of_service
        self.contact = contact
        self.license_info = license_info
        self.openapi_url = openapi_url
        self.openapi_tags = openapi_tags
        self.root_path_in_servers = root_path_in_servers
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth = swagger_ui_init_oauth
        self.swagger_ui_parameters = swagger_ui_parameters
        self.servers = servers or []
        self.separate_input_output_schemas = separate_input_output_schemas
        self.openapi_external_docs = openapi_external_docs
        self.extra = extra
        self.openapi_version = "3.1.0"
        self.openapi_schema: dict[str, Any] | None = None
        self._openapi_epoch: int | None = None
        # The document this app generated itself: one the user assigns to `openapi_schema` is kept as is.
        self._generated_openapi: dict[str, Any] | None = None
        if self.openapi_url:
            assert self.title, "A title must be provided for OpenAPI, e.g.: 'My API'"
            assert self.version, "A version must be provided for OpenAPI, e.g.: '2.1.0'"
        self.webhooks = webhooks or APIRouter()
        if root_path:
            warnings.warn(
                "The `root_path` parameter is deprecated. Configure the server's root path instead, for "
                "example with `fastapi run --root-path /api/v1`.",  # FastAPI's words (`ferroapi run` too)
                category=FastAPIDeprecationWarning,
                stacklevel=2,
            )
        # FastAPI merges the argument into its defaults with `{**telemetry}`: anything that is not a
        # mapping (`telemetry=True`) raises that expression's TypeError, here as there.
        self._telemetry: TelemetryConfig = {
            **default_telemetry_config(),
            **(telemetry if telemetry is not None else {}),
        }
        self._native_telemetry = NativeTelemetry(self._telemetry)
        self._telemetry_gate = TelemetryGate(self._telemetry)
        self.root_path = root_path
        self.state = State()
        self.dependency_overrides = OverridesDict()
        self.router: APIRouter = APIRouter(
            routes=routes,
            redirect_slashes=redirect_slashes,
            dependency_overrides_provider=self,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            lifespan=lifespan,
            default_response_class=default_response_class,
            dependencies=dependencies,
            callbacks=callbacks,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            responses=responses,
            generate_unique_id_function=generate_unique_id_function,
            strict_content_type=strict_content_type,
            max_body_size=max_body_size,
            form_limits=form_limits,
        )
        self.exception_handlers: dict[Any, Callable[[Request, Any], Response | Awaitable[Response]]] = dict(
            exception_handlers or {}
        )
        self.exception_handlers.setdefault(HTTPException, http_exception_handler)
        self.exception_handlers.setdefault(RequestValidationError, request_validation_exception_handler)
        self.exception_handlers.setdefault(
            WebSocketRequestValidationError,
            websocket_request_validation_exception_handler,  # type: ignore[arg-type]
        )
        self.user_middleware: list[Middleware] = list(middleware or [])
        self.middleware_stack: ASGIApp | None = None
        self.setup()

    # `dependency_overrides` is a plain attribute (every request reads it: a property was a Python
    # call each time); assigning it goes through `__setattr__`, which wraps a plain dict so cached
    # dependency plans see its changes.
    dependency_overrides: dict[Callable[..., Any], Callable[..., Any]]  # an OverridesDict

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "dependency_overrides" and not isinstance(value, OverridesDict):
            value = OverridesDict(value)
        super().__setattr__(name, value)

    def build_middleware_stack(self) -> ASGIApp:
        error_handler = None
        handlers: dict[Any, Any] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                handlers[key] = value
        _answer_foreign_exceptions(handlers)
        # FastAPI's stack, built from `Middleware` entries as starlette does (instrumentations hook
        # `Middleware.__init__` and the classes' `__init__`): ServerErrorMiddleware -> body limit ->
        # user middleware -> ExceptionMiddleware -> AsyncExitStackMiddleware (files) -> router.
        outer = Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug)
        exceptions = Middleware(ExceptionMiddleware, handlers=handlers, debug=self.debug)
        if (
            not self.user_middleware
            and _stock(outer, ServerErrorMiddleware)
            and _stock(exceptions, ExceptionMiddleware)
        ):
            # The router enforces the body limits itself; the three layers run as one (`AppEntry`).
            inner = ExceptionMiddleware(
                AsyncExitStackMiddleware(self.router), handlers=handlers, debug=self.debug
            )
            return AppEntry(self.router, inner, error_handler, self.debug, file_stack=alias_installed())
        app: ASGIApp = AsyncExitStackMiddleware(self.router)
        middleware = [outer, Middleware(AppBodyLimitMiddleware, max_body_size=self.max_body_size)]
        middleware += [*self.user_middleware, exceptions]
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, generated on first use and again after the routes change."""
        return openapi_document(self)

    def setup(self) -> None:
        add_docs_routes(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path:
            scope["root_path"] = self.root_path
        # The app's one telemetry test per request (`TelemetryGate.quiet()`, inlined: a call per
        # request is measurable): nothing more while no global provider is set. The lifespan always
        # goes the other way (environment export set-up).
        quiet = (
            self._telemetry_gate.watch_globals
            and _otel_trace._TRACER_PROVIDER is None
            and _otel_metrics._METER_PROVIDER is None
            and _otel_logs._LOGGER_PROVIDER is None
        )
        if not quiet or scope["type"] == "lifespan":
            await self._call_observed(scope, receive, send)
            return
        # `_serve`'s body, inlined: one coroutine frame less per request.
        if Starlette.__call__ is not _STARLETTE_CALL:
            await Starlette.__call__(self, scope, receive, send)
            return
        scope["app"] = self
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        await stack(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app without telemetry: its middleware stack (starlette's `__call__`)."""
        if Starlette.__call__ is not _STARLETTE_CALL:
            # An instrumentation (Sentry) wraps `Starlette.__call__`: the app goes through it.
            await Starlette.__call__(self, scope, receive, send)
            return
        scope["app"] = self
        stack = self.middleware_stack
        if stack is None:
            stack = self.middleware_stack = self.build_middleware_stack()
        await stack(scope, receive, send)

    async def _call_observed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's telemetry entry: the lifespan through the export set-up, a request through
        `NativeTelemetry` unless an enclosing app already observes (or excluded) it."""
        scope_type = scope["type"]
        if scope_type == "lifespan":
            receive, send = watch_lifespan(self, receive, send)  # the drain on shutdown (docs/shutdown.md)
            await lifespan(config=self._telemetry, app=self._serve, scope=scope, receive=receive, send=send)
            return
        if (
            (scope_type != "http" and scope_type != "websocket")
            or SCOPE_KEY in scope
            or not self._native_telemetry.enabled()
        ):
            await self._serve(scope, receive, send)
            return
        observe_requests()
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self._native_telemetry(
            app=self._serve,
            scope=scope,
            receive=receive,
            send=send,
            legacy_otel=_legacy_otel(self.middleware_stack),
        )

    def drain(self) -> None:
        """Begin draining this app and the apps mounted in it now (from any thread; returns at once):
        open SSE streams send what they yielded, a `retry:` hint and end; websockets close with 1001;
        streams opened from now on end as soon as they start, until the next lifespan startup. A
        SIGTERM/SIGINT does this by itself once the lifespan started (docs/shutdown.md)."""
        begin_drains(self)

    # ---- registration, delegated to the router ----------------------------------------------------
    def frontend(
        self,
        path: str,
        *,
        directory: str | os.PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool | Literal["auto"] = "auto",
    ) -> None:
        """Serve a static frontend build (e.g. `dist/`) under `path`, after every other route
        (see `APIRouter.frontend`): `app.frontend("/", directory="dist")`."""
        checked = resolve_check_dir(directory, check_dir)
        self.router.frontend(path, directory=directory, fallback=fallback, check_dir=checked)

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: list[str] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.router.add_api_route(path, endpoint, methods=methods, **options)

    def api_route(
        self, path: str, *, methods: list[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.api_route(path, methods=methods, **options)

    def get(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.get(path, **options)

    def put(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.put(path, **options)

    def post(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.post(path, **options)

    def delete(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.delete(path, **options)

    def options(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.options(path, **options)

    def head(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.head(path, **options)

    def patch(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.patch(path, **options)

    def trace(
        self, path: str, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.trace(path, **options)

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None, *, dependencies: Any = None
    ) -> None:
        self.router.add_api_websocket_route(path, endpoint, name=name, dependencies=dependencies)

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Any = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket(path, name=name, dependencies=dependencies)

    def websocket_route(
        self, path: str, name: str | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.websocket_route(path, name=name)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Any = None,
        responses: dict[int | str, dict[str, Any]] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        default_response_class: type[Response] = Default(JSONResponse),
        callbacks: list[BaseRoute] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        max_body_size: int | None = None,
        form_limits: FormLimits | None = None,
    ) -> None:
        self.router.include_router(
            router,
            prefix=prefix,
            tags=tags,
            dependencies=dependencies,
            responses=responses,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            default_response_class=default_response_class,
            callbacks=callbacks,
            generate_unique_id_function=generate_unique_id_function,
            max_body_size=max_body_size,
            form_limits=form_limits,
        )

    def route(
        self,
        path: str,
        methods: list[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.route(path, methods=methods, name=name, include_in_schema=include_in_schema)

    @deprecated(ON_EVENT_DEPRECATED)
    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.router.on_event(event_type)

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        self.router.add_event_handler(event_type, func)

    def middleware(self, middleware_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator

    def exception_handler(
        self, exc_class_or_status_code: int | type[Exception]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func

        return decorator


_STARLETTE_SOURCE = os.path.join("starlette", "applications.py")


def _starlettes_own_call() -> Any:
    """`Starlette.__call__` as starlette defines it (None when an instrumentation wrapped it before this
    module was imported: then every request goes through the wrapper)."""
    call = Starlette.__call__
    code = getattr(call, "__code__", None)
    own = code is not None and code.co_name == "__call__" and code.co_filename.endswith(_STARLETTE_SOURCE)
    return call if own else None


_STARLETTE_CALL = _starlettes_own_call()


def _stock(entry: Middleware, cls: type) -> bool:
    """Whether `entry` builds `cls` unchanged (no instrumentation replaced its class or `__call__`)."""
    built: Any = entry.cls
    return built is cls and cls.__call__ is _STOCK_CALLS[cls]


_STOCK_CALLS: dict[type, Any] = {
    ServerErrorMiddleware: ServerErrorMiddleware.__call__,
    ExceptionMiddleware: ExceptionMiddleware.__call__,
}

_DEFAULT_HANDLERS = (
    http_exception_handler,
    request_validation_exception_handler,
    websocket_request_validation_exception_handler,
)


def _answer_foreign_exceptions(handlers: dict[Any, Any]) -> None:
    """Real-FastAPI exception classes (an extension that imports `fastapi` itself raises them, or
    registers handlers for them) are answered as their ferroapi counterparts are."""
    for foreign in [key for key in handlers if counterpart_exception(key) is not None]:
        ours = counterpart_exception(foreign)
        if handlers.get(ours) in (None, *_DEFAULT_HANDLERS):  # the app's own choice beats a default
            handlers[ours] = handlers[foreign]
    for foreign in foreign_exception_classes():
        ours = counterpart_exception(foreign)
        # What starlette's lookup would pick for an instance of the counterpart (its MRO, in order).
        handler = next((handlers[cls] for cls in ours.__mro__ if cls in handlers), None)
        if handler is not None:
            handlers.setdefault(foreign, handler)


# FastAPI's name: `from ferroapi import FastAPI` keeps renamed imports working.
FastAPI = FerroAPI


# FastAPI's names from the OpenAPI modules, which `import ferroapi` does not load (the document
# generator alone is tens of milliseconds): resolved on first access.
_FROM_OPENAPI = {
    "get_openapi": "ferroapi.openapi.utils",
    "get_redoc_html": "ferroapi.openapi.docs",
    "get_swagger_ui_html": "ferroapi.openapi.docs",
    "get_swagger_ui_oauth2_redirect_html": "ferroapi.openapi.docs",
}


def __getattr__(name: str) -> Any:
    module_name = _FROM_OPENAPI.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(importlib.import_module(module_name), name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_OPENAPI})
