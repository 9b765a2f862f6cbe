"""FastAPI 0.165's telemetry API (`fastapi.telemetry._api`): the configuration, the per-request record and
the calls the pipeline makes while a request is observed.

Every pipeline call here starts from the request's `_RequestTelemetry`, found in the OpenTelemetry
context (or the scope). ferroapi's pipeline only makes these calls once a request of this process was
observed (`TELEMETRY_SEEN`): until then, a request pays nothing for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from time import time_ns
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber
from opentelemetry.context import Context
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

# The semantic conventions' well-known methods; others are reported as `_OTHER`.
_HTTP_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
# Where the request's record lives in the scope: integrations (and mounted apps) read it there.
SCOPE_KEY = "fastapi.telemetry"


class TelemetryConfig(TypedDict, total=False):
    """`FerroAPI(telemetry={...})`: FastAPI's settings, each optional.

    - `tracer_provider`, `meter_provider`, `logger_provider`: used instead of the global providers
      (never shut down by the app);
    - `tracing`, `metrics`, `logs`: HTTP/WebSocket server spans, HTTP server metrics, logs of
      validation failures and unhandled exceptions (each on by default);
    - `operation_spans`: spans for dependency resolution, the endpoint, serialization and background
      tasks (on by default);
    - `auto_configure`: add OTLP exporters from the `OTEL_*` environment variables at startup
      (default: whether `FASTAPI_OTEL_AUTO_CONFIGURE` is `true`);
    - `exclude`: called with the ASGI scope; `True` skips telemetry for that request or connection.
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
    """FastAPI's defaults: everything on, through the global providers; environment export only with
    `FASTAPI_OTEL_AUTO_CONFIGURE=true` (read when the app is created)."""
    return {
        "tracer_provider": None,
        "meter_provider": None,
        "logger_provider": None,
        "tracing": True,
        "metrics": True,
        "logs": True,
        "operation_spans": True,
        "auto_configure": os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true",
        "exclude": None,
    }


@dataclass(kw_only=True)
class TelemetryData:
    """What a synchronous span or log processor may read about the request or connection being
    served (`get_telemetry_data()`): filled in as the request goes on, read-only for integrations,
    which apply their own capture and redaction rules before exporting any of it."""

    request: Request | None = None  # once the route's handler starts
    websocket: WebSocket | None = None  # once the WebSocket route's handler starts
    body: Any = None  # the body as read, before parameter validation
    values: dict[str, Any] | None = None  # the solved arguments, after dependency resolution
    errors: Sequence[Any] | None = None  # validation errors, with the invalid inputs


@dataclass(kw_only=True)
class _RequestTelemetry:
    """One observed request or connection (FastAPI's record, its field names: integrations read it
    from `scope["fastapi.telemetry"]`)."""

    span: Span | None
    span_method: str
    tracer: Tracer | None = None  # set when operation spans are on
    logger: Logger | None = None  # set when logs are on
    route: str | None = None
    status_code: int | None = None
    data: TelemetryData | None = field(default_factory=TelemetryData)
    _mount_prefix: str = ""
    _exceptions: list[BaseException] = field(default_factory=list, repr=False)


_REQUEST_TELEMETRY_KEY = otel_context.create_key("fastapi.request")
_NO_OPERATION: AbstractContextManager[None] = nullcontext()


class _Seen:
    """Whether a request of this process was observed yet. Until it is, the pipeline skips every
    telemetry call (no context lookup per step); the first observed request flips it for good."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = False


TELEMETRY_SEEN = _Seen()


def _get_request_telemetry(context: Context | None = None) -> _RequestTelemetry | None:
    value = otel_context.get_value(_REQUEST_TELEMETRY_KEY, context)
    return value if isinstance(value, _RequestTelemetry) else None


def get_telemetry_data(context: Context | None = None) -> TelemetryData | None:
    """The data of the request or connection being served, from an OpenTelemetry context (default: the
    current one; a log processor passes `record.context`). None outside a request, and once the
    request is over, also for a context kept from it. The data is not exported by itself."""
    request_telemetry = _get_request_telemetry(context)
    return None if request_telemetry is None else request_telemetry.data


def _validation_failed(exc: RequestValidationError | WebSocketRequestValidationError) -> None:
    """Record the errors in the request's data and log `fastapi.validation.failed` (a WARN)."""
    request_telemetry = _get_request_telemetry()
    if request_telemetry is None:
        return
    errors = exc.errors()
    data = request_telemetry.data
    if data is not None:
        if isinstance(exc, RequestValidationError):
            data.body = exc.body
        data.errors = errors
    if request_telemetry.logger is None:
        return
    attributes: dict[str, Any] = {"fastapi.validation.error_count": len(errors)}
    if request_telemetry.route is not None:
        attributes["http.route"] = request_telemetry.route
    request_telemetry.logger.emit(
        event_name="fastapi.validation.failed",
        timestamp=time_ns(),
        severity_number=SeverityNumber.WARN,
        severity_text="WARN",
        body="Request validation failed",
        attributes=attributes,
    )


