"""Interactive documentation pages: Swagger UI, ReDoc, and Swagger UI's OAuth2 redirect page.

The pages load their assets from the application itself, so they work offline and nothing is fetched
from the internet at run time:
- Swagger UI 5.x (needed for OpenAPI 3.1) comes from the `swagger-ui-bundle-v2` package (a dependency);
- ReDoc 2.x is vendored in `ferroapi/openapi/static/redoc/` (see the README there for its provenance:
  no PyPI package ships it without pulling Django, Flask or FastAPI).
`docs_static_app()` serves both; FerroAPI mounts it at `DOCS_STATIC_PATH`. Asset URLs carry the
package name and version (`swagger-ui-dist@5.31.0/...`, `redoc@2.5.4/...`), so a browser never reuses a
stale bundle after an upgrade. FastAPI's CDN URLs stay available (`*_CDN_*`), one argument away.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse
from starlette.routing import Mount, Router
from starlette.staticfiles import StaticFiles

from ferroapi.encoders import jsonable_encoder

__all__ = [
    "DOCS_STATIC_PATH",
    "REDOC_CDN_JS_URL",
    "REDOC_VERSION",
    "SWAGGER_UI_CDN_CSS_URL",
    "SWAGGER_UI_CDN_JS_URL",
    "docs_static_app",
    "get_redoc_html",
    "get_swagger_ui_html",
    "get_swagger_ui_oauth2_redirect_html",
    "local_redoc_urls",
    "local_swagger_ui_urls",
    "redoc_assets_dir",
    "swagger_ui_assets_dir",
    "swagger_ui_default_parameters",
    "swagger_ui_version",
]

DOCS_STATIC_PATH = "/docs/static"
REDOC_VERSION = "2.5.4"  # of the vendored bundle: keep in step with static/README.md
SWAGGER_UI_CDN_JS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_UI_CDN_CSS_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
REDOC_CDN_JS_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
FASTAPI_FAVICON_URL = "https://fastapi.tiangolo.com/img/favicon.png"

swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}


# --- the assets ----------------------------------------------------------------------------------


@cache
def swagger_ui_assets_dir() -> Path:
    """The folder of Swagger UI's distribution files inside the `swagger-ui-bundle-v2` package."""
    # Imported when the assets are first mounted: if it is missing, the pages use the CDN instead
    # (`docs_routes._mount_assets` catches the ImportError).
    from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

    return Path(str(swagger_ui_path))


def swagger_ui_version() -> str:
    """The packaged Swagger UI version, read from its folder name (`swagger-ui-5.31.0`)."""
    return swagger_ui_assets_dir().name.removeprefix("swagger-ui-")


def redoc_assets_dir() -> Path:
    return Path(__file__).with_name("static") / "redoc"


def _swagger_prefix() -> str:
    return f"swagger-ui-dist@{swagger_ui_version()}"


def _redoc_prefix() -> str:
    return f"redoc@{REDOC_VERSION}"


def docs_static_app() -> Router:
    """ASGI app serving Swagger UI's and ReDoc's files; FerroAPI mounts it at `DOCS_STATIC_PATH`.

    Raises ImportError when the Swagger UI package is missing (the pages then fall back to the CDN).
    """
    return Router(
        routes=[
            Mount(f"/{_swagger_prefix()}", StaticFiles(directory=swagger_ui_assets_dir())),
            Mount(f"/{_redoc_prefix()}", StaticFiles(directory=redoc_assets_dir())),
        ]
    )


def local_swagger_ui_urls(root_path: str = "", static_path: str = DOCS_STATIC_PATH) -> dict[str, str]:
    """`swagger_js_url`, `swagger_css_url`, `swagger_favicon_url` for assets mounted at `static_path`."""
    base = f"{root_path}{static_path}/{_swagger_prefix()}"
    return {
        "swagger_js_url": f"{base}/swagger-ui-bundle.js",
        "swagger_css_url": f"{base}/swagger-ui.css",
        "swagger_favicon_url": f"{base}/favicon-32x32.png",
    }


