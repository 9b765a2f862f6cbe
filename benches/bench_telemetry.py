"""Native OpenTelemetry (`telemetry=`): what it costs per request, in one run.

- ferroapi with telemetry off (no provider configured: the default) against ferroapi with telemetry on
  (SDK tracer and meter providers, spans and metrics to in-memory exporters): the cost of recording;
- ferroapi against FastAPI, both with telemetry on, same providers and exporters.

The scenario apps are benches/apps/pipeline.py's, built with `telemetry={...}`. Spans are kept in
memory and dropped every few thousand, so memory stays flat over the timed batches.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _harness import compare, header
from apps import Framework, load, pipeline
from bench_app import PerRequest, batch_size, check

KEPT_SPANS = 5_000


class _BoundedExporter(InMemorySpanExporter):
    """The SDK's in-memory exporter, emptied when it holds more than `KEPT_SPANS` spans."""

    def export(self, spans: Any) -> SpanExportResult:
        if len(self._finished_spans) > KEPT_SPANS:
            self.clear()
        return super().export(spans)

    def last(self) -> ReadableSpan | None:
        spans = self.get_finished_spans()
        return spans[-1] if spans else None


def _providers() -> dict[str, Any]:
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(_BoundedExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()], shutdown_on_exit=False)
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


def _with_telemetry(fw: Framework, settings: dict[str, Any] | None) -> Framework:
    if settings is None:
        return fw
    return Framework(fw.name, fw.mod, functools.partial(fw.App, telemetry=settings))


def main() -> None:
    loop = asyncio.new_event_loop()
    settings = _providers()
    ferro_off = pipeline.build(load("ferroapi"))
    ferro_on = pipeline.build(_with_telemetry(load("ferroapi"), settings))
    fastapi_on = pipeline.build(_with_telemetry(load("fastapi"), settings))
    scenarios = pipeline.SCENARIOS[:3]

    header("telemetry off (ferroapi column) vs on (baseline column), ferroapi, per request", "ferroapi")
    for name, request in scenarios:
        same, reason = check(loop, ferro_off, ferro_on, request)
        if reason:
            raise RuntimeError(f"{name}: {reason}")
        n = batch_size(loop, ferro_on, request)
        compare(
            f"{name}, telemetry on/off",
            PerRequest(loop, ferro_off, request, n),
            PerRequest(loop, ferro_on, request, n),
            n,
            same=same,
        )

    header("telemetry on: spans and metrics to in-memory exporters, per request", "fastapi")
    for name, request in scenarios:
        same, reason = check(loop, ferro_on, fastapi_on, request)
        if reason:
            raise RuntimeError(f"{name}: {reason}")
        n = batch_size(loop, fastapi_on, request)
        compare(
            f"{name}, telemetry on",
            PerRequest(loop, ferro_on, request, n),
            PerRequest(loop, fastapi_on, request, n),
            n,
            same=same,
        )
    loop.close()


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
