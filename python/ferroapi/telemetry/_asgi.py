"""The server side of FastAPI's telemetry (`fastapi.telemetry._asgi`): one HTTP request or WebSocket
connection observed from the app's entry to its last byte.

`NativeTelemetry` opens the server span (context extracted from the incoming headers), counts the
request in `http.server.active_requests`, publishes the request's record in the scope and the
OpenTelemetry context, and closes everything exactly once: when the last body (or trailers) message
is sent, when the app raises, or when the app returns without completing the response (the client
left, or the app never answered). `http.server.request.duration` is recorded then, with the route
template the router chose.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from time import perf_counter, time_ns
from typing import Any

from opentelemetry import _logs, metrics, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry._logs import SeverityNumber
from opentelemetry.metrics import Histogram, UpDownCounter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferroapi._alias import FASTAPI_VERSION
from ferroapi.telemetry._api import (
    _HTTP_METHODS,
    _REQUEST_TELEMETRY_KEY,
    SCOPE_KEY,
    TelemetryConfig,
    _exception_type,
    _normal_websocket_disconnect,
    _RequestTelemetry,
    _unconfigured,
)
from ferroapi.telemetry._attributes import _SENSITIVE_QUERY_PARAMETERS as _SENSITIVE_QUERY_PARAMETERS
from ferroapi.telemetry._attributes import HEADERS_GETTER, redacted_query, server_attributes
from ferroapi.telemetry._attributes import _HeadersGetter as _HeadersGetter

__all__ = ["ExceptionTelemetryMiddleware", "NativeTelemetry"]

# The instrumentation scope: FastAPI's name and version, so backends group ferroapi's telemetry with
# the FastAPI app it replaces.
SCOPE_NAME = "fastapi"
SCOPE_VERSION = FASTAPI_VERSION
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
# FastAPI's names for these.
_SCHEMA_URL = SCHEMA_URL
_HEADERS_GETTER = HEADERS_GETTER
_server_attributes = server_attributes
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def _legacy_otel(stack: Any) -> bool:
    """Whether opentelemetry-instrumentation-asgi's middleware wraps the built stack (the FastAPI
    instrumentor's `instrument_app`): it then owns the server spans, metrics and logs."""
    # The built stack tells, not the instrumentor's flag: that flag is also set when its patch of the
    # stack failed, or came after the stack was built.
    seen: set[int] = set()
    while stack is not None and id(stack) not in seen:
        seen.add(id(stack))
        cls = type(stack)
        if (
            cls.__module__ == "opentelemetry.instrumentation.asgi"
            and cls.__name__ == "OpenTelemetryMiddleware"
        ):
            return True
        stack = getattr(stack, "app", None)
    return False


def _exception(*, scope: Scope, exc: BaseException) -> None:
    """An exception no handler answered: remembered for `error.type`, logged once (an ERROR record
    with the exception) when logs are on. A WebSocket client leaving normally is no exception."""
    websocket = scope["type"] == "websocket"
    if websocket and _normal_websocket_disconnect(exc):
        return
    request_telemetry = scope.get(SCOPE_KEY)
    if not isinstance(request_telemetry, _RequestTelemetry):
        return
    seen = request_telemetry._exceptions
    if any(previous is exc for previous in seen):
        return
    seen.append(exc)
    if request_telemetry.logger is None or not isinstance(exc, Exception):
        return
    route = request_telemetry.route
    request_telemetry.logger.emit(
        exception=exc,
        event_name="fastapi.websocket.exception" if websocket else "http.server.request.exception",
        timestamp=time_ns(),
        severity_number=SeverityNumber.ERROR,
        severity_text="ERROR",
        body="Unhandled exception in FastAPI WebSocket connection"
        if websocket
        else "Unhandled exception in FastAPI request",
        attributes={"http.route": route} if route else None,
    )


