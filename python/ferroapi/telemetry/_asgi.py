"""The server side of FastAPI's telemetry (`fastapi.telemetry._asgi`): the app's entry into it.

`NativeTelemetry` decides, per request or connection, which signals report anywhere and hands the
request to an `ObservedRequest` (`_observed_request`) with the tracer and instruments of this app,
kept per provider. An excluded request runs with no record, hiding an enclosing request's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from opentelemetry import _logs, metrics, trace
from opentelemetry.trace import Tracer
from starlette.datastructures import Headers as Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as Message

from ferroapi._alias import FASTAPI_VERSION
from ferroapi.telemetry._api import _HTTP_METHODS, TelemetryConfig, _publish, _unconfigured, _withdraw
from ferroapi.telemetry._api import _REQUEST_TELEMETRY_KEY as _REQUEST_TELEMETRY_KEY
from ferroapi.telemetry._api import _exception_type as _exception_type
from ferroapi.telemetry._api import _normal_websocket_disconnect as _normal_websocket_disconnect
from ferroapi.telemetry._api import _RequestTelemetry as _RequestTelemetry
from ferroapi.telemetry._attributes import _SENSITIVE_QUERY_PARAMETERS as _SENSITIVE_QUERY_PARAMETERS
from ferroapi.telemetry._attributes import HEADERS_GETTER, server_attributes
from ferroapi.telemetry._attributes import _HeadersGetter as _HeadersGetter
from ferroapi.telemetry._observed_request import ObservedRequest, ServerInstruments, _exception

__all__ = ["ExceptionTelemetryMiddleware", "NativeTelemetry", "_exception"]

# The instrumentation scope bears FastAPI's name and version: backends group ferroapi's telemetry with
# the FastAPI app it stands in for.
SCOPE_NAME = "fastapi"
SCOPE_VERSION = FASTAPI_VERSION
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

# FastAPI's own names for some of the above (its tests and integrations may look for them here).
_SCHEMA_URL = SCHEMA_URL
_HEADERS_GETTER = HEADERS_GETTER
_server_attributes = server_attributes

# The HTTP server instruments of the semantic conventions: name, then the creation's keywords.
_REQUEST_DURATION: tuple[str, dict[str, Any]] = (
    "http.server.request.duration",
    {
        "unit": "s",
        "description": "Duration of HTTP server requests.",
        "explicit_bucket_boundaries_advisory": _DURATION_BUCKETS,
    },
)
_ACTIVE_REQUESTS: tuple[str, dict[str, Any]] = (
    "http.server.active_requests",
    {"unit": "{request}", "description": "Number of active HTTP server requests."},
)

# opentelemetry-instrumentation-asgi's middleware: in the built stack, it owns the server telemetry.
_CONTRIB_MIDDLEWARE = ("opentelemetry.instrumentation.asgi", "OpenTelemetryMiddleware")


def _legacy_otel(stack: Any) -> bool:
    """Whether the contrib FastAPI instrumentor's `instrument_app` wrapped the built stack (walked
    through each layer's `.app`, each layer once). Asked of the stack, not of the instrumentor's
    flag: that is also set when its patch failed, or came once the stack was already built."""
    visited: set[int] = set()
    layer = stack
    while layer is not None:
        key = id(layer)
        if key in visited:
            break
        visited.add(key)
        kind = type(layer)
        if (kind.__module__, kind.__name__) == _CONTRIB_MIDDLEWARE:
            return True
        layer = getattr(layer, "app", None)
    return False


class ExceptionTelemetryMiddleware:
    """Records the exceptions no handler answered before the server-error layer turns them into a
    500, so the response's telemetry knows its error. (ferroapi's stack calls `_exception` at that
    point itself; this class is FastAPI's, for an app that adds it.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app  # `.app`: how `_legacy_otel` walks a stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as unanswered:
            _exception(scope=scope, exc=unanswered)
            raise


def _known_methods() -> frozenset[str]:
    """`OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS` (comma-separated) replaces the default methods."""
    listed = os.getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "").strip()
    if not listed:
        return _HTTP_METHODS
    names = (part.strip() for part in listed.split(","))
    return frozenset(name for name in names if name)


def _reports_to(explicit: Any, get_global: Callable[[], Any]) -> bool:
    """Whether a switched-on signal has somewhere to report: the app's provider, or a global one that
    something configured."""
    return explicit is not None or not _unconfigured(get_global())


