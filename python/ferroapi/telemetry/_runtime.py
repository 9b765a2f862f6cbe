"""Export configured from the environment (`fastapi.telemetry._runtime`): `auto_configure` /
`FASTAPI_OTEL_AUTO_CONFIGURE=true` add OTLP (http/protobuf) exporters at lifespan startup.

Existing providers and their exporters are kept: where a global provider is still unset, an SDK
provider is created for it (and owned); where one is set (or passed in `telemetry=`), an exporter is
added to it (and only the exporter is owned). Each provider gets ferroapi's exporter once per process.
What is owned is flushed off the event loop when a lifespan ends, and shut down at interpreter exit;
a provider the application passed in is never shut down. The SDK and the exporter are imported only
here, and only when an endpoint is configured (the `ferroapi[opentelemetry]` extra).
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from anyio.to_thread import run_sync
from opentelemetry import _logs, metrics, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferroapi.exceptions import FastAPIError
from ferroapi.logger import logger
from ferroapi.telemetry._api import TelemetryConfig, _unconfigured

__all__ = ["lifespan"]

_lock = threading.RLock()
# Exporter components and providers created here (flushed at lifespan end, shut down at exit).
_owned: list[Any] = []
# (signal, provider) pairs that already received an exporter from here.
_configured: list[tuple[str, Any]] = []

_SIGNALS = ("TRACES", "METRICS", "LOGS")
_PROVIDER_NAMES = {"TRACES": "tracer", "METRICS": "meter", "LOGS": "logger"}
_OPT_OUT = "pass telemetry={'auto_configure': False} to FastAPI()"


def _flush() -> None:
    for component in tuple(_owned):
        try:
            component.force_flush()
        except Exception:
            logger.exception("FastAPI telemetry cleanup failed")


def _shutdown() -> None:
    with _lock:
        owned = tuple(_owned)
        _owned.clear()
    for component in owned:
        try:
            component.shutdown()
        except Exception:
            logger.exception("FastAPI telemetry cleanup failed")


atexit.register(_shutdown)


def _export_endpoint(signal: str) -> str | None:
    """The OTLP endpoint of one signal from the standard variables; None when it exports nowhere."""
    exporter = (os.getenv(f"OTEL_{signal}_EXPORTER") or "otlp").strip().lower()
    endpoint = os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if not endpoint:
        base = os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
        endpoint = f"{base.removesuffix('/')}/v1/{signal.lower()}" if base else None
    if not endpoint or exporter == "none":
        return None
    if exporter != "otlp":
        raise FastAPIError(
            f"FastAPI automatic telemetry supports OTEL_{signal}_EXPORTER=otlp or none. "
            f"Configure other exporters explicitly and {_OPT_OUT}."
        )
    protocol = (
        os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or os.getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol != "http/protobuf":
        raise FastAPIError(
            "FastAPI automatic telemetry requires the OTLP http/protobuf protocol. "
            f"Configure other transports explicitly and {_OPT_OUT}."
        )
    parsed = urlsplit(endpoint)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise FastAPIError(f"Invalid OTLP {signal.lower()} endpoint. Use an absolute HTTP or HTTPS URL.")
    return endpoint


def _registration_provider(provider: Any) -> Any:
    """Where a component is registered: older Logfire meter wrappers have no `add_metric_reader`,
    their SDK provider does (measurements still go through the wrapper)."""
    cls = type(provider)
    if (
        cls.__module__ == "logfire._internal.metrics"
        and cls.__name__ == "ProxyMeterProvider"
        and not hasattr(provider, "add_metric_reader")
    ):
        return provider.provider
    return provider


class _Sdk:
    """The SDK classes and OTLP exporters, imported on demand (an optional dependency)."""

    def __init__(self) -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise FastAPIError(
                "Automatic OpenTelemetry export requires fastapi[opentelemetry] or fastapi[standard] "
                "(ferroapi[opentelemetry] or ferroapi[standard]). Install the extra, configure providers "
                f"yourself, or {_OPT_OUT}."
            ) from exc
        self.providers: dict[str, Any] = {
            "TRACES": TracerProvider,
            "METRICS": MeterProvider,
            "LOGS": LoggerProvider,
        }
        # signal -> (the component wrapping the exporter, the OTLP exporter)
        self._components: dict[str, tuple[Any, Any]] = {
            "TRACES": (BatchSpanProcessor, OTLPSpanExporter),
            "METRICS": (PeriodicExportingMetricReader, OTLPMetricExporter),
            "LOGS": (BatchLogRecordProcessor, OTLPLogExporter),
        }

    def component(self, signal: str, endpoint: str) -> Any:
        wrapper, exporter = self._components[signal]
        return wrapper(exporter(endpoint=endpoint))

    def new_provider(self, signal: str, component: Any) -> Any:
        cls = self.providers[signal]
        if signal == "METRICS":
            return cls(metric_readers=[component], shutdown_on_exit=False)
        provider = cls(shutdown_on_exit=False)
        _registrar(signal, provider)(component)
        return provider


def _global_provider(signal: str) -> Any:
    # Looked up on the API modules at each call: their functions may be replaced (tests, vendors).
    if signal == "TRACES":
        return trace.get_tracer_provider()
    if signal == "METRICS":
        return metrics.get_meter_provider()
    return _logs.get_logger_provider()


def _set_global_provider(signal: str, provider: Any) -> None:
    if signal == "TRACES":
        trace.set_tracer_provider(provider)
    elif signal == "METRICS":
        metrics.set_meter_provider(provider)
    else:
        _logs.set_logger_provider(provider)


_REGISTER_METHODS = {
    "TRACES": "add_span_processor",
    "METRICS": "add_metric_reader",
    "LOGS": "add_log_record_processor",
}


def _registrar(signal: str, provider: Any) -> Any:
    """The provider's SDK registration method (vendor wrappers may expose it without inheriting)."""
    try:
        register = getattr(provider, _REGISTER_METHODS[signal])
    except AttributeError:
        register = None
    if not callable(register):
        raise FastAPIError(
            f"The configured OpenTelemetry {_PROVIDER_NAMES[signal]} provider does not support adding "
            f"an OTLP exporter. Configure environment export through that provider and {_OPT_OUT}."
        )
    return register


