"""The app's OpenAPI document and the documentation routes it adds: /openapi.json, Swagger UI, its
OAuth2 redirect, ReDoc."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from ferroapi._routing.routelist import _Epoch

if TYPE_CHECKING:
    from ferroapi.applications import FerroAPI


def openapi_document(app: FerroAPI) -> dict[str, Any]:
    """`app.openapi()`: generated on first use and again after any route list changes."""
    assigned = app.openapi_schema
    # A document the user assigned is theirs (FastAPI keeps it); ours is rebuilt when routes change.
    fresh = app._openapi_epoch == _Epoch.value
    if assigned is not None and (assigned is not app._generated_openapi or fresh):
        return assigned
    from ferroapi.openapi.utils import get_openapi

    app._openapi_epoch = _Epoch.value
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        summary=app.summary,
        description=app.description,
        terms_of_service=app.terms_of_service,
        contact=app.contact,
        license_info=app.license_info,
        routes=app.router.effective_routes(),
        webhooks=app.webhooks.effective_routes(),
        tags=app.openapi_tags,
        servers=app.servers,
        separate_input_output_schemas=app.separate_input_output_schemas,
        external_docs=app.openapi_external_docs,
    )
    app.openapi_schema = app._generated_openapi = document
    return document


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


@dataclass
class _Assets:
    """Whether the docs assets are served by the app (set once mounted, after the page routes)."""

    local: bool = False


def add_docs_routes(app: FerroAPI) -> None:
    openapi_url = app.openapi_url
    if not openapi_url:
        return

    async def openapi(request: Request) -> JSONResponse:
        root_path = _root(request)
        schema = app.openapi()
        if root_path and app.root_path_in_servers:
            server_urls = {server.get("url") for server in schema.get("servers", [])}
            if root_path not in server_urls:
                schema = {**schema, "servers": [{"url": root_path}, *schema.get("servers", [])]}
        return JSONResponse(schema)

    app.add_route(openapi_url, openapi, include_in_schema=False)
    assets = _Assets()
    if app.docs_url:
        _add_swagger_ui(app, openapi_url, assets)
    if app.redoc_url:
        _add_redoc(app, openapi_url, assets)
    if app.docs_url or app.redoc_url:
        # After the page routes: FastAPI's route order, with one mount appended.
        assets.local = _mount_assets(app)


def _mount_assets(app: FerroAPI) -> bool:
    """Serve Swagger UI's and ReDoc's files from the app (no CDN); False if the bundle is missing."""
    from ferroapi.openapi.docs import DOCS_STATIC_PATH, docs_static_app

    try:
        static = docs_static_app()
    except (ImportError, RuntimeError):
        return False
    app.mount(DOCS_STATIC_PATH, static, name="docs_static")
    return True


def _add_swagger_ui(app: FerroAPI, openapi_url: str, assets: _Assets) -> None:
    from ferroapi.openapi import docs

    assert app.docs_url is not None

    async def swagger_ui_html(request: Request) -> HTMLResponse:
        root_path = _root(request)
        redirect_url = app.swagger_ui_oauth2_redirect_url
        urls: dict[str, Any] = (
            docs.local_swagger_ui_urls(root_path)
            if assets.local
            else {
                "swagger_js_url": docs.SWAGGER_UI_CDN_JS_URL,
                "swagger_css_url": docs.SWAGGER_UI_CDN_CSS_URL,
                "swagger_favicon_url": docs.FASTAPI_FAVICON_URL,
            }
        )
        return docs.get_swagger_ui_html(
            openapi_url=root_path + openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root_path + redirect_url if redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
            **urls,
        )

    app.add_route(app.docs_url, swagger_ui_html, include_in_schema=False)
    if app.swagger_ui_oauth2_redirect_url:

        async def swagger_ui_redirect(request: Request) -> HTMLResponse:
            return docs.get_swagger_ui_oauth2_redirect_html()

        app.add_route(app.swagger_ui_oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)


def _add_redoc(app: FerroAPI, openapi_url: str, assets: _Assets) -> None:
    from ferroapi.openapi import docs

    assert app.redoc_url is not None

    async def redoc_html(request: Request) -> HTMLResponse:
        root_path = _root(request)
        urls: dict[str, Any] = (
            docs.local_redoc_urls(root_path)
            if assets.local
            else {"redoc_js_url": docs.REDOC_CDN_JS_URL, "redoc_favicon_url": docs.FASTAPI_FAVICON_URL}
        )
        return docs.get_redoc_html(
            openapi_url=root_path + openapi_url,
            title=f"{app.title} - ReDoc",
            with_google_fonts=not assets.local,  # served offline: no font CDN either
            **urls,
        )

    app.add_route(app.redoc_url, redoc_html, include_in_schema=False)
