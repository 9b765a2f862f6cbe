"""In-memory OpenTelemetry providers for tests, and the telemetry they collected in a comparable form.

    signals = Signals()
    app = FerroAPI(telemetry=signals.config())      # explicit providers: no global state touched
    ...
    signals.spans()     # [{"name", "kind", "attributes", "parent", "status"}], in end order
    signals.points()    # {(metric name, unit, attributes...): count or value}
    signals.logs()      # [{"event", "severity", "body", "attributes", "exception"}]

Values that differ run to run (ids, times, the server port of a live server, stack traces) are left
out; a span's parent is named by the parent span's name.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["Signals"]

_VOLATILE_LOG_ATTRIBUTES = frozenset({"exception.stacktrace"})


class Signals:
    """One tracer, meter and logger provider, each exporting to memory."""

    def __init__(self) -> None:
        self.span_exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)
        self.log_exporter = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider(shutdown_on_exit=False)
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.log_exporter))

    def config(self, **settings: Any) -> dict[str, Any]:
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "logger_provider": self.logger_provider,
            **settings,
        }

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()

    def clear(self) -> None:
        self.span_exporter.clear()
        self.log_exporter.clear()

    def finished_spans(self) -> list[Any]:
        return list(self.span_exporter.get_finished_spans())

    def spans(self) -> list[dict[str, Any]]:
        finished = self.finished_spans()
        names = {span.context.span_id: span.name for span in finished}
        return [
            {
                "name": span.name,
                "kind": span.kind.name,
                "attributes": dict(span.attributes or {}),
                "parent": None if span.parent is None else names.get(span.parent.span_id, "<remote>"),
                "status": span.status.status_code.name,
                "events": [event.name for event in span.events],
            }
            for span in finished
        ]

    def points(self) -> dict[tuple[Any, ...], Any]:
        data = self.reader.get_metrics_data()
        collected: dict[tuple[Any, ...], Any] = {}
        if data is None:
            return collected
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        attributes = sorted((point.attributes or {}).items())
                        key = (metric.name, metric.unit, scope.scope.name, *attributes)
                        # A counter's or gauge's value; a histogram's number of recordings.
                        collected[key] = point.value if isinstance(point, NumberDataPoint) else point.count
        return collected

    def logs(self) -> list[dict[str, Any]]:
        return [
            {
                "event": data.log_record.event_name,
                "severity": data.log_record.severity_text,
                "body": data.log_record.body,
                "attributes": {
                    key: value
                    for key, value in (data.log_record.attributes or {}).items()
                    if key not in _VOLATILE_LOG_ATTRIBUTES
                },
                "exception": type(data.log_record.exception).__name__
                if data.log_record.exception is not None
                else None,
                "in_span": bool(data.log_record.span_id),
            }
            for data in self.log_exporter.get_finished_logs()
        ]