def _configure_from_environment(config: TelemetryConfig) -> None:
    """Add OTLP exporters from the environment to the providers the app reports to (called before
    the lifespan's startup). Other components' exporters are neither inspected nor deduplicated."""
    if not config["auto_configure"] or os.getenv("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    with _lock:
        explicit = {
            "TRACES": (config["tracing"], config["tracer_provider"]),
            "METRICS": (config["metrics"], config["meter_provider"]),
            "LOGS": (config["logs"], config["logger_provider"]),
        }
        requested = []
        for signal in _SIGNALS:
            enabled, provider = explicit[signal]
            endpoint = _export_endpoint(signal) if enabled else None
            if endpoint is not None:
                requested.append((signal, provider, endpoint))
        if not requested:
            return
        sdk = _Sdk()
        for signal, provider, endpoint in requested:
            _attach_exporter(sdk, signal, provider, endpoint)


def _attach_exporter(sdk: _Sdk, signal: str, explicit: Any, endpoint: str) -> None:
    provider = _registration_provider(explicit if explicit is not None else _global_provider(signal))
    if any(done == signal and target is provider for done, target in _configured):
        return
    if explicit is None and _unconfigured(provider):
        created = sdk.new_provider(signal, sdk.component(signal, endpoint))
        _set_global_provider(signal, created)
        current = _global_provider(signal)
        if current is created:
            _configured.append((signal, created))
            _owned.append(created)
            return
        # Someone else set the global provider meanwhile: theirs wins, ours is closed, and the
        # exporter goes to theirs.
        created.shutdown()
        provider = _registration_provider(current)
    register = _registrar(signal, provider)
    component = sdk.component(signal, endpoint)
    try:
        register(component)
    except Exception:
        component.shutdown()
        raise
    _configured.append((signal, provider))
    _owned.append(component)


async def lifespan(
    *, config: TelemetryConfig, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """The app's lifespan, with environment export set up at startup and owned components flushed
    when it ends. Telemetry set-up failing never stops the application: it is logged as a warning."""

    async def configuring_receive() -> Message:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                _configure_from_environment(config)
            except Exception as exc:
                logger.warning("FastAPI automatic telemetry configuration failed: %s", exc)
        return message

    async def flushing_send(message: Message) -> None:
        ending = message["type"] in {
            "lifespan.shutdown.complete",
            "lifespan.shutdown.failed",
            "lifespan.startup.failed",
        }
        if ending and _owned:
            await run_sync(_flush)  # exporters block on the network
        await send(message)

    await app(scope, configuring_receive, flushing_send)