class ExceptionTelemetryMiddleware:
    """Sees the exceptions no handler answered before the server-error layer answers them with a 500
    (so the response's telemetry already knows its error)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            _exception(scope=scope, exc=exc)
            raise


def _known_methods() -> frozenset[str]:
    listed = os.getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "").strip()
    if not listed:
        return _HTTP_METHODS
    return frozenset(method.strip() for method in listed.split(",") if method.strip())


def _in_use(explicit: Any, current: Any, noop: type) -> bool:
    """Whether a signal's provider records anything: an explicit provider unless it is the API's
    no-op; the global one once something configured it."""
    provider = explicit if explicit is not None else current
    if explicit is None and _unconfigured(provider):
        return False
    return not isinstance(provider, noop)


class NativeTelemetry:
    """The telemetry of one app (`FerroAPI(telemetry=...)`), called for each observed request."""

    def __init__(self, config: TelemetryConfig) -> None:
        self.config = config
        self._known_methods = _known_methods()
        self._meter_provider: Any = None
        self._duration: Histogram | None = None
        self._active: UpDownCounter | None = None
        self._tracer_provider: Any = None
        self._tracer: trace.Tracer | None = None

    def enabled(self) -> bool:
        """Whether any enabled signal has a provider to report to (FastAPI's per-request test)."""
        config = self.config
        if config["tracing"] and (
            config["tracer_provider"] is not None or not _unconfigured(trace.get_tracer_provider())
        ):
            return True
        if config["metrics"] and (
            config["meter_provider"] is not None or not _unconfigured(metrics.get_meter_provider())
        ):
            return True
        return bool(
            config["logs"]
            and (config["logger_provider"] is not None or not _unconfigured(_logs.get_logger_provider()))
        )

    def _instruments(self) -> tuple[Histogram, UpDownCounter]:
        """The two HTTP server instruments, created once per meter provider."""
        provider = self.config["meter_provider"] or metrics.get_meter_provider()
        if provider is not self._meter_provider or self._duration is None or self._active is None:
            meter = provider.get_meter(SCOPE_NAME, SCOPE_VERSION, schema_url=SCHEMA_URL)
            self._duration = meter.create_histogram(
                "http.server.request.duration",
                unit="s",
                description="Duration of HTTP server requests.",
                explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
            )
            self._active = meter.create_up_down_counter(
                "http.server.active_requests",
                unit="{request}",
                description="Number of active HTTP server requests.",
            )
            self._meter_provider = provider
        return self._duration, self._active

    def _get_tracer(self, provider: Any) -> trace.Tracer:
        """One tracer per provider (looking it up per request would defeat the SDK's warning dedup)."""
        if provider is not self._tracer_provider or self._tracer is None:
            self._tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION, schema_url=SCHEMA_URL)
            self._tracer_provider = provider
        return self._tracer

    async def __call__(
        self, *, app: ASGIApp, scope: Scope, receive: Receive, send: Send, legacy_otel: bool = False
    ) -> None:
        config = self.config
        exclude = config["exclude"]
        if exclude is not None and exclude(scope):
            await _excluded(app, scope, receive, send)
            return
        websocket = scope["type"] == "websocket"
        tracer_provider = config["tracer_provider"] or trace.get_tracer_provider()
        tracing = (
            config["tracing"]
            and not legacy_otel
            and _in_use(config["tracer_provider"], tracer_provider, trace.NoOpTracerProvider)
        )
        metering = (
            config["metrics"]
            and not legacy_otel
            and not websocket
            and _in_use(config["meter_provider"], metrics.get_meter_provider(), metrics.NoOpMeterProvider)
        )
        logging = (
            config["logs"]
            and not legacy_otel
            and _in_use(config["logger_provider"], _logs.get_logger_provider(), _logs.NoOpLoggerProvider)
        )
        if not (tracing or metering or logging):
            await app(scope, receive, send)
            return
        observed = _Observed(
            self, scope, tracer_provider if tracing else None, metering=metering, logging=logging
        )
        await observed.run(app, receive, send)


