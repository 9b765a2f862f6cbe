"""The documentation routes of an app: offline pages, their assets, root_path, and the cached document."""

from __future__ import annotations

import re

import pytest

from ferroapi import FerroAPI
from ferroapi.testclient import TestClient

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


def _app(**options: object) -> FerroAPI:
    app = FerroAPI(**options)  # type: ignore[arg-type]

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_load_every_asset_from_the_app(page: str) -> None:
    client = TestClient(_app())
    body = client.get(page).text
    assets = ASSET.findall(body)
    assert assets
    for url in assets:
        assert url.startswith("/docs/static/"), url  # no CDN, no font service
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content
    assert "googleapis" not in body


def test_pages_follow_root_path() -> None:
    client = TestClient(_app(), root_path="/api")
    swagger = client.get("/docs").text
    assert "url: '/api/openapi.json'," in swagger
    assert "window.location.origin + '/api/docs/oauth2-redirect'" in swagger
    assert all(url.startswith("/api/docs/static/") for url in ASSET.findall(swagger))
    redoc = client.get("/redoc").text
    assert '<redoc spec-url="/api/openapi.json">' in redoc
    assert all(url.startswith("/api/docs/static/") for url in ASSET.findall(redoc))
    assert client.get("/openapi.json").json()["servers"] == [{"url": "/api"}]


def test_redoc_alone_still_serves_its_assets() -> None:
    client = TestClient(_app(docs_url=None))
    assert client.get("/docs").status_code == 404
    (script,) = [url for url in ASSET.findall(client.get("/redoc").text) if url.endswith(".js")]
    assert client.get(script).status_code == 200


def test_no_docs_no_assets() -> None:
    app = _app(docs_url=None, redoc_url=None)
    assert not [route for route in app.routes if getattr(route, "path", "").startswith("/docs")]


def test_swagger_ui_options_and_oauth2_redirect_page() -> None:
    client = TestClient(
        _app(
            swagger_ui_parameters={"syntaxHighlight": False},
            swagger_ui_init_oauth={"clientId": "c"},
            swagger_ui_oauth2_redirect_url="/docs/back",
        )
    )
    body = client.get("/docs").text
    assert '"syntaxHighlight": false,' in body
    assert 'ui.initOAuth({"clientId": "c"})' in body
    assert "window.location.origin + '/docs/back'" in body
    assert "swaggerUIRedirectOauth2" in client.get("/docs/back").text


def test_document_is_built_once() -> None:
    app = _app()
    assert app.openapi() is app.openapi()
    assert TestClient(app).get("/openapi.json").json() == app.openapi()


def test_document_is_rebuilt_when_routes_change() -> None:
    app = _app()
    first = app.openapi()

    @app.post("/late")
    def late() -> None: ...

    second = app.openapi()
    assert second is not first
    assert set(second["paths"]) == {"/items/{item_id}", "/late"}
    assert app.openapi() is second


def test_a_document_assigned_by_the_user_is_kept() -> None:
    app = _app()
    app.openapi()
    mine = {"openapi": "3.1.0", "info": {"title": "mine", "version": "1"}, "paths": {}}
    app.openapi_schema = mine
    assert app.openapi() is mine
    app.add_api_route("/later", lambda: None)  # a route change does not overwrite the user's document
    assert app.openapi() is mine
    assert TestClient(app).get("/openapi.json").json()["info"]["title"] == "mine"
