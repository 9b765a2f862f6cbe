"""Interactive documentation pages: Swagger UI, ReDoc, and Swagger UI's OAuth2 redirect page.

Swagger UI (5.x, needed for OpenAPI 3.1) is served by the application itself from the
`swagger-ui-bundle-v2` package: `docs_static_app()` is the ASGI app over its files, mounted by FerroAPI
at `DOCS_STATIC_PATH`, and the page functions point there by default, so no page loads a CDN unless
asked to (the `*_CDN_*` constants keep FastAPI's URLs one argument away). ReDoc has no packaged bundle
free of Django/Flask/FastAPI dependencies, so `get_redoc_html` keeps FastAPI's CDN default.
"""

from __future__ import annotations

import html as _html
import json
from functools import cache
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from ferroapi.encoders import jsonable_encoder

__all__ = [
    "DOCS_STATIC_PATH",
    "SWAGGER_UI_CDN_CSS_URL",
    "SWAGGER_UI_CDN_JS_URL",
    "docs_static_app",
    "get_redoc_html",
    "get_swagger_ui_html",
    "get_swagger_ui_oauth2_redirect_html",
    "local_swagger_ui_urls",
    "swagger_ui_assets_dir",
    "swagger_ui_default_parameters",
]

DOCS_STATIC_PATH = "/docs/static"
SWAGGER_UI_CDN_JS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_UI_CDN_CSS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
FASTAPI_FAVICON_URL = "https://fastapi.tiangolo.com/img/favicon.png"
REDOC_CDN_JS_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"

swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}


@cache
def swagger_ui_assets_dir() -> Path:
    """The folder of Swagger UI's distribution files inside the `swagger-ui-bundle-v2` package."""
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    return Path(str(swagger_ui_path))


def docs_static_app() -> StaticFiles:
    """ASGI app serving Swagger UI's files; FerroAPI mounts it at `DOCS_STATIC_PATH`."""
    return StaticFiles(directory=swagger_ui_assets_dir())


def local_swagger_ui_urls(root_path: str = "", static_path: str = DOCS_STATIC_PATH) -> dict[str, str]:
    """`swagger_js_url`, `swagger_css_url`, `swagger_favicon_url` for assets mounted at `static_path`."""
    base = f"{root_path}{static_path}"
    return {
        "swagger_js_url": f"{base}/swagger-ui-bundle.js",
        "swagger_css_url": f"{base}/swagger-ui.css",
        "swagger_favicon_url": f"{base}/favicon-32x32.png",
    }


_LOCAL = local_swagger_ui_urls()


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no `</script>`, no HTML entities)."""
    text = json.dumps(jsonable_encoder(value))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = _LOCAL["swagger_js_url"],
    swagger_css_url: str = _LOCAL["swagger_css_url"],
    swagger_favicon_url: str = _LOCAL["swagger_favicon_url"],
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page for the document at `openapi_url` (FastAPI's parameters)."""
    parameters = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    config_lines = [f"url: {_script_json(openapi_url)},"]
    config_lines += [f"{_script_json(key)}: {_script_json(value)}," for key, value in parameters.items()]
    if oauth2_redirect_url:
        config_lines.append(
            f"oauth2RedirectUrl: window.location.origin + {_script_json(oauth2_redirect_url)},"
        )
    config_lines.append("presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],")
    oauth = f"ui.initOAuth({_script_json(init_oauth)});" if init_oauth else ""
    config = "\n      ".join(config_lines)
    page = f"""<!DOCTYPE html>
<html>
<head>
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link type="text/css" rel="stylesheet" href="{_html.escape(swagger_css_url)}">
  <link rel="shortcut icon" href="{_html.escape(swagger_favicon_url)}">
  <title>{title}</title>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{_html.escape(swagger_js_url)}"></script>
  <script>
    const ui = SwaggerUIBundle({{
      {config}
    }});
    {oauth}
  </script>
</body>
</html>
"""
    return HTMLResponse(page)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = REDOC_CDN_JS_URL,
    redoc_favicon_url: str = FASTAPI_FAVICON_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page for the document at `openapi_url` (FastAPI's parameters and defaults)."""
    fonts = (
        '<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"'
        ' rel="stylesheet">'
        if with_google_fonts
        else ""
    )
    page = f"""<!DOCTYPE html>
<html>
<head>
  <title>{title}</title>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  {fonts}
  <link rel="shortcut icon" href="{_html.escape(redoc_favicon_url)}">
  <style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
  <noscript>ReDoc requires Javascript to function. Please enable it to browse the documentation.</noscript>
  <redoc spec-url="{_html.escape(openapi_url)}"></redoc>
  <script src="{_html.escape(redoc_js_url)}"> </script>
</body>
</html>
"""
    return HTMLResponse(page)


@cache
def _oauth2_redirect_script() -> str:
    return (swagger_ui_assets_dir() / "oauth2-redirect.js").read_text(encoding="utf-8")


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page an OAuth2 provider redirects to; it hands the result back to the Swagger UI window.

    The script is Swagger UI's own `oauth2-redirect.js` of the packaged version, inlined so the page
    works wherever it is served.
    """
    page = f"""<!doctype html>
<html lang="en-US">
<head>
  <title>Swagger UI: OAuth2 Redirect</title>
</head>
<body>
<script>
{_oauth2_redirect_script()}
</script>
</body>
</html>
"""
    return HTMLResponse(content=page)
