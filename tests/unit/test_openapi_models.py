"""The OpenAPI models and the documentation pages."""

from __future__ import annotations

import hashlib

import fastapi.openapi.models as fastapi_models
import pytest
from pydantic import BaseModel
from starlette.responses import Response

from ferroapi.openapi import models
from ferroapi.openapi.docs import (
    REDOC_VERSION,
    docs_static_app,
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    local_redoc_urls,
    local_swagger_ui_urls,
    redoc_assets_dir,
    swagger_ui_assets_dir,
    swagger_ui_version,
)


def _text(response: Response) -> str:
    """A page's body as text (starlette annotates `Response.body` as bytes or memoryview)."""
    return bytes(response.body).decode()


PUBLIC_MODELS = [
    name
    for name in dir(fastapi_models)
    if isinstance(getattr(fastapi_models, name), type)
    and issubclass(getattr(fastapi_models, name), BaseModel)
    and getattr(fastapi_models, name).__module__ == fastapi_models.__name__
]


@pytest.mark.parametrize("name", PUBLIC_MODELS)
def test_model_json_schema_matches_fastapi(name: str) -> None:
    ours = getattr(models, name)
    theirs = getattr(fastapi_models, name)
    assert ours.model_json_schema() == theirs.model_json_schema()


def test_enums_and_aliases() -> None:
    assert [m.value for m in models.SecuritySchemeType] == ["apiKey", "http", "oauth2", "openIdConnect"]
    assert [m.value for m in models.APIKeyIn] == ["query", "header", "cookie"]
    parameter = models.Parameter.model_validate({"name": "q", "in": "query", "x-extra": 1})
    assert parameter.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "name": "q",
        "in": "query",
        "x-extra": 1,
    }


def test_swagger_ui_page_defaults_to_fastapis_asset_urls() -> None:
    # Called directly (a custom docs route, an extension), nothing is mounted for the page: FastAPI's
    # CDN defaults. The app's own /docs route passes the local URLs (test_openapi_docs_routes).
    body = _text(get_swagger_ui_html(openapi_url="/openapi.json", title="API"))
    for url in ("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js",
                "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css",
                "https://fastapi.tiangolo.com/img/favicon.png"):  # fmt: skip
        assert url in body
    assert "url: '/openapi.json'," in body
    assert '"deepLinking": true' in body


def test_swagger_ui_page_with_local_assets() -> None:
    urls = local_swagger_ui_urls()
    body = _text(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="API",
            swagger_js_url=urls["swagger_js_url"],
            swagger_css_url=urls["swagger_css_url"],
            swagger_favicon_url=urls["swagger_favicon_url"],
        )
    )
    assert "cdn" not in body
    for url in urls.values():
        assert url in body


def test_swagger_ui_urls_are_quoted_safely() -> None:
    body = _text(
        get_swagger_ui_html(openapi_url="/o'</script>.json", title="<T>", oauth2_redirect_url="/r'x")
    )
    assert "url: '/o\\'\\u003c/script\\u003e.json'," in body
    assert "oauth2RedirectUrl: window.location.origin + '/r\\'x'," in body
    assert "<title>&lt;T&gt;</title>" in body
    assert "</script>.json" not in body


def test_swagger_ui_parameters_oauth_and_escaping() -> None:
    body = _text(
        get_swagger_ui_html(
            openapi_url="/o.json",
            title="T",
            swagger_js_url="https://cdn.example/js",
            oauth2_redirect_url="/docs/oauth2-redirect",
            init_oauth={"clientId": "</script>"},
            swagger_ui_parameters={"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}},
        )
    )
    assert "https://cdn.example/js" in body
    assert '"deepLinking": false' in body
    assert '"syntaxHighlight": {"theme": "obsidian"}' in body
    assert "oauth2RedirectUrl: window.location.origin + " in body
    assert "ui.initOAuth(" in body
    assert '</script>"}' not in body


def test_redoc_page() -> None:
    urls = local_redoc_urls()
    body = _text(get_redoc_html(openapi_url="/o.json", title="T", with_google_fonts=False, **urls))
    assert '<redoc spec-url="/o.json">' in body
    assert "fonts.googleapis.com" not in body
    assert "cdn" not in body
    for url in urls.values():
        assert url in body
    default = _text(get_redoc_html(openapi_url="/o.json", title="T"))
    assert "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js" in default


def test_redoc_page_keeps_fastapis_google_fonts_default() -> None:
    assert "fonts.googleapis.com" in _text(get_redoc_html(openapi_url="/o.json", title="T"))


def test_oauth2_redirect_page_inlines_swagger_ui_script() -> None:
    body = _text(get_swagger_ui_oauth2_redirect_html())
    assert "swaggerUIRedirectOauth2" in body


def test_static_assets_are_packaged() -> None:
    folder = swagger_ui_assets_dir()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "oauth2-redirect.js"):
        assert (folder / name).is_file()
    assert swagger_ui_version().startswith("5.")
    assert docs_static_app() is not None


def test_vendored_redoc_matches_its_provenance_note() -> None:
    folder = redoc_assets_dir()
    bundle = (folder / "redoc.standalone.js").read_bytes()
    note = (folder.parent / "README.md").read_text()
    assert hashlib.sha256(bundle).hexdigest() in note
    assert f"ReDoc {REDOC_VERSION}" in note
    assert f'Version: "{REDOC_VERSION}"' in (folder / "redoc.standalone.js.LICENSE.txt").read_text()
    assert "MIT License" in (folder / "LICENSE").read_text()


def test_local_urls_are_versioned_and_root_path_aware() -> None:
    assert local_swagger_ui_urls("/api")["swagger_js_url"] == (
        f"/api/docs/static/swagger-ui-dist@{swagger_ui_version()}/swagger-ui-bundle.js"
    )
    assert local_redoc_urls()["redoc_js_url"] == f"/docs/static/redoc@{REDOC_VERSION}/redoc.standalone.js"
