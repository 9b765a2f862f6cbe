"""Frontends in the compiled route table: kept apart from the native segments, flattened once per change."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ferroapi import APIRouter, FerroAPI
from ferroapi._routing.static_frontend.routes import FrontendRouteGroup, IncludedFrontendGroup
from ferroapi._routing.table import NativeSegment
from ferroapi.testclient import TestClient


def _dist(tmp_path: Path, name: str = "dist") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "index.html").write_text(name)
    return root


def test_a_frontend_leaves_the_native_fast_path_alone(tmp_path: Path) -> None:
    app = FerroAPI(openapi_url=None)

    @app.get("/items/{item_id}")
    def item(item_id: int) -> int:
        return item_id

    app.frontend("/", directory=_dist(tmp_path), fallback="index.html")
    table = app.router.route_table()
    assert isinstance(table.single, NativeSegment)
    assert [type(route) for route in table.low_priority] == [FrontendRouteGroup]
    client = TestClient(app)
    assert client.get("/items/3").json() == 3
    assert client.get("/page", headers={"accept": "text/html"}).text == "dist"
    assert app.router.route_table() is table  # requests never recompile


def test_frontend_and_routes_added_later_recompile_once(tmp_path: Path) -> None:
    app = FerroAPI(openapi_url=None)
    client = TestClient(app)
    assert client.get("/x", headers={"accept": "text/html"}).status_code == 404
    first = app.router.route_table()
    app.frontend("/", directory=_dist(tmp_path), fallback="index.html")
    assert client.get("/x", headers={"accept": "text/html"}).text == "dist"
    second = app.router.route_table()
    assert second is not first
    assert client.get("/y", headers={"accept": "text/html"}).text == "dist"
    assert app.router.route_table() is second


def test_low_priority_order_own_routes_then_inclusions(tmp_path: Path) -> None:
    async def low(request: object) -> PlainTextResponse:
        return PlainTextResponse("low")

    child = APIRouter()
    child.frontend("/", directory=_dist(tmp_path, "child"), fallback="index.html")
    parent = APIRouter()
    parent.include_router(child, prefix="/child")
    app = FerroAPI(openapi_url=None)
    app.include_router(parent, prefix="/parent")
    app.router._low_priority_routes.append(Route("/low", low))
    app.frontend("/", directory=_dist(tmp_path, "root"), fallback="index.html")

    candidates = app.router.route_table().low_priority
    assert [type(route) for route in candidates] == [Route, FrontendRouteGroup, IncludedFrontendGroup]
    included = candidates[2]
    assert isinstance(included, IncludedFrontendGroup) and included.prefix == "/parent/child"
    client = TestClient(app)
    html = {"accept": "text/html"}
    assert client.get("/low").text == "low"
    assert client.get("/parent/child/page", headers=html).text == "child"  # the longer prefix wins
    assert client.get("/parent/other", headers=html).text == "root"


def test_inclusion_reuses_its_flattened_low_priority_routes(tmp_path: Path) -> None:
    router = APIRouter()
    router.frontend("/", directory=_dist(tmp_path))
    app = FerroAPI(openapi_url=None)
    app.include_router(router, prefix="/app")
    entry = app.router.routes[-1]
    first = entry.effective_low_priority_routes()  # type: ignore[attr-defined]
    assert entry.effective_low_priority_routes() is first  # type: ignore[attr-defined]
    router.frontend("/other", directory=_dist(tmp_path, "other"))
    assert entry.effective_low_priority_routes() is not first  # type: ignore[attr-defined]
