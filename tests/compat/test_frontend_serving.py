"""`frontend()`: a static build served after every route, compared with FastAPI request by request."""

from pathlib import Path
from typing import Any

import pytest
from _dual import Framework, Req

HTML = {"accept": "text/html"}
HEADERS = ("content-type", "content-length", "location", "allow", "set-cookie", "x-dep", "etag")


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "dist",
        {
            "index.html": "<html>shell</html>",
            "assets/app.js": "console.log(1)",
            "guide/index.html": "guide index",
            "api/users": "a file shadowed by the API route",
        },
    )


def test_routes_redirects_and_files_in_fastapi_order(fw: Framework, dist: Path) -> None:
    def app(fw: Framework) -> Any:
        app = fw.App(title="frontend")

        @app.get("/api/users")
        def users() -> dict[str, str]:
            return {"source": "api"}

        @app.get("/api/items/")
        def items() -> list[int]:
            return [1]

        @app.get("/api/missing")
        def missing() -> None:
            raise fw.mod.HTTPException(404, "api says no")

        app.frontend("/", directory=dist, fallback="index.html")
        return app

    fw.compare(
        app,
        [
            Req("GET", "/api/users", headers=HTML),
            Req("POST", "/api/users"),  # a partial match of a route: 405, not the frontend
            Req("GET", "/api/items"),  # slash redirect before the frontend
            Req("GET", "/api/missing", headers=HTML),  # the route's own 404 stays
            Req("GET", "/assets/app.js"),
            Req("HEAD", "/assets/app.js"),
            Req("GET", "/guide"),  # a directory index: redirect to the slash
            Req("GET", "/guide/"),
            Req("GET", "/some/client/route", headers=HTML),
            Req("GET", "/some/client/route", headers={"accept": "application/json"}),
            Req("GET", "/some/client/route", headers={"accept": "text/html;q=0, */*"}),
            Req("POST", "/assets/app.js"),
            Req("DELETE", "/some/client/route", headers=HTML),
            Req("GET", "/openapi.json"),
        ],
        headers=HEADERS,
    )


def test_included_frontends_prefixes_and_dependencies(fw: Framework, tmp_path: Path) -> None:
    site = _write(tmp_path / "site", {"index.html": "site", "404.html": "site 404"})
    admin = _write(tmp_path / "admin", {"index.html": "admin", "admin.js": "admin js"})

    def app(fw: Framework) -> Any:
        m = fw.mod

        def require_cookie(request: m.Request, response: m.Response) -> None:  # type: ignore[name-defined]
            if request.cookies.get("session") != "ok":
                raise m.HTTPException(401, "login first")
            response.headers["x-dep"] = "ran"

        admin_router = m.APIRouter(prefix="/admin", dependencies=[m.Depends(require_cookie)])
        admin_router.frontend("/", directory=admin, fallback="index.html")

        @admin_router.get("/api/me")
        def me() -> dict[str, str]:
            return {"me": "admin"}

        outer = m.APIRouter()
        outer.include_router(admin_router, prefix="/v1")
        app = fw.App()
        app.frontend("/", directory=site)
        app.include_router(outer)
        return app

    fw.compare(
        app,
        [
            Req("GET", "/v1/admin/admin.js"),
            Req("GET", "/v1/admin/admin.js", cookies={"session": "ok"}),
            Req("GET", "/v1/admin/settings", headers=HTML, cookies={"session": "ok"}),
            Req("GET", "/v1/admin/api/me", cookies={"session": "ok"}),
            Req("GET", "/v1/administration", headers=HTML),  # segment boundary: the site's frontend
            Req("GET", "/elsewhere", headers=HTML),  # auto fallback prefers 404.html
            Req("POST", "/v1/admin/settings", headers=HTML),
        ],
        headers=HEADERS,
    )


def test_routes_added_after_the_first_request_still_win(fw: Framework, dist: Path) -> None:
    def app(fw: Framework) -> Any:
        m = fw.mod
        router = m.APIRouter()
        app = fw.App()
        app.frontend("/", directory=dist, fallback="index.html")
        app.include_router(router, prefix="/late")

        @app.middleware("http")
        async def add_route_once(request: Any, call_next: Any) -> Any:
            if request.url.path == "/add":

                @router.get("/page")
                def page() -> dict[str, bool]:
                    return {"late": True}

            return await call_next(request)

        return app

    fw.compare(
        app,
        [
            Req("GET", "/late/page", headers=HTML),
            Req("GET", "/add"),
            Req("GET", "/late/page", headers=HTML),
        ],
        headers=HEADERS,
    )


def test_custom_404_handler_and_mounted_frontend(fw: Framework, dist: Path) -> None:
    def app(fw: Framework) -> Any:
        m = fw.mod
        responses = fw.import_("responses")
        sub = fw.App()
        sub.frontend("/", directory=dist, fallback=None)
        app = fw.App()

        @app.exception_handler(404)
        async def not_found(request: Any, exc: Any) -> Any:
            return responses.PlainTextResponse(f"custom {request.url.path}", status_code=404)

        app.mount("/sub", sub)
        app.frontend("/", directory=dist, fallback=None)
        assert isinstance(sub, m.FastAPI if fw.name == "fastapi" else m.FerroAPI)
        return app

    fw.compare(
        app,
        [
            Req("GET", "/nothing", headers=HTML),
            Req("GET", "/sub/assets/app.js"),
            Req("GET", "/sub/nothing", headers=HTML),
            Req("GET", "/assets/app.js"),
        ],
        headers=HEADERS,
    )
