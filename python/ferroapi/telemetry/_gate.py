"""Free when nothing listens: the one test an app makes per request before any telemetry work.

FastAPI asks the three global providers on every request whether one is configured (three calls, each
an environment lookup). Here an app decides once, when it is created, whether only the global
providers matter to it (no provider of its own for an enabled signal, the API's own getters); if so,
a request tests only whether the three globals are still unset (`None`: three attribute reads,
inlined in `FerroAPI.__call__`). While they are, no request of the app does any telemetry work; the
first request after a provider is set (at any time, by anyone) is observed, as in FastAPI.

The OpenTelemetry API keeps its globals in module attributes (`_TRACER_PROVIDER`...), `None` until a
provider is set in code; a provider named by `OTEL_PYTHON_*_PROVIDER` is set by a getter's first call,
which the gate makes once, at construction. A getter replaced before the app is created (a test's
monkeypatch) makes every request take FastAPI's full test; one replaced later is seen once a
provider is set (testing the getters per request doubled the test's cost).
"""

from __future__ import annotations

from opentelemetry import _logs as logs
from opentelemetry import metrics, trace
from opentelemetry._logs import _internal as logs_internal
from opentelemetry.metrics import _internal as metrics_internal

from ferroapi.telemetry._api import TelemetryConfig

__all__ = [
    "TelemetryGate",
    "global_providers_unset",
    "logs",
    "logs_internal",
    "metrics",
    "metrics_internal",
    "stock_getters",
    "trace",
]

# The getters as the API defines them (a replacement is made on the public modules, where they are
# read; the metrics and logs providers live in the `_internal` modules' globals).
_GET_TRACER_PROVIDER = trace.get_tracer_provider
_GET_METER_PROVIDER = metrics.get_meter_provider
_GET_LOGGER_PROVIDER = logs.get_logger_provider


def global_providers_unset() -> bool:
    """True while no global provider was set (what `FerroAPI.__call__` tests inline, per request)."""
    return (
        trace._TRACER_PROVIDER is None
        and metrics_internal._METER_PROVIDER is None
        and logs_internal._LOGGER_PROVIDER is None
    )


def stock_getters() -> bool:
    """Whether the API's getters are its own (not replaced on their modules)."""
    return (
        trace.get_tracer_provider is _GET_TRACER_PROVIDER
        and metrics.get_meter_provider is _GET_METER_PROVIDER
        and logs.get_logger_provider is _GET_LOGGER_PROVIDER
    )


class TelemetryGate:
    """What an app's configuration leaves to decide per request.

    `watch_globals`: every enabled signal reports to the global providers, read through the API's own
    getters, so a request is left alone while the globals are unset. Otherwise (a provider of the
    app's own, a replaced getter) every request takes FastAPI's full test. (An app with every signal
    off watches the globals too: once one is set, FastAPI's test finds nothing enabled.)
    """

    __slots__ = ("watch_globals",)

    def __init__(self, config: TelemetryConfig) -> None:
        signals = (
            (config["tracing"], config["tracer_provider"]),
            (config["metrics"], config["meter_provider"]),
            (config["logs"], config["logger_provider"]),
        )
        globals_only = all(provider is None for enabled, provider in signals if enabled)
        # A provider named in the environment is installed by the getters' first call.
        trace.get_tracer_provider()
        metrics.get_meter_provider()
        logs.get_logger_provider()
        self.watch_globals = globals_only and stock_getters()

    def quiet(self) -> bool:
        """Whether this request can skip telemetry without asking further."""
        return self.watch_globals and global_providers_unset()
