"""The telemetry API FastAPI 0.165 keeps in `fastapi.telemetry._api`: the settings, the data processors
may read, the record of one observed request, and the calls ferroapi's pipeline makes while serving it.

A pipeline call finds the request's record (`_RequestTelemetry`) in the OpenTelemetry context, or in
the scope under `SCOPE_KEY`. The pipeline makes none of these calls until some request of the process
was observed (`TELEMETRY_SEEN`), so an application without telemetry never pays for a lookup.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import Token
from dataclasses import dataclass, field
from time import time_ns
from typing import Any

from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber
from opentelemetry.context import Context, attach, create_key, detach, get_value, set_value
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, StatusCode, Tracer, TracerProvider
from starlette.exceptions import HTTPException, WebSocketException
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketDisconnect
from typing_extensions import TypedDict

from ferroapi.exceptions import RequestValidationError, WebSocketRequestValidationError

__all__ = [
    "SCOPE_KEY",
    "TELEMETRY_SEEN",
    "TelemetryConfig",
    "TelemetryData",
    "get_telemetry_data",
]

# Methods reported by name (the semantic conventions' list); any other is `_OTHER`.
_HTTP_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)

# The scope entry holding the request's record: mounted apps and integrations look for it there.
SCOPE_KEY = "fastapi.telemetry"


class TelemetryConfig(TypedDict, total=False):
    """The mapping given as `FerroAPI(telemetry=...)`; every key may be left out (FastAPI's keys).

    Where to report: `tracer_provider`, `meter_provider` and `logger_provider` replace the global
    providers for this app (which never shuts them down). What to report, each on unless turned off:
    `tracing` (a server span per HTTP request or WebSocket connection), `metrics` (HTTP server
    duration and active requests), `logs` (validation failures, unhandled exceptions),
    `operation_spans` (child spans for dependencies, the endpoint, serialization and background
    tasks). `auto_configure` adds OTLP exporters named by `OTEL_*` variables when the app starts (off
    unless `FASTAPI_OTEL_AUTO_CONFIGURE=true`). `exclude(scope)` returning True leaves that request
    or connection unobserved.
    """

    tracer_provider: TracerProvider | None
    meter_provider: MeterProvider | None
    logger_provider: LoggerProvider | None
    tracing: bool
    metrics: bool
    logs: bool
    operation_spans: bool
    auto_configure: bool
    exclude: Callable[[MutableMapping[str, Any]], bool] | None


def default_telemetry_config() -> TelemetryConfig:
    """Every setting at FastAPI's default. The environment switch is read now, as the app is built."""
    switch = os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "")
    return TelemetryConfig(
        tracer_provider=None,
        meter_provider=None,
        logger_provider=None,
        tracing=True,
        metrics=True,
        logs=True,
        operation_spans=True,
        auto_configure=switch.lower() == "true",
        exclude=None,
    )


@dataclass(kw_only=True)
class TelemetryData:
    """The request or connection being served, for span and log processors running synchronously
    (`get_telemetry_data()`). Fields fill in as the request goes on. Integrations only read them, and
    apply their own capture and redaction rules before anything is exported."""

    # Filled in when the route's handler starts, for an HTTP route and for a WebSocket route.
    request: Request | None = None
    websocket: WebSocket | None = None
    # The body as received (before any parameter is validated); the arguments once dependencies
    # are solved; the validation errors, with the offending input.
    body: Any = None
    values: dict[str, Any] | None = None
    errors: Sequence[Any] | None = None


@dataclass(kw_only=True)
class _RequestTelemetry:
    """What ferroapi keeps about one observed request or connection. The field names are FastAPI's:
    integrations read this record from `scope["fastapi.telemetry"]`."""

    # The server span, if tracing; the name it starts with (`GET`, `HTTP` for another method, `WS`).
    span: Span | None
    span_method: str
    # Set by the router and by the response.
    status_code: int | None = None
    route: str | None = None
    # Present only while operation spans, respectively logs, are on.
    logger: Logger | None = None
    tracer: Tracer | None = None
    # Emptied once the request is over, so a context kept beyond it holds nothing of it.
    data: TelemetryData | None = field(default_factory=TelemetryData)
    # The routes' template so far when mounts were crossed (with the app's root path).
    _mount_prefix: str = ""
    # The exceptions already recorded for the request (each is logged once).
    _exceptions: list[BaseException] = field(default_factory=list, repr=False)


_REQUEST_TELEMETRY_KEY = create_key("fastapi.request")
_NO_OPERATION: AbstractContextManager[None] = nullcontext()


