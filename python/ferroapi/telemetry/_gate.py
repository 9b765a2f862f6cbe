"""Free when nothing listens: the one test an app makes per request before any telemetry work.

FastAPI asks the three global providers on every request whether one is configured (three calls, each
an environment lookup). Here an app decides once, from its configuration, which providers could
matter, and then tests per request only whether the global ones are still the API's unset state:
three module attributes and the three getter functions (a test may replace `get_tracer_provider`).
While they are, no request of the app does any telemetry work; the first request after a provider is
set (at any time, by anyone) is observed, as in FastAPI.

The OpenTelemetry API keeps its globals in module attributes (`_TRACER_PROVIDER`...), `None` until
a provider is set in code; a provider named by `OTEL_PYTHON_*_PROVIDER` is set when a getter is first
called, which `TelemetryGate` does once, at construction.
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
    "trace",
]

# The getters as the API defines them (a replacement is made on the public modules, where they are
# read; the metrics and logs providers live in the `_internal` modules' globals).
_GET_TRACER_PROVIDER = trace.get_tracer_provider
_GET_METER_PROVIDER = metrics.get_meter_provider
_GET_LOGGER_PROVIDER = logs.get_logger_provider


def global_providers_unset() -> bool:
    """True while no global provider was set and the API's getters are its own (what
    `FerroAPI.__call__` tests inline, per request)."""
    return (
        trace._TRACER_PROVIDER is None
        and metrics_internal._METER_PROVIDER is None
        and logs_internal._LOGGER_PROVIDER is None
        and trace.get_tracer_provider is _GET_TRACER_PROVIDER
        and metrics.get_meter_provider is _GET_METER_PROVIDER
        and logs.get_logger_provider is _GET_LOGGER_PROVIDER
    )


class TelemetryGate:
    """What an app's configuration leaves to decide per request.

    `never`: every signal is off, nothing is ever observed. `globals_only`: every enabled signal
    reports to the global providers, so a request is left alone while they are unset. Otherwise an
    explicit provider is configured and every request takes FastAPI's full test.
    """

    __slots__ = ("globals_only", "never")

    def __init__(self, config: TelemetryConfig) -> None:
        signals = (
            (config["tracing"], config["tracer_provider"]),
            (config["metrics"], config["meter_provider"]),
            (config["logs"], config["logger_provider"]),
        )
        self.never = not any(enabled for enabled, _ in signals)
        self.globals_only = all(provider is None for enabled, provider in signals if enabled)
        # A provider named in the environment is installed by the getters' first call.
        _GET_TRACER_PROVIDER()
        _GET_METER_PROVIDER()
        _GET_LOGGER_PROVIDER()

    def quiet(self) -> bool:
        """Whether this request can skip telemetry without asking further."""
        return self.never or (self.globals_only and global_providers_unset())
