"""Telemetry is free when nothing listens: while no provider is set, a request makes no telemetry call
(the pipeline and router stay on their fast paths), and the first request after a global provider is
set, at any time, is observed as FastAPI observes it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import NoOpTracerProvider

from ferroapi.telemetry._api import default_telemetry_config
from ferroapi.telemetry._gate import TelemetryGate, stock_getters

# Run in a fresh interpreter: the OpenTelemetry API's global providers can be set once per process.
_LATE_PROVIDER = """
import sys
from opentelemetry import trace
from ferroapi import FerroAPI
from ferroapi.telemetry._api import TELEMETRY_SEEN
from ferroapi._pipeline.hooks import HOOKS
from ferroapi.testclient import TestClient

app = FerroAPI()
seen_scopes = []

@app.get("/items/{item_id}")
async def read(item_id: int, request: __import__("ferroapi").Request) -> int:
    seen_scopes.append(dict(request.scope))
    return item_id

client = TestClient(app)
for _ in range(3):
    assert client.get("/items/1").json() == 1
assert not TELEMETRY_SEEN.value and not HOOKS.active, "telemetry work without a provider"
assert all("fastapi.telemetry" not in scope for scope in seen_scopes)
assert not [name for name in sys.modules if name.startswith("opentelemetry.sdk")]

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
assert client.get("/items/2").json() == 2
names = sorted(span.name for span in exporter.get_finished_spans())
assert names == ["GET /items/{item_id}", "fastapi.dependencies", "fastapi.endpoint",
                 "fastapi.serialization"], names
assert TELEMETRY_SEEN.value
print("ok")
"""


def test_no_telemetry_work_until_a_provider_is_set_then_the_next_request_is_observed() -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_LATE_PROVIDER)],
        capture_output=True,
        text=True,
        timeout=60,
        # An installed Logfire's pydantic plugin would import the SDK by itself.
        env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "0", "PYDANTIC_DISABLE_PLUGINS": "__all__"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"


def _config(**settings: Any) -> Any:
    return {**default_telemetry_config(), **settings}


def test_an_app_of_global_providers_watches_them() -> None:
    assert TelemetryGate(_config()).watch_globals
    # Every signal off: the globals are watched too, FastAPI's full test then finds nothing enabled.
    assert TelemetryGate(_config(tracing=False, metrics=False, logs=False)).watch_globals


def test_an_explicit_provider_is_asked_every_request() -> None:
    gate = TelemetryGate(_config(tracer_provider=NoOpTracerProvider()))
    assert not gate.watch_globals and not gate.quiet()


def test_an_explicit_provider_of_a_disabled_signal_does_not_count() -> None:
    assert TelemetryGate(_config(tracing=False, tracer_provider=NoOpTracerProvider())).watch_globals


def test_a_getter_replaced_before_the_app_is_created_is_asked_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert stock_getters()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: NoOpTracerProvider())
    assert not stock_getters()
    assert not TelemetryGate(_config()).watch_globals
    monkeypatch.undo()
    assert stock_getters()


def test_a_replaced_getter_is_honoured_by_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider returned by a replaced `get_tracer_provider` is used (FastAPI's docs test this way)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from ferroapi import FerroAPI
    from ferroapi.testclient import TestClient

    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    app = FerroAPI(telemetry={"operation_spans": False})

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> int:
        return item_id

    try:
        assert TestClient(app).get("/items/2").json() == 2
        assert [span.name for span in exporter.get_finished_spans()] == ["GET /items/{item_id}"]
    finally:
        provider.shutdown()
