"""Registration-time decisions (the RoutePlan) and what they change per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import BaseModel

from ferroapi import Depends, FerroAPI
from ferroapi._pipeline.plan import Lane
from ferroapi._routing.route import APIRoute
from ferroapi.exceptions import ResponseValidationError
from ferroapi.responses import HTMLResponse, StreamingResponse
from ferroapi.sse import EventSourceResponse
from ferroapi.testclient import TestClient


class Out(BaseModel):
    n: int


def route_of(app: FerroAPI, path: str) -> APIRoute:
    for route in app.router.effective_routes():
        if isinstance(route, APIRoute) and route.path == path:
            return route
    raise LookupError(path)


def test_lanes_and_render_choices() -> None:
    app = FerroAPI()

    @app.get("/value")
    def value() -> Out:
        return Out(n=1)

    @app.get("/html", response_class=HTMLResponse)
    def html() -> str:
        return "x"

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterator[Out]:
        yield Out(n=1)

    @app.get("/sse", response_class=EventSourceResponse)
    def sse() -> Iterator[int]:
        yield 1

    @app.get("/raw", response_class=StreamingResponse)
    def raw() -> Iterator[bytes]:
        yield b"x"

    plans = {path: route_of(app, path).plan for path in ("/value", "/html", "/jsonl", "/sse", "/raw")}
    assert plans["/value"].lane is Lane.RESPONSE and plans["/value"].dump_json
    assert not plans["/html"].fast_json
    assert plans["/jsonl"].lane is Lane.JSONL and plans["/jsonl"].stream_item_field is not None
    assert plans["/sse"].lane is Lane.SSE
    assert plans["/raw"].lane is Lane.RAW_STREAM
    assert not plans["/value"].needs_stacks
    assert plans["/sse"].needs_stacks


def test_yield_dependency_needs_the_stacks() -> None:
    app = FerroAPI()
    events: list[str] = []

    def resource() -> Iterator[str]:
        events.append("open")
        yield "r"
        events.append("close")

    @app.get("/r")
    def use(value: str = Depends(resource)) -> str:
        return value

    assert route_of(app, "/r").plan.needs_stacks
    assert TestClient(app).get("/r").json() == "r"
    assert events == ["open", "close"]


def test_response_validation_error_has_endpoint_context() -> None:
    app = FerroAPI()

    @app.get("/bad")
    def bad() -> Out:
        return {"n": "x"}  # type: ignore[return-value]

    with pytest.raises(ResponseValidationError) as caught:
        TestClient(app).get("/bad")
    error = caught.value
    assert error.endpoint_function == "bad"
    assert error.endpoint_path == "GET /bad"
    assert error.endpoint_file is not None and error.endpoint_file.endswith("test_pipeline_plan.py")
    assert isinstance(error.endpoint_line, int)


def test_dependency_overrides_assigned_as_plain_dict() -> None:
    app = FerroAPI()

    def real() -> str:
        return "real"

    @app.get("/d")
    def read(value: str = Depends(real)) -> str:
        return value

    client = TestClient(app)
    assert client.get("/d").json() == "real"
    app.dependency_overrides = {real: lambda: "fake"}
    assert client.get("/d").json() == "fake"
    app.dependency_overrides.clear()
    assert client.get("/d").json() == "real"


def test_default_body_limit_is_on() -> None:
    app = FerroAPI()

    @app.post("/echo")
    async def echo(payload: dict[str, str]) -> dict[str, str]:
        return payload

    assert app.max_body_size == 16 * 1024 * 1024
    big = b'{"a": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    response = TestClient(app).post("/echo", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
