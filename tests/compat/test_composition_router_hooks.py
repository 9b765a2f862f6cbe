"""An APIRouter subclass overriding `matches` or `handle` keeps them after inclusion, as in FastAPI 0.165.

The inclusion of such a router stays one opaque entry of the route table: its `matches` decides
whether the inclusion's routes are candidates at all, its `handle` is called for each request they
serve, and `super()` selects among the routes under the inclusion's prefix.
"""

from typing import Any

from _dual import Framework, Req
from starlette.routing import Match


def header_gated_app(fw: Framework, calls: list[str]) -> Any:
    class HeaderRouter(fw.mod.APIRouter):  # type: ignore[name-defined, misc]
        def matches(self, scope: Any) -> tuple[Match, Any]:
            calls.append("matches")
            if dict(scope.get("headers", [])).get(b"x-router-match") != b"yes":
                return Match.NONE, {}
            return super().matches(scope)  # type: ignore[no-any-return]

    gated = HeaderRouter()

    @gated.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app = fw.App()
    app.include_router(gated, prefix="/api")

    @app.get("/api/items/{item_id}")
    def fallback(item_id: str) -> dict[str, str]:
        return {"fallback": item_id}

    return app


def test_a_router_matches_hook_gates_its_routes(fw: Framework) -> None:
    calls: list[str] = []
    yes = {"x-router-match": "yes"}
    responses = fw.compare(
        lambda fw: header_gated_app(fw, calls),
        [
            Req("GET", "/api/items/3"),  # the hook says no: the app's own route answers
            Req("GET", "/api/items/3", headers=yes),
            Req("GET", "/api/items/x", headers=yes),  # gated route matched, then 422
            Req("POST", "/api/items/3", headers=yes),  # 405 from the gated route
        ],
    )
    assert [r.status for r in responses] == [200, 200, 422, 405]
    assert responses[0].body == {"fallback": "3"}
    assert responses[1].body == {"item_id": 3}
    assert "matches" in calls


def tracked_app(fw: Framework, calls: list[str]) -> Any:
    class TrackingRouter(fw.mod.APIRouter):  # type: ignore[name-defined, misc]
        def __init__(self, name: str, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.label = name

        async def handle(self, scope: Any, receive: Any, send: Any) -> None:
            calls.append(self.label)
            await super().handle(scope, receive, send)

    parent, child = TrackingRouter("parent"), TrackingRouter("child")

    @child.get("/items/{item_id}")
    def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @parent.get("/status")
    def status() -> str:
        return "ok"

    parent.include_router(child, prefix="/child")
    app = fw.App()
    app.include_router(parent, prefix="/api")
    return app


def test_nested_router_handle_hooks_run_once_per_request(fw: Framework) -> None:
    for framework in ("fastapi", fw.name):
        from _dual import load

        calls: list[str] = []
        responses = load(framework).run(
            lambda fw, calls=calls: tracked_app(fw, calls),  # type: ignore[misc]
            [Req("GET", "/api/child/items/3", params={"q": "x"}), Req("GET", "/api/status")],
        )
        assert [(r.status, r.body) for r in responses] == [
            (200, {"item_id": 3, "q": "x"}),
            (200, "ok"),
        ], framework
        assert calls == ["parent", "child", "parent"], framework


def test_hooked_routers_keep_their_openapi_and_url_paths(fw: Framework) -> None:
    calls: list[str] = []
    app = tracked_app(fw, calls)
    assert sorted(app.openapi()["paths"]) == ["/api/child/items/{item_id}", "/api/status"]
    assert app.url_path_for("read_item", item_id="7") == "/api/child/items/7"
