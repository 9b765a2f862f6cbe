"""Export set up from the environment (FastAPI's `fastapi.telemetry._runtime`): with `auto_configure`
(or `FASTAPI_OTEL_AUTO_CONFIGURE=true`), the lifespan's startup adds OTLP http/protobuf exporters for
the signals the standard `OTEL_*` variables point somewhere.

Nothing in place is replaced. A signal whose global provider is still the API's placeholder gets an
SDK provider created here (which ferroapi then owns); a provider already set, or given in
`telemetry=`, gets an exporter added (and only that exporter is owned). ferroapi adds its exporter to
a provider once per process. What it owns is flushed in a worker thread when a lifespan ends, and shut
down when the interpreter exits; a provider the application gave is never shut down. The SDK and the
exporter (the `ferroapi[opentelemetry]` extra) are imported here only, once an endpoint is set.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from anyio.to_thread import run_sync
from opentelemetry import _logs, metrics, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferroapi.exceptions import FastAPIError
from ferroapi.logger import logger
from ferroapi.telemetry._api import TelemetryConfig, _unconfigured

__all__ = ["lifespan"]

# FastAPI's names for the process-wide state (its tests replace and read the two lists):
# `_owned`, what ferroapi created and must flush and shut down: providers, or the export component it
# added to someone else's provider; `_configured`, (signal, provider) for each provider that received
# ferroapi's exporter; `_lock`, held while either changes.
_lock = threading.RLock()
_owned: list[Any] = []
_configured: list[tuple[str, Any]] = []

# The way out named in every error about the environment.
_OPT_OUT = "pass telemetry={'auto_configure': False} to FastAPI()"


def _call_on_each(method: str, components: Iterable[Any]) -> None:
    """`component.<method>()` for each component; one failing is logged and the others still run."""
    for component in components:
        try:
            getattr(component, method)()
        except Exception:
            logger.exception("FastAPI telemetry cleanup failed")


def _flush() -> None:
    """Push out what the owned components hold (a lifespan ended; they stay in service)."""
    _call_on_each("force_flush", list(_owned))


def _shutdown() -> None:
    """Shut the owned components down and forget them (at exit; a second call finds nothing)."""
    with _lock:
        retiring = list(_owned)
        del _owned[:]
    _call_on_each("shutdown", retiring)


atexit.register(_shutdown)


@dataclass(frozen=True)
class _Signal:
    """How one signal is exported: its settings, its API, and its SDK classes (as import paths)."""

    name: str  # as spelled in the environment variables
    role: str  # tracer, meter, logger: `get_<role>_provider` on the API module
    switch: str  # TelemetryConfig's on/off key
    provider_key: str  # TelemetryConfig's provider key
    api: ModuleType
    sdk_provider: str
    component: str  # what carries the exporter (a processor, a reader)
    exporter: str
    register: str  # the provider's method adding a component

    def current(self) -> Any:
        # Read off the API module on each call: tests and vendors replace these functions.
        return getattr(self.api, f"get_{self.role}_provider")()

    def install(self, provider: Any) -> None:
        getattr(self.api, f"set_{self.role}_provider")(provider)


_OTLP_HTTP = "opentelemetry.exporter.otlp.proto.http"
_SIGNALS = (
    _Signal(
        name="TRACES",
        role="tracer",
        switch="tracing",
        provider_key="tracer_provider",
        api=trace,
        sdk_provider="opentelemetry.sdk.trace.TracerProvider",
        component="opentelemetry.sdk.trace.export.BatchSpanProcessor",
        exporter=f"{_OTLP_HTTP}.trace_exporter.OTLPSpanExporter",
        register="add_span_processor",
    ),
    _Signal(
        name="METRICS",
        role="meter",
        switch="metrics",
        provider_key="meter_provider",
        api=metrics,
        sdk_provider="opentelemetry.sdk.metrics.MeterProvider",
        component="opentelemetry.sdk.metrics.export.PeriodicExportingMetricReader",
        exporter=f"{_OTLP_HTTP}.metric_exporter.OTLPMetricExporter",
        register="add_metric_reader",
    ),
    _Signal(
        name="LOGS",
        role="logger",
        switch="logs",
        provider_key="logger_provider",
        api=_logs,
        sdk_provider="opentelemetry.sdk._logs.LoggerProvider",
        component="opentelemetry.sdk._logs.export.BatchLogRecordProcessor",
        exporter=f"{_OTLP_HTTP}._log_exporter.OTLPLogExporter",
        register="add_log_record_processor",
    ),
)


def _env(*names: str) -> str | None:
    """The first of these environment variables that holds a non-empty value."""
    for name in names:
        value = os.getenv(name)
        if value:
            return value
    return None


def _export_endpoint(signal: str) -> str | None:
    """Where the standard variables send one signal (`TRACES`, `METRICS`, `LOGS`): None for nowhere.
    Anything ferroapi would not export as asked (another exporter, another protocol, a URL that is
    not absolute HTTP(S)) raises FastAPIError."""
    kind = (_env(f"OTEL_{signal}_EXPORTER") or "otlp").strip().lower()
    url = _env(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if url is None:
        shared = _env("OTEL_EXPORTER_OTLP_ENDPOINT")
        if shared is not None:
            url = shared.removesuffix("/") + "/v1/" + signal.lower()
    if url is None or kind == "none":
        return None
    if kind != "otlp":
        raise FastAPIError(
            f"FastAPI automatic telemetry supports OTEL_{signal}_EXPORTER=otlp or none. "
            f"Configure other exporters explicitly and {_OPT_OUT}."
        )
    transport = _env(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    if (transport or "http/protobuf") != "http/protobuf":
        raise FastAPIError(
            "FastAPI automatic telemetry requires the OTLP http/protobuf protocol. "
            f"Configure other transports explicitly and {_OPT_OUT}."
        )
    target = urlsplit(url)
    if not (target.scheme in ("http", "https") and target.hostname):
        raise FastAPIError(f"Invalid OTLP {signal.lower()} endpoint. Use an absolute HTTP or HTTPS URL.")
    return url


# Older Logfire meter wrappers lack `add_metric_reader`; a reader goes to the SDK provider they wrap
# (measurements still go through the wrapper).
_LOGFIRE_METER_WRAPPER = ("logfire._internal.metrics", "ProxyMeterProvider")


def _registration_provider(provider: Any) -> Any:
    """The provider an export component is added to, for `provider`."""
    kind = type(provider)
    wrapper = (kind.__module__, kind.__name__) == _LOGFIRE_METER_WRAPPER
    return provider.provider if wrapper and not hasattr(provider, "add_metric_reader") else provider


def _load(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def _load_sdk() -> dict[str, tuple[Any, Any, Any]]:
    """Per signal: (SDK provider class, component class, OTLP exporter class), all imported now (the
    extra is optional; each is read at this call, so a replaced class is the one used)."""
    try:
        return {s.name: (_load(s.sdk_provider), _load(s.component), _load(s.exporter)) for s in _SIGNALS}
    except (ImportError, AttributeError) as exc:
        raise FastAPIError(
            "Automatic OpenTelemetry export requires fastapi[opentelemetry] or fastapi[standard] "
            "(ferroapi[opentelemetry] or ferroapi[standard]). Install the extra, configure providers "
            f"yourself, or {_OPT_OUT}."
        ) from exc


def _configure_from_environment(config: TelemetryConfig) -> None:
    """Add the environment's OTLP exporters to the providers the app reports to (before the
    lifespan's startup reaches the app). Exporters of other components are left as they are: neither
    inspected nor deduplicated."""
    if not config["auto_configure"] or os.getenv("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    settings: Mapping[str, Any] = config
    with _lock:
        # Every endpoint is checked before anything is added.
        plan: list[tuple[_Signal, Any, str]] = []
        for signal in _SIGNALS:
            if not settings[signal.switch]:
                continue
            endpoint = _export_endpoint(signal.name)
            if endpoint is not None:
                plan.append((signal, settings[signal.provider_key], endpoint))
        if plan:
            classes = _load_sdk()
            for signal, explicit, endpoint in plan:
                _Export(signal, endpoint, *classes[signal.name]).attach(explicit)


class _Export:
    """Adding one signal's exporter, to the app's provider or to the global one (called under `_lock`)."""

    def __init__(
        self, signal: _Signal, endpoint: str, provider_class: Any, component: Any, exporter: Any
    ) -> None:
        self.signal = signal
        self.endpoint = endpoint
        self.provider_class = provider_class
        self.component_class = component
        self.exporter_class = exporter

    def new_component(self) -> Any:
        return self.component_class(self.exporter_class(endpoint=self.endpoint))

    def done_for(self, provider: Any) -> bool:
        return any(name == self.signal.name and target is provider for name, target in _configured)

    def remember(self, provider: Any, owned: Any) -> None:
        _configured.append((self.signal.name, provider))
        _owned.append(owned)

    def attach(self, explicit: Any) -> None:
        provider = _registration_provider(self.signal.current() if explicit is None else explicit)
        if self.done_for(provider):
            return
        if explicit is None and _unconfigured(provider):
            provider = self.install_provider()
            if provider is None:
                return
        self.add_to(provider)

    def install_provider(self) -> Any:
        """Set a new SDK provider, carrying the exporter, as the global one. None once it is in
        place; if another one was set meanwhile, that one wins: ours is shut down, and the provider
        to add the exporter to is returned."""
        signal = self.signal
        component = self.new_component()
        if signal.name == "METRICS":  # a meter provider takes its readers when it is made
            created = self.provider_class(metric_readers=[component], shutdown_on_exit=False)
        else:
            created = self.provider_class(shutdown_on_exit=False)
            getattr(created, signal.register)(component)
        signal.install(created)
        winner = signal.current()
        if winner is created:
            self.remember(created, created)
            return None
        created.shutdown()
        return _registration_provider(winner)

    def add_to(self, provider: Any) -> None:
        # Vendor wrappers may offer the SDK's method without being SDK providers: asked by name.
        add = getattr(provider, self.signal.register, None)
        if not callable(add):
            raise FastAPIError(
                f"The configured OpenTelemetry {self.signal.role} provider does not support adding an "
                f"OTLP exporter. Configure environment export through that provider and {_OPT_OUT}."
            )
        component = self.new_component()
        try:
            add(component)
        except Exception:
            component.shutdown()  # it would otherwise run unowned
            raise
        self.remember(provider, component)


# The lifespan messages after which the app does not run any more.
_LIFESPAN_ENDS = frozenset(
    {"lifespan.startup.failed", "lifespan.shutdown.complete", "lifespan.shutdown.failed"}
)


class _ExportingLifespan:
    """The receive and send the app's lifespan gets: export is set up as startup arrives, and what is
    owned is flushed before an ending message goes out (off the event loop: exporters use the
    network). Setting up telemetry never stops the application: a failure is logged as a warning."""

    def __init__(self, config: TelemetryConfig, receive: Receive, send: Send) -> None:
        self.config = config
        self.upstream_receive = receive
        self.upstream_send = send

    async def receive(self) -> Message:
        message = await self.upstream_receive()
        if message["type"] != "lifespan.startup":
            return message
        try:
            _configure_from_environment(self.config)
        except Exception as problem:
            logger.warning("FastAPI automatic telemetry configuration failed: %s", problem)
        return message

    async def send(self, message: Message) -> None:
        if _owned and message["type"] in _LIFESPAN_ENDS:
            await run_sync(_flush)
        await self.upstream_send(message)


async def lifespan(
    *, config: TelemetryConfig, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """The app's lifespan, with environment export set up at startup and flushed at its end."""
    hooks = _ExportingLifespan(config, receive, send)
    await app(scope, hooks.receive, hooks.send)
