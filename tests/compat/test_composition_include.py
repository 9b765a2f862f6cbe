"""include_router: nesting, repeated and live inclusion, FastAPI's merge rules, prefix errors."""

from typing import Any

import pytest
from _dual import Framework, Req, load


def _operations(app: Any) -> dict[str, Any]:
    """What the merge rules decide, per operation: tags, deprecated, responses, callbacks, id."""
    summary: dict[str, Any] = {}
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            summary[f"{method.upper()} {path}"] = {
                "tags": op.get("tags"),
                "deprecated": op.get("deprecated"),
                "operationId": op.get("operationId"),
                "responses": sorted(op.get("responses", {})),
                "callbacks": sorted(op.get("callbacks", {})),
            }
    return summary


def _both(factory: Any) -> tuple[Any, Any]:
    return factory(load("fastapi")), factory(load("ferroapi"))


def app_nested(fw: Framework) -> Any:
    m = fw.mod
    seen: list[str] = []

    def dep(name: str) -> Any:
        def dependency() -> None:
            seen.append(name)

        return m.Depends(dependency)

    app = fw.App(dependencies=[dep("app")])
    leaf = m.APIRouter(prefix="/leaf", tags=["leaf"], dependencies=[dep("leaf")])

    @leaf.get("/items/{item_id}", dependencies=[dep("route")])
    def item(item_id: int) -> dict[str, Any]:
        order = list(seen)
        seen.clear()
        return {"item_id": item_id, "order": order}

    mid = m.APIRouter(prefix="/mid", tags=["mid"], dependencies=[dep("mid")])
    mid.include_router(leaf, prefix="/inc", tags=["inc"], dependencies=[dep("inc")])
    top = m.APIRouter(dependencies=[dep("top")])
    top.include_router(mid)
    app.include_router(top, prefix="/v1", dependencies=[dep("app-inc")])
    app.include_router(top, prefix="/v2")

    # Added after the inclusion: FastAPI 0.165 includes routers live.
    @leaf.get("/later")
    def later() -> str:
        seen.clear()
        return "later"

    deep = m.APIRouter()
    deep.include_router(leaf, prefix="/again")
    mid.include_router(deep, prefix="/deep")
    return app


def test_nested_repeated_and_live(fw: Framework) -> None:
    got = fw.compare(
        app_nested,
        [
            "/v1/mid/inc/leaf/items/3",
            "/v2/mid/inc/leaf/items/4",
            "/v1/mid/inc/leaf/later",
            "/v2/mid/deep/again/leaf/later",
            "/v2/mid/deep/again/leaf/items/5",
            "/v1/mid/inc/leaf/items/x",
            "/mid/inc/leaf/items/3",
            Req("POST", "/v1/mid/inc/leaf/items/3"),
        ],
    )
    assert got[0].body["order"][0] == "app"


def test_nested_openapi(fw: Framework) -> None:
    fastapi_app, ferro_app = _both(app_nested)
    assert _operations(ferro_app) == _operations(fastapi_app)