def local_redoc_urls(root_path: str = "", static_path: str = DOCS_STATIC_PATH) -> dict[str, str]:
    """`redoc_js_url`, `redoc_favicon_url` for assets mounted at `static_path`."""
    return {
        "redoc_js_url": f"{root_path}{static_path}/{_redoc_prefix()}/redoc.standalone.js",
        "redoc_favicon_url": local_swagger_ui_urls(root_path, static_path)["swagger_favicon_url"],
    }


# --- safe embedding ------------------------------------------------------------------------------


def _html_safe(text: str) -> str:
    """No `<`, `>` or `&` left: the text cannot close the <script> element it sits in."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _html_safe_json(value: Any) -> str:
    """`value` as JSON that is safe inside a <script> element (FastAPI's helper)."""
    return _html_safe(json.dumps(value))


def _script_json(value: Any) -> str:
    """Any value (encoded with jsonable_encoder first) as JSON that is safe inside a <script> element."""
    return _html_safe_json(jsonable_encoder(value))


def _script_string(text: str) -> str:
    """A single-quoted JavaScript string literal (FastAPI's spelling), safe inside a <script> element."""
    inner = json.dumps(text)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{_html_safe(inner)}'"


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


# --- the pages -----------------------------------------------------------------------------------


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = SWAGGER_UI_CDN_JS_URL,
    swagger_css_url: str = SWAGGER_UI_CDN_CSS_URL,
    swagger_favicon_url: str = FASTAPI_FAVICON_URL,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page for the document at `openapi_url` (FastAPI's parameters).

    The default asset URLs are FastAPI's (a CDN): a page served by other code than the app's own /docs
    route (a custom docs route, an extension) has no assets mounted for it. The app's /docs page
    passes the URLs of the assets it serves at `DOCS_STATIC_PATH`.
    """
    parameters = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    config = [f"url: {_script_string(openapi_url)},"]
    config += [f"{_script_json(key)}: {_script_json(value)}," for key, value in parameters.items()]
    if oauth2_redirect_url:
        config.append(f"oauth2RedirectUrl: window.location.origin + {_script_string(oauth2_redirect_url)},")
    config.append("presets: [")
    config.append("  SwaggerUIBundle.presets.apis,")
    config.append("  SwaggerUIBundle.SwaggerUIStandalonePreset")
    config.append("],")
    oauth = f"\n    ui.initOAuth({_script_json(init_oauth)})" if init_oauth else ""
    body = "\n      ".join(config)
    page = f"""<!DOCTYPE html>
<html>
<head>
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link type="text/css" rel="stylesheet" href="{_attribute(swagger_css_url)}">
  <link rel="shortcut icon" href="{_attribute(swagger_favicon_url)}">
  <title>{html.escape(title, quote=False)}</title>
</head>
<body>
  <div id="swagger-ui">
  </div>
  <script src="{_attribute(swagger_js_url)}"></script>
  <!-- `SwaggerUIBundle` is now available on the page -->
  <script>
    const ui = SwaggerUIBundle({{
      {body}
    }}){oauth}
  </script>
</body>
</html>
"""
    return HTMLResponse(page)


_GOOGLE_FONTS = (
    '<link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"'
    ' rel="stylesheet">'
)


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = REDOC_CDN_JS_URL,
    redoc_favicon_url: str = FASTAPI_FAVICON_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page for the document at `openapi_url` (FastAPI's parameters).

    The defaults are FastAPI's (CDN URLs, Google fonts); the app's own /redoc page passes the assets it
    serves at `DOCS_STATIC_PATH` and turns the fonts off, to stay offline.
    """
    fonts = _GOOGLE_FONTS if with_google_fonts else ""
    page = f"""<!DOCTYPE html>
<html>
<head>
  <title>{html.escape(title, quote=False)}</title>
  <!-- needed for adaptive design -->
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  {fonts}
  <link rel="shortcut icon" href="{_attribute(redoc_favicon_url)}">
  <!-- ReDoc doesn't change outer page styles -->
  <style>
    body {{
      margin: 0;
      padding: 0;
    }}
  </style>
</head>
<body>
  <noscript>
    ReDoc requires Javascript to function. Please enable it to browse the documentation.
  </noscript>
  <redoc spec-url="{_attribute(openapi_url)}"></redoc>
  <script src="{_attribute(redoc_js_url)}"> </script>
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