def _recording_provider(on: bool, explicit: Any, get_global: Callable[[], Any], no_op: type) -> Any:
    """The provider a signal reports to for this request, or None: the signal is off, its provider
    is the API's no-op, or there is only the global placeholder."""
    if not on:
        return None
    provider = explicit or get_global()
    if isinstance(provider, no_op) or (explicit is None and _unconfigured(provider)):
        return None
    return provider


_T = TypeVar("_T")


class _PerProvider(Generic[_T]):
    """What `make` returned for the provider last asked about, made again when the provider changes.
    Tracers and instruments are made once per provider: the SDK deduplicates its warnings by them."""

    __slots__ = ("_last", "_make")

    def __init__(self, make: Callable[[Any], _T]) -> None:
        self._make = make
        self._last: tuple[Any, _T] | None = None

    def __call__(self, provider: Any) -> _T:
        last = self._last
        if last is None or last[0] is not provider:
            last = self._last = (provider, self._make(provider))
        return last[1]


def _tracer_of(provider: Any) -> Tracer:
    tracer: Tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION, schema_url=SCHEMA_URL)
    return tracer


def _server_instruments_of(provider: Any) -> ServerInstruments:
    meter = provider.get_meter(SCOPE_NAME, SCOPE_VERSION, schema_url=SCHEMA_URL)
    duration_name, duration_options = _REQUEST_DURATION
    active_name, active_options = _ACTIVE_REQUESTS
    return (
        meter.create_histogram(duration_name, **duration_options),
        meter.create_up_down_counter(active_name, **active_options),
    )


async def _excluded(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """An excluded request: observed by nobody, neither by an app mounted below this one nor by an
    in-process request made while serving it (`None` stands in the record's place)."""
    token = _publish(scope, None)
    try:
        await app(scope, receive, send)
    finally:
        _withdraw(scope, token)


class NativeTelemetry:
    """The telemetry of one app (`FerroAPI(telemetry=...)`), called for each request it observes."""

    def __init__(self, config: TelemetryConfig) -> None:
        self.config = config
        self._known_methods = _known_methods()
        self._tracers = _PerProvider(_tracer_of)
        self._server_instruments = _PerProvider(_server_instruments_of)

    def enabled(self) -> bool:
        """Whether any switched-on signal reports somewhere (FastAPI's test, made per request)."""
        config = self.config
        if config["tracing"] and _reports_to(config["tracer_provider"], trace.get_tracer_provider):
            return True
        if config["metrics"] and _reports_to(config["meter_provider"], metrics.get_meter_provider):
            return True
        return bool(config["logs"]) and _reports_to(config["logger_provider"], _logs.get_logger_provider)

    async def __call__(
        self, *, app: ASGIApp, scope: Scope, receive: Receive, send: Send, legacy_otel: bool = False
    ) -> None:
        config = self.config
        exclude = config["exclude"]
        if exclude is not None and exclude(scope):
            await _excluded(app, scope, receive, send)
            return
        if legacy_otel:  # the contrib middleware reports this request itself
            await app(scope, receive, send)
            return
        log_to = _recording_provider(
            config["logs"], config["logger_provider"], _logs.get_logger_provider, _logs.NoOpLoggerProvider
        )
        trace_to = _recording_provider(
            config["tracing"], config["tracer_provider"], trace.get_tracer_provider, trace.NoOpTracerProvider
        )
        meter_to = _recording_provider(
            config["metrics"] and scope["type"] != "websocket",  # no HTTP metrics for a WebSocket
            config["meter_provider"],
            metrics.get_meter_provider,
            metrics.NoOpMeterProvider,
        )
        if log_to is None and trace_to is None and meter_to is None:
            await app(scope, receive, send)
            return
        instruments = None if meter_to is None else self._server_instruments(meter_to)
        tracer = None if trace_to is None else self._tracers(trace_to)
        logger = None
        if log_to is not None:
            logger = _logs.get_logger(
                SCOPE_NAME, SCOPE_VERSION, config["logger_provider"], schema_url=SCHEMA_URL
            )
        observed = ObservedRequest(
            scope,
            known_methods=self._known_methods,
            instruments=instruments,
            tracer=tracer,
            logger=logger,
            operation_spans=config["operation_spans"],
        )
        await observed.run(app, receive, send)
