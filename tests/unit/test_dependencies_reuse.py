"""An included route reuses its original's dependency analysis: the result must be what a fresh analysis
of the effective route gives (same graph, order, locations, scopes, cache keys, path on every node), and
the reuse must stop where the inclusion changes the analysis (a prefix adding a path parameter)."""

from __future__ import annotations

from typing import Annotated, Any

from starlette.testclient import TestClient

from ferroapi import APIRouter, Depends, FerroAPI, Header, Security, WebSocket
from ferroapi._routing.route import APIRoute, APIWebSocketRoute, build_dependant
from ferroapi.dependencies.models import Dependant
from ferroapi.security import OAuth2PasswordBearer, SecurityScopes

oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "", "write": ""})


def router_dep(x_router: Annotated[str | None, Header()] = None) -> None:
    return None


def app_dep(tenant: str | None = None) -> str | None:
    return tenant


def route_dep(limit: int = 10) -> int:
    return limit


def user(scopes: SecurityScopes, token: Annotated[str, Depends(oauth2)]) -> dict[str, Any]:
    return {"token": token, "scopes": scopes.scopes}


async def get_item(
    item_id: int,
    tenant: str | None = None,
    who: dict[str, Any] = Security(user, scopes=["read"]),
    limit: int = Depends(route_dep),
) -> dict[str, Any]:
    return {"item_id": item_id, "tenant": tenant, "who": who, "limit": limit}


def list_things(q: str | None = None) -> list[str]:
    return [q or ""]


def shape(dependant: Dependant) -> tuple[Any, ...]:
    """Everything analysis decides for a node and its subtree (solve caches left out)."""

    def fields(items: list[Any]) -> list[tuple[Any, ...]]:
        return [(f.name, f.alias, type(f.field_info).__name__, f.required) for f in items]

    return (
        dependant.call,
        dependant.name,
        dependant.path,
        fields(dependant.path_params),
        fields(dependant.query_params),
        fields(dependant.header_params),
        fields(dependant.cookie_params),
        fields(dependant.body_params),
        dependant.request_param_name,
        dependant.security_scopes_param_name,
        dependant.own_oauth_scopes,
        dependant.parent_oauth_scopes,
        dependant.oauth_scopes,
        dependant.uses_scopes,
        dependant.cache_key,
        dependant.use_cache,
        dependant.scope,
        [(r.security_scheme, r.scopes) for r in dependant.security_requirements],
        [shape(sub) for sub in dependant.dependencies],
    )


def fresh(route: APIRoute | APIWebSocketRoute) -> Dependant:
    return build_dependant(path=route.path_format, call=route.endpoint, dependencies=route.dependencies)


def build_app(prefix: str) -> tuple[FerroAPI, APIRouter]:
    inner = APIRouter(dependencies=[Depends(router_dep)])
    inner.add_api_route("/items/{item_id}", get_item, dependencies=[Depends(route_dep)])
    inner.add_api_route("/things", list_things)
    inner.add_api_route("/more", list_things, name="more")

    @inner.websocket("/ws/{item_id}")
    async def ws(websocket: WebSocket, item_id: int, q: str | None = None) -> None:
        await websocket.accept()
        await websocket.send_json({"item_id": item_id, "q": q})
        await websocket.close()

    outer = APIRouter(dependencies=[Depends(app_dep)])
    outer.include_router(inner, prefix="/inner")
    app = FerroAPI()
    app.include_router(outer, prefix=prefix)
    return app, inner


def effective_routes(app: FerroAPI) -> list[Any]:
    return [r for r in app.router.effective_routes() if isinstance(r, (APIRoute, APIWebSocketRoute))]


def test_reused_analysis_equals_fresh_analysis() -> None:
    app, _ = build_app("/api")
    routes = effective_routes(app)
    assert len(routes) == 4
    for route in routes:
        assert shape(route.dependant) == shape(fresh(route))
        original = route.original_route
        # Reused: the endpoint's fields are the original's, the nodes are new and carry the new path.
        assert route.dependant is not original.dependant
        ours = {id(f) for f in route.dependant.query_params + route.dependant.path_params}
        theirs = {id(f) for f in original.dependant.query_params + original.dependant.path_params}
        assert ours == theirs


def test_router_dependencies_are_analysed_once_per_inclusion() -> None:
    app, _ = build_app("/api")
    _, things, more, _ = effective_routes(app)
    # [app_dep (outer router, prepended by the inclusion), router_dep (the inner router's, part of
    # each route's own dependencies since registration)]: the inclusion's is analysed once per set of
    # path parameter names, the route's own come from the original graph.
    shared, again = things.dependant.dependencies[0], more.dependant.dependencies[0]
    assert shared is not again and shared.call is again.call is app_dep
    assert shared.query_params[0] is again.query_params[0]
    own = things.dependant.dependencies[1]
    assert own.header_params[0] is things.original_route.dependant.dependencies[0].header_params[0]


def test_prefix_adding_a_path_parameter_is_analysed_again() -> None:
    app, _ = build_app("/t/{tenant}")
    item = effective_routes(app)[0]
    assert shape(item.dependant) == shape(fresh(item))
    # `tenant` is a path parameter of the included route (of the endpoint and of app_dep), a query
    # parameter of the original.
    assert [f.name for f in item.dependant.path_params] == ["item_id", "tenant"]
    assert [f.name for f in item.original_route.dependant.path_params] == ["item_id"]
    assert [f.name for f in item.dependant.dependencies[0].path_params] == ["tenant"]
    client = TestClient(app)
    response = client.get("/t/acme/inner/items/3", headers={"Authorization": "Bearer tok"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "item_id": 3,
        "tenant": "acme",
        "who": {"token": "tok", "scopes": ["read"]},
        "limit": 10,
    }


def test_reused_routes_serve_and_document_as_before() -> None:
    app, _ = build_app("/api")
    client = TestClient(app)
    response = client.get("/api/inner/items/3?tenant=x&limit=2", headers={"Authorization": "Bearer t"})
    assert response.json() == {
        "item_id": 3,
        "tenant": "x",
        "who": {"token": "t", "scopes": ["read"]},
        "limit": 2,
    }
    assert client.get("/api/inner/items/nope", headers={"Authorization": "Bearer t"}).status_code == 422
    with client.websocket_connect("/api/inner/ws/5?q=z") as websocket:
        assert websocket.receive_json() == {"item_id": 5, "q": "z"}
    operation = app.openapi()["paths"]["/api/inner/items/{item_id}"]["get"]
    names = [(p["name"], p["in"]) for p in operation["parameters"]]
    assert names == [("item_id", "path"), ("tenant", "query"), ("limit", "query"), ("x-router", "header")]
    assert operation["security"] == [{"OAuth2PasswordBearer": ["read"]}]


def test_overrides_apply_to_reused_routes() -> None:
    app, _ = build_app("/api")
    app.dependency_overrides[route_dep] = lambda: 99
    app.dependency_overrides[user] = lambda: {"who": "override"}
    response = TestClient(app).get("/api/inner/items/1")
    assert response.json() == {"item_id": 1, "tenant": None, "who": {"who": "override"}, "limit": 99}


def test_custom_route_class_is_analysed_again() -> None:
    class Extra(APIRoute):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.dependant.dependencies.append(
                build_dependant(path=self.path_format, call=route_dep, dependencies=())
            )

    router = APIRouter(route_class=Extra)
    router.add_api_route("/x", list_things)
    app = FerroAPI()
    app.include_router(router, prefix="/p")
    (route,) = effective_routes(app)
    assert shape(route.dependant) == shape(fresh(route))
    assert len(route.original_route.dependant.dependencies) == 1