def _exception_type(exc: BaseException) -> str:
    """`error.type`: the class's qualified name, with its module unless it is a builtin. ferroapi's
    own classes are FastAPI's by contract and carry FastAPI's module name, so error types group the
    same on both (`fastapi.exceptions.HTTPException`)."""
    cls = type(exc)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    if module.startswith("ferroapi."):
        module = "fastapi." + module.removeprefix("ferroapi.")
    return f"{module}.{cls.__qualname__}"


def _normal_websocket_disconnect(exc: BaseException) -> bool:
    """A client closing normally (1000) or going away (1001) is no error."""
    return isinstance(exc, WebSocketDisconnect) and exc.code in (1000, 1001)


# Exceptions the app answers (a status, a close code): not errors of the operation that raised them.
_ANSWERED = (HTTPException, RequestValidationError, WebSocketException, WebSocketRequestValidationError)


def _operation(*, name: str, function: Callable[..., Any] | None = None) -> AbstractContextManager[None]:
    """A `fastapi.<name>` span around one step of the request, when operation spans are on."""
    request_telemetry = _get_request_telemetry()
    if request_telemetry is None or request_telemetry.tracer is None:
        return _NO_OPERATION
    return _traced_operation(request_telemetry=request_telemetry, name=name, function=function)


def _function_name(function: Callable[..., Any]) -> str:
    module = getattr(function, "__module__", type(function).__module__)
    qualname = getattr(function, "__qualname__", type(function).__qualname__)
    return f"{module}.{qualname}"


@contextmanager
def _traced_operation(
    *, request_telemetry: _RequestTelemetry, name: str, function: Callable[..., Any] | None
) -> Iterator[None]:
    tracer = request_telemetry.tracer
    assert tracer is not None
    attributes = {} if function is None else {"code.function.name": _function_name(function)}
    with tracer.start_as_current_span(
        f"fastapi.{name}", attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield
        except Exception as exc:
            # A background task has nobody to answer for it: any exception is its failure.
            if name == "background_task" or not (
                isinstance(exc, _ANSWERED) or _normal_websocket_disconnect(exc)
            ):
                span.set_attribute("error.type", _exception_type(exc))
                span.set_status(StatusCode.ERROR)
            raise


def _run_sync_endpoint(*, function: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """A plain-function endpoint in its worker thread, inside its `fastapi.endpoint` span."""
    with _operation(name="endpoint", function=function):
        return function(**arguments)


def _route_selected(*, scope: MutableMapping[str, Any], path: str | None, mount: bool = False) -> None:
    """The router chose a route (or a mount) whose template is `path`: `http.route` and the span name
    follow it. A mount contributes its prefix; what the mounted app chooses completes the template."""
    request_telemetry = scope.get(SCOPE_KEY)
    if not isinstance(request_telemetry, _RequestTelemetry) or path is None:
        return
    if mount:
        prefix = path.removesuffix("/{path}")  # a Mount's template ends in /{path}
        request_telemetry._mount_prefix += prefix
        route = request_telemetry._mount_prefix + "/{path}"
    else:
        route = request_telemetry._mount_prefix + path
    request_telemetry.route = route
    span = request_telemetry.span
    if span is not None:
        span.set_attribute("http.route", route)
        span.update_name(f"{request_telemetry.span_method} {route}")


# The API's stand-ins while no provider is set (Python's API has no public "is configured" query).
# Only these exact classes count as unconfigured: never an SDK provider, nor a vendor's proxy.
_DEFERRED_PROVIDERS = frozenset(
    {
        ("opentelemetry.trace", "ProxyTracerProvider"),
        ("opentelemetry.metrics._internal", "_ProxyMeterProvider"),
        ("opentelemetry._logs._internal", "ProxyLoggerProvider"),
    }
)


def _unconfigured(provider: Any) -> bool:
    cls = type(provider)
    return (cls.__module__, cls.__name__) in _DEFERRED_PROVIDERS
