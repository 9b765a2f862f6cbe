"""A stream's telemetry ends when the stream really ends, exactly once, also when the client leaves
mid-stream: JSON Lines, server-sent events, a raw StreamingResponse and a WebSocket, served by
uvicorn on 127.0.0.1, each under FastAPI and ferroapi (same span, same metric point)."""

import asyncio
import importlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

websockets_client = pytest.importorskip("websockets.sync.client")

DEADLINE = 10.0


class Observed:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(shutdown_on_exit=False)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader], shutdown_on_exit=False)
        self.closed: list[str] = []

    def server_spans(self) -> list[Any]:
        return [s for s in self.exporter.get_finished_spans() if s.kind == SpanKind.SERVER]

    def metric(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        data = self.reader.get_metrics_data()
        if data is None:
            return []
        return [
            (dict(point.attributes or {}), getattr(point, "count", None) or getattr(point, "value", None))
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


def build(framework: str, observed: Observed) -> Any:
    fw = importlib.import_module(framework)
    app = (fw.FastAPI if framework == "fastapi" else fw.FerroAPI)(
        telemetry={"tracer_provider": observed.tracer_provider, "meter_provider": observed.meter_provider}
    )
    responses = importlib.import_module(f"{framework}.responses")
    sse = importlib.import_module(f"{framework}.sse")

    async def endless(kind: str) -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                await asyncio.sleep(0.01)
        finally:
            observed.closed.append(kind)

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterator[int]:
        async for n in endless("jsonl"):
            yield n

    @app.get("/sse", response_class=sse.EventSourceResponse)
    async def events() -> AsyncIterator[int]:
        async for n in endless("sse"):
            yield n

    @app.get("/raw")
    async def raw() -> Any:
        async def chunks() -> AsyncIterator[bytes]:
            async for n in endless("raw"):
                yield f"{n}\n".encode()

        return responses.StreamingResponse(chunks())

    async def echo(websocket: Any) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        finally:
            observed.closed.append("ws")

    echo.__annotations__["websocket"] = fw.WebSocket  # the framework's own class, before registration
    app.websocket("/ws")(echo)
    return app


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the stream's telemetry did not end")
        time.sleep(0.01)


def _leave_stream(base_url: str, path: str) -> None:
    with (
        httpx.Client(base_url=base_url, timeout=DEADLINE) as client,
        client.stream("GET", path) as response,
    ):
        assert response.status_code == 200
        received = 0
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > 20:
                break  # the client leaves mid-stream


def _summary(observed: Observed) -> list[Any]:
    (span,) = observed.server_spans()
    duration = [(attributes, count) for attributes, count in observed.metric("http.server.request.duration")]
    active = observed.metric("http.server.active_requests")
    return [span.name, dict(span.attributes or {}), span.status.status_code.name, duration, active]


def _normalized(summary: list[Any]) -> list[Any]:
    name, attributes, status, duration, active = summary
    attributes.pop("server.port", None)  # each server has its own port
    return [name, attributes, status, duration, active]


@pytest.mark.parametrize("path", ["/jsonl", "/sse", "/raw"])
def test_a_stream_left_by_its_client_ends_its_span_once(serve: Any, path: str) -> None:
    summaries = {}
    for framework in ("fastapi", "ferroapi"):
        observed = Observed()
        _leave_stream(serve(build(framework, observed)), path)
        _wait_for(lambda o=observed: o.server_spans() and o.closed)
        time.sleep(0.2)  # anything recorded twice would show by now
        assert observed.closed == [path.strip("/")], framework
        summary = _summary(observed)
        assert summary[4] == [({"url.scheme": "http", "http.request.method": "GET"}, 0)], framework
        summaries[framework] = _normalized(summary)
    assert summaries["ferroapi"] == summaries["fastapi"]
    assert summaries["ferroapi"][1]["http.route"] == path


def test_a_websocket_left_by_its_client_ends_its_span_once(serve: Any) -> None:
    summaries = {}
    for framework in ("fastapi", "ferroapi"):
        observed = Observed()
        base_url = serve(build(framework, observed))
        with websockets_client.connect(base_url.replace("http://", "ws://") + "/ws") as connection:
            connection.send("hello")
            assert connection.recv(timeout=DEADLINE) == "hello"
        _wait_for(lambda o=observed: o.server_spans() and o.closed)
        time.sleep(0.2)
        assert observed.closed == ["ws"], framework
        (span,) = observed.server_spans()
        attributes = dict(span.attributes or {})
        attributes.pop("server.port", None)
        summaries[framework] = [span.name, attributes, span.status.status_code.name]
    assert summaries["ferroapi"] == summaries["fastapi"]
    assert summaries["ferroapi"][0] == "WS /ws"
