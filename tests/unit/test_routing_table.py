"""The compiled route table: native segments, opaque barriers, recompilation when routes change."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.routing import BaseRoute, Host, Match, Mount, Route
from starlette.types import Scope

from ferroapi import APIRouter, FerroAPI
from ferroapi._routing.table import NativeSegment
from ferroapi.testclient import TestClient


async def _plain(request: Any) -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(request.url.path)


class Always(BaseRoute):
    """A custom route that matches every path under /custom: opaque to the native matcher."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith("/custom"):
            return Match.FULL, {}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Any, send: Any) -> None:
        from starlette.responses import PlainTextResponse

        await PlainTextResponse("custom")(scope, receive, send)


def make_app() -> FerroAPI:
    app = FerroAPI(openapi_url=None)

    @app.get("/custom/first")
    def first() -> str:
        return "api first"

    app.router.routes.append(Always())

    @app.get("/custom/second")
    def second() -> str:
        return "api second"

    app.router.routes.append(Host("h.example", app=Route("/x", _plain)))
    return app


def test_single_segment_when_everything_is_native() -> None:
    app = FerroAPI()
    app.get("/a")(lambda: 1)
    app.router.routes.append(Mount("/m", routes=[Route("/x", _plain)]))
    table = app.router.route_table()
    assert table.single is not None
    assert len(table.segments) == 1


def test_opaque_routes_split_segments_and_keep_order() -> None:
    app = make_app()
    table = app.router.route_table()
    kinds = [type(segment).__name__ for segment in table.segments]
    assert kinds == ["NativeSegment", "Always", "NativeSegment", "Host"]
    client = TestClient(app)
    assert client.get("/custom/first").json() == "api first"
    assert client.get("/custom/second").text == "custom"  # the opaque route comes first
    assert client.get("http://h.example/x").text == "/x"


def test_routes_added_later_recompile_the_table() -> None:
    app = FerroAPI()
    router = APIRouter()
    app.include_router(router, prefix="/r")
    client = TestClient(app)
    assert client.get("/r/late").status_code == 404
    first = app.router.route_table()

    @router.get("/late")
    def late() -> str:
        return "here"

    assert client.get("/r/late").json() == "here"
    assert app.router.route_table() is not first


def test_custom_convertor_is_opaque() -> None:
    from starlette.convertors import Convertor, register_url_convertor

    class Hex(Convertor[int]):
        regex = "[0-9a-f]+"

        def convert(self, value: str) -> int:
            return int(value, 16)

        def to_string(self, value: int) -> str:
            return format(value, "x")

    register_url_convertor("hexnum", Hex())
    app = FerroAPI()

    @app.get("/h/{value:hexnum}")
    def read(value: int) -> int:
        return value

    table = app.router.route_table()
    assert not all(isinstance(segment, NativeSegment) for segment in table.segments)
    assert TestClient(app).get("/h/ff").json() == 255


@pytest.mark.parametrize("max_body_size", [-1, 1.5, True])
def test_invalid_max_body_size(max_body_size: Any) -> None:
    app = FerroAPI()
    with pytest.raises(ValueError):
        app.post("/x", max_body_size=max_body_size)(lambda: 1)
