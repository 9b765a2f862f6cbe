"""Routing and dispatch: order, 405/redirects/404, include_router merging, mounts, hosts, errors."""

from collections.abc import Callable
from typing import Annotated, Any

from _dual import Framework, Req
from starlette.routing import Host, Mount, Route


def app_routing(fw: Framework, **options: Any) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    app = fw.App(**options)

    @app.get("/users/me")
    def me() -> dict[str, str]:
        return {"who": "me"}

    @app.get("/users/{user_id}")
    def user(user_id: int) -> dict[str, int]:
        return {"user_id": user_id}

    @app.get("/files/{path:path}")
    def files(path: str) -> dict[str, str]:
        return {"path": path}

    @app.get("/q")
    def query(n: int, tags: Annotated[list[str] | None, m.Query()] = None) -> dict[str, Any]:
        return {"n": n, "tags": tags}

    @app.post("/slash/")
    def slash() -> int:
        return 1

    @app.api_route("/multi", methods=["GET", "POST"])
    def multi(request: m.Request) -> str:  # type: ignore[name-defined]
        return request.method  # type: ignore[no-any-return]

    async def plain(request: Any) -> Any:
        return responses.PlainTextResponse("plain " + request.url.path)

    app.router.routes.append(Mount("/mounted", routes=[Route("/x", plain)]))
    app.router.routes.append(Host("api.example.com", app=Route("/h", plain)))

    @app.get("/after-mount")
    def after_mount() -> int:
        return 2

    return app


def test_order_and_params(fw: Framework) -> None:
    got = fw.compare(
        app_routing,
        [
            "/users/me",
            "/users/7",
            "/users/-3",
            "/users/99999999999999999999999999999",
            "/users/abc",
            "/files/a/b/c.txt",
            "/q?n=1&tags=a&tags=b",
            "/q?n=1&n=2",
            "/q",
            "/q?n=1e3",
            "/q?n=" + "9" * 5000,
        ],
    )
    assert got[0].body == {"who": "me"}


def test_405_redirect_404(fw: Framework) -> None:
    got = fw.compare(
        app_routing,
        [
            Req("DELETE", "/users/me"),
            Req("POST", "/slash"),
            Req("GET", "/users/7/"),
            Req("GET", "/nowhere"),
            Req("PATCH", "/multi"),
            Req("POST", "/multi"),
        ],
    )
    assert got[0].status == 405
    assert got[1].body == 1  # the TestClient followed the 307 to "/slash/"


def test_no_redirect_slashes(fw: Framework) -> None:
    fw.compare(lambda fw: app_routing(fw, redirect_slashes=False), [Req("GET", "/users/7/")])


def test_mount_and_host_keep_their_place(fw: Framework) -> None:
    fw.compare(
        app_routing,
        [
            "/mounted/x",
            "/mounted/nope",
            "/after-mount",
            Req("GET", "http://api.example.com/h"),
            Req("GET", "http://api.example.com/users/me"),
        ],
    )


def app_included(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    calls: list[str] = []

    def dep_outer() -> None:
        calls.append("outer")

    def dep_router() -> None:
        calls.append("router")

    router = m.APIRouter(prefix="/items", tags=["items"], dependencies=[m.Depends(dep_router)])

    @router.get("/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @router.get("/html/page", response_class=responses.HTMLResponse)
    def page() -> str:
        return "<p>x</p>"

    inner = m.APIRouter()

    @inner.get("/deep")
    def deep() -> str:
        return "deep"

    router.include_router(inner, prefix="/inner")
    app = fw.App()
    app.include_router(router, prefix="/v1", dependencies=[m.Depends(dep_outer)])

    @router.get("/late/added")
    def late() -> str:
        return "late"

    @inner.get("/later")
    def later() -> str:
        return "later"

    app.state.calls = calls
    return app


def test_include_router_merges(fw: Framework) -> None:
    fw.compare(
        app_included,
        [
            "/v1/items/3",
            "/v1/items/x",
            "/v1/items/html/page",
            "/v1/items/inner/deep",
            "/v1/items/late/added",
            "/v1/items/inner/later",
            "/items/3",
        ],
    )


def test_include_router_paths_in_openapi(fw: Framework) -> None:
    app = app_included(fw)
    paths = app.openapi()["paths"]
    assert set(paths) == {
        "/v1/items/{item_id}",
        "/v1/items/html/page",
        "/v1/items/inner/deep",
        "/v1/items/late/added",
        "/v1/items/inner/later",
    }
    assert paths["/v1/items/{item_id}"]["get"]["tags"] == ["items"]


def app_errors(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")

    class Boom(Exception):
        pass

    class Unhandled(Exception):
        pass

    app = fw.App()

    @app.exception_handler(Boom)
    async def on_boom(request: Any, exc: Boom) -> Any:
        return responses.JSONResponse({"boom": True}, status_code=418)

    @app.exception_handler(404)
    async def on_404(request: Any, exc: Any) -> Any:
        return responses.PlainTextResponse("custom 404", status_code=404)

    @app.get("/boom")
    def boom() -> None:
        raise Boom()

    @app.get("/http")
    def http() -> None:
        raise m.HTTPException(status_code=409, detail={"why": "conflict"}, headers={"x-why": "c"})

    @app.get("/unhandled")
    def unhandled() -> None:
        raise Unhandled()

    @app.get("/gone")
    def gone() -> None:
        raise m.HTTPException(status_code=404)

    return app


def test_exception_handlers(fw: Framework) -> None:
    got = fw.compare(
        app_errors,
        ["/boom", "/http", "/unhandled", "/gone", "/missing"],
        headers=("content-type", "content-length", "x-why"),
    )
    assert [g.status for g in got] == [418, 409, 500, 404, 404]


def test_http_middleware_and_custom_route_class(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        m = fw.mod
        routing = fw.import_("routing")

        class Timed(routing.APIRoute):  # type: ignore[misc, name-defined]
            def get_route_handler(self) -> Callable[..., Any]:
                original = super().get_route_handler()

                async def handler(request: Any) -> Any:
                    response = await original(request)
                    response.headers["x-route"] = "timed"
                    return response

                return handler

        app = fw.App()
        router = m.APIRouter(route_class=Timed)

        @router.get("/t")
        def t() -> dict[str, int]:
            return {"t": 1}

        app.include_router(router)

        @app.middleware("http")
        async def add_header(request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            response.headers["x-mw"] = "1"
            return response

        return app

    got = fw.compare(app, ["/t", "/nope"], headers=("content-type", "x-route", "x-mw"))
    assert got[0].headers["x-route"] == "timed"