class _Seen:
    """Flips to True, for good, when the first request of the process is observed; until then the
    pipeline skips its telemetry calls altogether."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = False


TELEMETRY_SEEN = _Seen()


def _publish(scope: MutableMapping[str, Any], record: _RequestTelemetry | None) -> Token[Context]:
    """Make `record` the request's, in the scope and the current context; `None` hides the record of
    an enclosing request. Returns the token `_withdraw` takes."""
    scope[SCOPE_KEY] = record
    return attach(set_value(_REQUEST_TELEMETRY_KEY, record))


def _withdraw(scope: MutableMapping[str, Any], token: Token[Context]) -> None:
    detach(token)
    scope.pop(SCOPE_KEY, None)


def _get_request_telemetry(context: Context | None = None) -> _RequestTelemetry | None:
    found = get_value(_REQUEST_TELEMETRY_KEY, context)
    if isinstance(found, _RequestTelemetry):
        return found
    return None


def get_telemetry_data(context: Context | None = None) -> TelemetryData | None:
    """The data of the request or connection in `context` (the current context by default; a log
    processor passes `record.context`). None outside a request, and after it ended even through a
    context kept from it. Nothing of it is exported unless an integration does so."""
    record = _get_request_telemetry(context)
    if record is None:
        return None
    return record.data


def _log_event(
    logger: Logger,
    event: str,
    severity: SeverityNumber,
    message: str,
    attributes: dict[str, Any] | None,
    exception: BaseException | None = None,
) -> None:
    """One log record of the request (`exception` is passed on only when there is one)."""
    extra: dict[str, Any] = {} if exception is None else {"exception": exception}
    logger.emit(
        body=message,
        attributes=attributes,
        event_name=event,
        severity_text=severity.name,  # "WARN", "ERROR"
        severity_number=severity,
        timestamp=time_ns(),
        **extra,
    )


def _validation_failed(exc: RequestValidationError | WebSocketRequestValidationError) -> None:
    """The request's input failed validation: the errors (and the HTTP body) go to its data, and a
    `fastapi.validation.failed` WARN record is logged."""
    record = _get_request_telemetry()
    if record is None:
        return
    errors = exc.errors()
    data = record.data
    if data is not None:
        data.errors = errors
        if isinstance(exc, RequestValidationError):
            data.body = exc.body
    logger = record.logger
    if logger is None:
        return
    details: dict[str, Any] = {"fastapi.validation.error_count": len(errors)}
    if record.route is not None:
        details["http.route"] = record.route
    _log_event(logger, "fastapi.validation.failed", SeverityNumber.WARN, "Request validation failed", details)


def _exception_type(exc: BaseException) -> str:
    """`error.type`: the class's qualified name, with its module unless it is a builtin. ferroapi's
    own classes are FastAPI's by contract and carry FastAPI's module name, so error types group the
    same on both (`fastapi.exceptions.HTTPException`)."""
    kind = type(exc)
    home = kind.__module__
    if home == "builtins":
        return kind.__qualname__
    if home.startswith("ferroapi."):
        home = "fastapi" + home[len("ferroapi") :]
    return f"{home}.{kind.__qualname__}"


def _normal_websocket_disconnect(exc: BaseException) -> bool:
    """A WebSocket client closing normally (1000) or going away (1001): not a failure."""
    if not isinstance(exc, WebSocketDisconnect):
        return False
    return exc.code == 1000 or exc.code == 1001


# What the app answers itself (with a status or a close code): no failure of the step raising it.
_ANSWERED = (HTTPException, RequestValidationError, WebSocketException, WebSocketRequestValidationError)


def _fails_operation(step: str, exc: BaseException) -> bool:
    if step == "background_task":
        return True  # nobody answers for a background task: whatever it raises is its failure
    return not isinstance(exc, _ANSWERED) and not _normal_websocket_disconnect(exc)


def _code_function_name(function: Callable[..., Any]) -> str:
    kind = type(function)
    module = getattr(function, "__module__", kind.__module__)
    qualified = getattr(function, "__qualname__", kind.__qualname__)
    return f"{module}.{qualified}"


def _operation(*, name: str, function: Callable[..., Any] | None = None) -> AbstractContextManager[None]:
    """The `fastapi.<name>` span of one step of the request (nothing unless operation spans are on)."""
    record = _get_request_telemetry()
    if record is not None and record.tracer is not None:
        return _traced_operation(request_telemetry=record, name=name, function=function)
    return _NO_OPERATION


@contextmanager
def _traced_operation(
    *, request_telemetry: _RequestTelemetry, name: str, function: Callable[..., Any] | None
) -> Iterator[None]:
    tracer = request_telemetry.tracer
    assert tracer is not None
    attributes: dict[str, Any] = {}
    if function is not None:
        attributes["code.function.name"] = _code_function_name(function)
    with tracer.start_as_current_span(
        "fastapi." + name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield
        except Exception as failure:
            if _fails_operation(name, failure):
                span.set_attribute("error.type", _exception_type(failure))
                span.set_status(StatusCode.ERROR)
            raise


def _run_sync_endpoint(*, function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """A plain-function endpoint called in its worker thread, inside its `fastapi.endpoint` span."""
    span = _operation(name="endpoint", function=function)
    with span:
        return function(**arguments)


def _route_selected(*, scope: MutableMapping[str, Any], path: str | None, mount: bool = False) -> None:
    """The router chose a route (or a mount) whose template is `path`: `http.route` and the span's
    name follow. A mount adds its prefix, and the mounted app's choice completes the template."""
    if path is None:
        return
    record = scope.get(SCOPE_KEY)
    if not isinstance(record, _RequestTelemetry):
        return
    if mount:
        # A Mount's template is its prefix followed by `/{path}`.
        record._mount_prefix = record._mount_prefix + path.removesuffix("/{path}")
        template = f"{record._mount_prefix}/{{path}}"
    else:
        template = record._mount_prefix + path
    record.route = template
    if record.span is None:
        return
    record.span.set_attribute("http.route", template)
    record.span.update_name(record.span_method + " " + template)


# The API's placeholders while no provider is set (it offers no public "is it configured" test). Only
# these very classes mean unconfigured: an SDK provider or a vendor's proxy never does.
_PLACEHOLDER_PROVIDERS = {
    "opentelemetry.trace": "ProxyTracerProvider",
    "opentelemetry.metrics._internal": "_ProxyMeterProvider",
    "opentelemetry._logs._internal": "ProxyLoggerProvider",
}
_DEFERRED_PROVIDERS = frozenset(_PLACEHOLDER_PROVIDERS.items())


def _unconfigured(provider: Any) -> bool:
    kind = type(provider)
    return (kind.__module__, kind.__name__) in _DEFERRED_PROVIDERS