async def _excluded(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """An excluded request: no telemetry, and none inherited by an app mounted below this one, nor
    by an in-process request made while serving it (`None` hides an outer request's record)."""
    scope[SCOPE_KEY] = None
    token = otel_context.attach(otel_context.set_value(_REQUEST_TELEMETRY_KEY, None))
    try:
        await app(scope, receive, send)
    finally:
        otel_context.detach(token)
        scope.pop(SCOPE_KEY, None)


class _Observed:
    """One observed request: its span, instruments and record, finished exactly once."""

    def __init__(
        self,
        telemetry: NativeTelemetry,
        scope: Scope,
        tracer_provider: Any,
        *,
        metering: bool,
        logging: bool,
    ) -> None:
        config = telemetry.config
        self.scope = scope
        self.websocket = websocket = scope["type"] == "websocket"
        original_method = scope.get("method", "")
        method = original_method if original_method in telemetry._known_methods else "_OTHER"
        span_method = "WS" if websocket else "HTTP" if method == "_OTHER" else method
        attributes: dict[str, Any] = {"url.scheme": scope.get("scheme", "ws" if websocket else "http")}
        if websocket:
            attributes["network.protocol.name"] = "websocket"
        else:
            attributes["http.request.method"] = method
            if scope.get("http_version"):
                attributes["network.protocol.version"] = scope["http_version"]
        self.attributes = attributes
        # The active-requests counter is not split by protocol version (its attributes at +1 and -1
        # must be the same).
        self.active_attributes = {k: v for k, v in attributes.items() if k != "network.protocol.version"}
        self.duration: Histogram | None = None
        self.active: UpDownCounter | None = None
        if metering:
            self.duration, self.active = telemetry._instruments()
            self.active.add(1, self.active_attributes)
        self.started = perf_counter()
        self.parent_token: object | None = None
        span = tracer = None
        if tracer_provider is not None:
            parent = propagate.extract(Headers(scope=scope), getter=HEADERS_GETTER)
            self.parent_token = otel_context.attach(parent)
            tracer = telemetry._get_tracer(tracer_provider)
            span = tracer.start_span(
                span_method,
                context=parent,
                kind=SpanKind.SERVER,
                attributes=self._span_attributes(scope, original_method, method),
            )
        self.span = span
        logger = (
            _logs.get_logger(SCOPE_NAME, SCOPE_VERSION, config["logger_provider"], schema_url=SCHEMA_URL)
            if logging
            else None
        )
        root = scope.get("app_root_path", scope.get("root_path", ""))
        self.record = _RequestTelemetry(
            span=span,
            span_method=span_method,
            tracer=tracer if config["operation_spans"] else None,
            logger=logger,
            _mount_prefix=root.rstrip("/"),
        )
        self.finished = False
        self.trailers = False
        self.disconnected = False

    def _span_attributes(self, scope: Scope, original_method: str, method: str) -> dict[str, Any]:
        attributes = {**self.attributes, **server_attributes(scope)}
        if not self.websocket:
            attributes["url.path"] = scope["path"]
            if scope.get("query_string"):
                attributes["url.query"] = redacted_query(scope["query_string"])
            if original_method != method:
                attributes["http.request.method_original"] = original_method
        return attributes

    async def run(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        scope, record = self.scope, self.record
        scope[SCOPE_KEY] = record
        token = otel_context.attach(otel_context.set_value(_REQUEST_TELEMETRY_KEY, record))
        try:
            with self._current_span():
                try:
                    if self.websocket:
                        await app(scope, receive, send)
                    else:
                        await app(scope, self._receive(receive), self._send(send))
                except BaseException as exc:
                    _exception(scope=scope, exc=exc)
                    normal = self.websocket and _normal_websocket_disconnect(exc)
                    self.finish(None if normal else exc)
                    raise
                finally:
                    if not self.finished:
                        self.finish(self._unfinished())
        finally:
            record.data = None  # retained contexts must not keep the request alive
            record._exceptions.clear()
            otel_context.detach(token)
            scope.pop(SCOPE_KEY, None)
            if self.parent_token is not None:
                otel_context.detach(self.parent_token)  # type: ignore[arg-type]

    def _unfinished(self) -> BaseException | None:
        """Why a response that the app returned from was never completed."""
        if self.websocket:
            return None  # the connection's end is its end
        if self.disconnected:
            return ConnectionError("Client disconnected")
        return RuntimeError("Incomplete ASGI response")

    @contextmanager
    def _current_span(self) -> Iterator[None]:
        span = self.span
        if span is None:
            with nullcontext():
                yield
            return
        with trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
            yield

    def _send(self, send: Send) -> Send:
        async def observed_send(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                self.record.status_code = message["status"]
                self.trailers = message.get("trailers", False)
            await send(message)
            if (
                (kind == "http.response.body" and not message.get("more_body", False) and not self.trailers)
                or (kind == "http.response.trailers" and not message.get("more_trailers", False))
                or kind == "http.response.pathsend"
            ):
                self.finish()

        return observed_send

    def _receive(self, receive: Receive) -> Receive:
        async def observed_receive() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
            return message

        return observed_receive

    def finish(self, error: BaseException | None = None) -> None:
        """Close the span and record the duration: the first call wins."""
        if self.finished:
            return
        self.finished = True
        record, attributes = self.record, self.attributes
        if record.route is not None:
            attributes["http.route"] = record.route
        status = record.status_code
        if status is not None:
            attributes["http.response.status_code"] = status
        failed = error is not None or (not self.websocket and (status is None or status >= 500))
        if failed:
            errors = record._exceptions
            failure = error or (errors[-1] if errors else None)
            attributes["error.type"] = (
                _exception_type(failure) if failure else str(status or "incomplete_response")
            )
        span = self.span
        if span is not None:
            span.set_attributes(attributes)
            if failed:
                span.set_status(StatusCode.ERROR)
        # Recorded while the span is current, so exemplars can point at it.
        if self.duration is not None:
            self.duration.record(max(0.0, perf_counter() - self.started), attributes)
        if self.active is not None:
            self.active.add(-1, self.active_attributes)
        if span is not None:
            span.end()