def app_merge(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    callback_router = m.APIRouter()

    @callback_router.post("{$callback_url}/event")
    def event() -> None: ...

    def router_ids(route: Any) -> str:
        return f"router-{route.name}"

    def include_ids(route: Any) -> str:
        return f"include-{route.name}"

    app = fw.App(responses={500: {"description": "app"}})
    router = m.APIRouter(
        tags=["router"],
        responses={404: {"description": "router"}},
        deprecated=None,
        callbacks=callback_router.routes,
        generate_unique_id_function=router_ids,
        default_response_class=responses.PlainTextResponse,
    )

    @router.get("/plain")
    def plain() -> str:
        return "router class"

    @router.get("/html", response_class=responses.HTMLResponse, responses={404: {"description": "route"}})
    def html() -> str:
        return "<b>route class</b>"

    @router.get("/own-id", generate_unique_id_function=lambda r: "own", deprecated=True)
    def own() -> str:
        return "x"

    hidden = m.APIRouter()

    @hidden.get("/hidden")
    def hidden_op() -> str:
        return "hidden"

    plain_router = m.APIRouter()

    @plain_router.get("/include-class")
    def include_class() -> str:
        return "include class"

    app.include_router(
        router,
        prefix="/r",
        tags=["include"],
        responses={418: {"description": "tea"}},
        deprecated=True,
        generate_unique_id_function=include_ids,
        default_response_class=responses.HTMLResponse,
    )
    app.include_router(hidden, include_in_schema=False)
    app.include_router(plain_router, prefix="/p", default_response_class=responses.PlainTextResponse)
    app.include_router(plain_router, prefix="/q")
    return app


def test_merge_rules_requests(fw: Framework) -> None:
    fw.compare(
        app_merge, ["/r/plain", "/r/html", "/r/own-id", "/hidden", "/p/include-class", "/q/include-class"]
    )


def test_merge_rules_openapi(fw: Framework) -> None:
    fastapi_app, ferro_app = _both(app_merge)
    # One callback router serves several operations, so its operation id recurs: both frameworks warn.
    with pytest.warns(UserWarning, match="Duplicate Operation ID event__callback_url__event_post"):
        theirs = _operations(fastapi_app)
    with pytest.warns(UserWarning, match="Duplicate Operation ID event__callback_url__event_post"):
        ours = _operations(ferro_app)
    assert ours == theirs


def app_parent_router_class(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    parent = m.APIRouter(default_response_class=responses.PlainTextResponse)
    child = m.APIRouter()

    @child.get("/child")
    def child_op() -> str:
        return "from child"

    grandchild = m.APIRouter(default_response_class=responses.HTMLResponse)

    @grandchild.get("/grand")
    def grand_op() -> str:
        return "<i>grand</i>"

    child.include_router(grandchild)
    parent.include_router(child, prefix="/c")
    app = fw.App()
    app.include_router(parent, prefix="/p")
    return app


def test_response_class_from_parent_router(fw: Framework) -> None:
    fw.compare(app_parent_router_class, ["/p/c/child", "/p/c/grand"])


def _raised(fw: Framework, action: Any) -> tuple[str, str]:
    try:
        action(fw)
    except BaseException as exc:
        # ferroapi's FerroAPIError is FastAPI's FastAPIError under its own name (an alias).
        return type(exc).__name__.replace("FerroAPI", "FastAPI"), str(exc)
    return "", ""


@pytest.mark.parametrize(
    "case",
    [
        "router-no-slash",
        "router-trailing",
        "include-no-slash",
        "include-trailing",
        "both-empty",
        "self",
        "cycle",
        "empty-with-prefix",
    ],
)
def test_prefix_errors(fw: Framework, case: str) -> None:
    def action(f: Framework) -> None:
        m = f.mod
        if case == "router-no-slash":
            m.APIRouter(prefix="api")
        elif case == "router-trailing":
            m.APIRouter(prefix="/api/")
        elif case in ("include-no-slash", "include-trailing", "both-empty", "empty-with-prefix"):
            router = m.APIRouter()

            @router.get("")
            def empty() -> None: ...

            prefix = {
                "include-no-slash": "api",
                "include-trailing": "/api/",
                "both-empty": "",
                "empty-with-prefix": "/api",
            }[case]
            f.App().include_router(router, prefix=prefix)
        elif case == "self":
            router = m.APIRouter()
            router.include_router(router)
        else:
            a, b = m.APIRouter(), m.APIRouter()
            a.include_router(b)
            b.include_router(a)

    assert _raised(fw, action) == _raised(load("fastapi"), action)


def app_starlette_routes(fw: Framework) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    from starlette.routing import Mount, Route

    async def plain(request: Any) -> Any:
        return responses.PlainTextResponse(f"{request.url.path} {dict(request.path_params)}")

    router = m.APIRouter()
    router.add_route("/starlette/{n:int}", plain)
    router.routes.append(Mount("/mnt", routes=[Route("/inner", plain)]))

    @router.get("/after")
    def after() -> str:
        return "after"

    app = fw.App()
    app.include_router(router, prefix="/x")
    return app


def test_included_starlette_routes_and_mounts(fw: Framework) -> None:
    fw.compare(
        app_starlette_routes,
        [
            "/x/starlette/3",
            "/x/starlette/a",
            "/x/mnt/inner",
            "/x/after",
            "/x/after/",
            Req("POST", "/x/after"),
        ],
    )


def test_url_path_for_included(fw: Framework) -> None:
    def urls(f: Framework) -> list[str]:
        m = f.mod
        router = m.APIRouter()
        app = f.App()
        app.include_router(router, prefix="/api")

        @router.get("/items/{item_id}", name="read_item")
        def read_item(item_id: str) -> None: ...

        return [str(app.url_path_for("read_item", item_id="a"))]

    assert urls(fw) == urls(load("fastapi"))


def test_scope_route_is_the_original(fw: Framework) -> None:
    def app(f: Framework) -> Any:
        m = f.mod
        router = m.APIRouter(prefix="/r")

        @router.get("/items/{x}")
        def item(x: int, request: m.Request) -> dict[str, Any]:  # type: ignore[name-defined]
            route = request.scope["route"]
            return {"path": route.path, "original": route is router.routes[0], "name": route.name}

        application = f.App()
        application.include_router(router, prefix="/api")
        return application

    fw.compare(app, ["/api/r/items/1"])
