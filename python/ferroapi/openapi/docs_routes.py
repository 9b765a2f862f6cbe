"""The app's OpenAPI document and the documentation routes it adds: /openapi.json, Swagger UI, its
OAuth2 redirect, ReDoc.

The app is read through `DocsApp` (what these read and write of a `FerroAPI`): this module sits below
`ferroapi.applications`, which calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute

from ferroapi._routing.routelist import _Epoch
from ferroapi.openapi import docs

__all__ = ["DocsApp", "add_docs_routes", "openapi_document"]


class _Routes(Protocol):
    def effective_routes(self) -> list[BaseRoute]: ...


class DocsApp(Protocol):
    """What the document and the docs routes read of the app (a `FerroAPI`)."""

    # the generated document, cached (written here)
    openapi_schema: dict[str, Any] | None
    _openapi_epoch: int | None
    _generated_openapi: dict[str, Any] | None

    @property
    def router(self) -> _Routes: ...
    @property
    def webhooks(self) -> _Routes: ...
    @property
    def title(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def openapi_version(self) -> str: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def description(self) -> str: ...
    @property
    def terms_of_service(self) -> str | None: ...
    @property
    def contact(self) -> dict[str, Any] | None: ...
    @property
    def license_info(self) -> dict[str, Any] | None: ...
    @property
    def openapi_tags(self) -> list[dict[str, Any]] | None: ...
    @property
    def servers(self) -> list[dict[str, Any]]: ...
    @property
    def separate_input_output_schemas(self) -> bool: ...
    @property
    def openapi_external_docs(self) -> dict[str, Any] | None: ...
    @property
    def openapi_url(self) -> str | None: ...
    @property
    def root_path_in_servers(self) -> bool: ...
    @property
    def docs_url(self) -> str | None: ...
    @property
    def redoc_url(self) -> str | None: ...
    @property
    def swagger_ui_oauth2_redirect_url(self) -> str | None: ...
    @property
    def swagger_ui_init_oauth(self) -> dict[str, Any] | None: ...
    @property
    def swagger_ui_parameters(self) -> dict[str, Any] | None: ...

    def openapi(self) -> dict[str, Any]: ...
    def add_route(self, *args: Any, **kwargs: Any) -> None: ...
    def mount(self, *args: Any, **kwargs: Any) -> None: ...


def openapi_document(app: DocsApp) -> dict[str, Any]:
    """`app.openapi()`: generated on first use and again after any route list changes."""
    assigned = app.openapi_schema
    # A document the user assigned is theirs (FastAPI keeps it); ours is rebuilt when routes change.
    fresh = app._openapi_epoch == _Epoch.value
    if assigned is not None and (assigned is not app._generated_openapi or fresh):
        return assigned
    # The generator is imported on first use: an app that serves no document never loads it.
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


def add_docs_routes(app: DocsApp) -> None:
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


def _mount_assets(app: DocsApp) -> bool:
    """Serve Swagger UI's and ReDoc's files from the app (no CDN); False if the bundle is missing."""
    try:
        static = docs.docs_static_app()
    except (ImportError, RuntimeError):
        return False
    app.mount(docs.DOCS_STATIC_PATH, static, name="docs_static")
    return True


def _add_swagger_ui(app: DocsApp, openapi_url: str, assets: _Assets) -> None:
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


def _add_redoc(app: DocsApp, openapi_url: str, assets: _Assets) -> None:
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
