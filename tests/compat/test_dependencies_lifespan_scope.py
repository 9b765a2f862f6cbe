"""Lifespan-scoped dependencies next to ordinary ones: everything else behaves as FastAPI's `Depends`.

FastAPI 0.165 accepts `Depends(dep, scope="lifespan")` and runs such a dependency per request, like
`scope="request"`; ferroapi creates it once per app (tests/unit/test_dependencies_lifespan_semantics.py).
With dependencies whose value does not depend on how often they run, the same app body must give
the same responses, validation errors, security challenges and OpenAPI document under both.
"""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from _dual import Framework, Req
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float


def app_mixed(fw: Framework) -> Any:
    m = fw.mod
    Depends, Header = m.Depends, m.Header

    def settings() -> dict[str, str]:
        return {"prefix": "shop", "currency": "EUR"}

    async def client(
        cfg: Annotated[dict[str, str], Depends(settings, scope="lifespan")],
    ) -> AsyncIterator[str]:
        yield f"client of {cfg['prefix']}"

    def catalogue(c: Annotated[str, Depends(client, scope="lifespan")]) -> Iterator[dict[str, str]]:
        yield {"source": c}

    def current_user(
        x_user: Annotated[str, Header()],
        c: Annotated[str, Depends(client, scope="lifespan")],
    ) -> dict[str, str]:
        if x_user == "banned":
            raise m.HTTPException(status_code=403, detail=f"banned by {c}", headers={"x-reason": "ban"})
        return {"user": x_user, "via": c}

    def page(limit: int = 10, offset: Annotated[int, m.Query(ge=0)] = 0) -> dict[str, int]:
        return {"limit": limit, "offset": offset}

    app = fw.App(title="shop")

    @app.get("/items/{item_id}")
    def read_item(
        item_id: int,
        user: Annotated[dict[str, str], Depends(current_user)],
        cat: Annotated[dict[str, str], Depends(catalogue, scope="lifespan")],
        cfg: Annotated[dict[str, str], Depends(settings, scope="lifespan")],
        q: str | None = None,
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "user": user, "cat": cat, "currency": cfg["currency"]}

    @app.post("/items", status_code=201, dependencies=[Depends(settings, scope="lifespan")])
    async def create_item(
        item: Item, user: Annotated[dict[str, str], Depends(current_user)]
    ) -> dict[str, Any]:
        return {"item": item.model_dump(), "by": user["user"]}

    router = m.APIRouter(prefix="/admin", dependencies=[Depends(client, scope="lifespan")])

    @router.get("/stats")
    def stats(
        p: Annotated[dict[str, int], Depends(page)],
        c: Annotated[str, Depends(client, scope="lifespan")],
    ) -> dict[str, Any]:
        return {"page": p, "client": c}

    app.include_router(router, tags=["admin"])
    return app


def test_responses_and_errors_match(fw: Framework) -> None:
    user = {"x-user": "ada"}
    got = fw.compare(
        app_mixed,
        [
            Req("GET", "/items/3", params={"q": "x"}, headers=user),
            Req("GET", "/items/3"),  # missing header: 422
            Req("GET", "/items/three", headers=user),  # bad path parameter: 422
            Req("GET", "/items/3", headers={"x-user": "banned"}),  # raised by an ordinary dependency
            Req("POST", "/items", json={"name": "pen", "price": 1.5}, headers=user),
            Req("POST", "/items", json={"name": "pen"}, headers=user),  # invalid body: 422
            Req("POST", "/items", content=b"{", headers={**user, "content-type": "application/json"}),
            Req("GET", "/admin/stats", params={"limit": 5}),
            Req("GET", "/admin/stats", params={"offset": -1}),  # 422 from an ordinary dependency
            Req("PUT", "/items"),  # 405
            Req("GET", "/nowhere"),  # 404
        ],
        headers=("content-type", "content-length", "x-reason", "allow"),
    )
    assert got[0].body["cat"] == {"source": "client of shop"}
    assert got[3].status == 403


def test_openapi_matches(fw: Framework) -> None:
    (document,) = fw.compare(app_mixed, ["/openapi.json"])
    parameters = document.body["paths"]["/items/{item_id}"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["item_id", "q", "x-user"]


def app_security(fw: Framework) -> Any:
    m = fw.mod
    security = fw.import_("security")
    oauth2 = security.OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "read items"})

    def signing_key() -> str:
        return "key"

    def token_user(
        token: Annotated[str, m.Security(oauth2, scopes=["read"])],
        key: Annotated[str, m.Depends(signing_key, scope="lifespan")],
    ) -> str:
        return f"{token} signed with {key}"

    app = fw.App()

    @app.get("/me")
    def me(user: Annotated[str, m.Depends(token_user)]) -> str:
        return user

    return app


def test_security_next_to_lifespan_dependencies_matches(fw: Framework) -> None:
    fw.compare(
        app_security,
        [
            Req("GET", "/me"),  # 401 with FastAPI's challenge
            Req("GET", "/me", headers={"authorization": "Bearer abc"}),
            "/openapi.json",
        ],
        headers=("content-type", "www-authenticate"),
    )


def test_the_documented_difference_how_often_it_runs(fw: Framework) -> None:
    # What docs/lifespan-dependencies.md says of FastAPI 0.165: the value is accepted and the
    # dependency runs per request (opened and closed around each); ferroapi runs it once per app.
    log: list[str] = []

    def app(fw: Framework) -> Any:
        m = fw.mod

        async def pool() -> AsyncIterator[int]:
            log.append("open")
            yield len(log)
            log.append("close")

        application = fw.App()

        @application.get("/")
        def read(p: Annotated[int, m.Depends(pool, scope="lifespan")]) -> int:
            return p

        return application

    answers = [snapshot.body for snapshot in fw.run(app, ["/", "/", "/"])]
    if fw.name == "fastapi":
        assert log == ["open", "close"] * 3
        assert answers == [1, 3, 5]
    else:
        assert log == ["open", "close"]
        assert answers == [1, 1, 1]
