"""The OpenAPI models and the documentation pages."""

from __future__ import annotations

import fastapi.openapi.models as fastapi_models
import pytest

from ferroapi.openapi import models
from ferroapi.openapi.docs import (
    docs_static_app,
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    local_swagger_ui_urls,
    swagger_ui_assets_dir,
)

PUBLIC_MODELS = [
    name
    for name in dir(fastapi_models)
    if isinstance(getattr(fastapi_models, name), type)
    and issubclass(getattr(fastapi_models, name), fastapi_models.BaseModel)
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


def test_swagger_ui_page_uses_local_assets_by_default() -> None:
    body = get_swagger_ui_html(openapi_url="/openapi.json", title="API").body.decode()
    assert "cdn" not in body
    for url in local_swagger_ui_urls().values():
        assert url in body
    assert '"/openapi.json"' in body
    assert '"deepLinking": true' in body


def test_swagger_ui_parameters_oauth_and_escaping() -> None:
    body = get_swagger_ui_html(
        openapi_url="/o.json",
        title="T",
        swagger_js_url="https://cdn.example/js",
        oauth2_redirect_url="/docs/oauth2-redirect",
        init_oauth={"clientId": "</script>"},
        swagger_ui_parameters={"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}},
    ).body.decode()
    assert "https://cdn.example/js" in body
    assert '"deepLinking": false' in body
    assert '"syntaxHighlight": {"theme": "obsidian"}' in body
    assert "oauth2RedirectUrl: window.location.origin + " in body
    assert "ui.initOAuth(" in body
    assert '</script>"}' not in body


def test_redoc_page() -> None:
    body = get_redoc_html(openapi_url="/o.json", title="T", with_google_fonts=False).body.decode()
    assert '<redoc spec-url="/o.json">' in body
    assert "fonts.googleapis.com" not in body


def test_oauth2_redirect_page_inlines_swagger_ui_script() -> None:
    body = get_swagger_ui_oauth2_redirect_html().body.decode()
    assert "swaggerUIRedirectOauth2" in body


def test_static_assets_are_packaged() -> None:
    folder = swagger_ui_assets_dir()
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "oauth2-redirect.js"):
        assert (folder / name).is_file()
    assert docs_static_app() is not None
