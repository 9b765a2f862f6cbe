"""The request pipeline's basics, one app body under FastAPI and ferroapi (examples of the `fw` fixture)."""

from __future__ import annotations

from typing import Any

from _dual import Framework, Req
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


def app_get_dict(fw: Framework) -> Any:
    app = fw.App()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"hello": "world"}

    return app


def test_get_dict(fw: Framework) -> None:
    (ok, missing, wrong_method) = fw.compare(app_get_dict, ["/", "/nope", Req("POST", "/")])
    assert (ok.status, ok.body) == (200, {"hello": "world"})
    assert ok.headers["content-type"] == "application/json"
    assert (missing.status, missing.body) == (404, {"detail": "Not Found"})
    assert (wrong_method.status, wrong_method.headers["allow"]) == (405, "GET")


def app_params(fw: Framework) -> Any:
    app = fw.App()

    @app.get("/items/{item_id}")
    async def read(item_id: int, q: str | None = None, limit: int = 10) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "limit": limit}

    return app


def test_path_and_query_params(fw: Framework) -> None:
    ok, defaults, bad_path, bad_query = fw.compare(
        app_params,
        [
            Req("GET", "/items/3", params={"q": "x", "limit": "5"}),
            "/items/42",
            "/items/abc",
            Req("GET", "/items/1", params={"limit": "many"}),
        ],
    )
    assert ok.body == {"item_id": 3, "q": "x", "limit": 5}
    assert defaults.body == {"item_id": 42, "q": None, "limit": 10}
    assert (bad_path.status, bad_path.body["detail"][0]["loc"]) == (422, ["path", "item_id"])
    assert (bad_query.status, bad_query.body["detail"][0]["type"]) == (422, "int_parsing")


def app_post_model(fw: Framework) -> Any:
    app = fw.App()

    @app.post("/items", response_model=Item, status_code=201)
    async def create(item: Item) -> Any:
        return {**item.model_dump(), "secret": "not in the response model"}

    return app


def test_post_model(fw: Framework) -> None:
    (created,) = fw.compare(app_post_model, [Req("POST", "/items", json={"name": "a", "price": "1.5"})])
    assert created.status == 201
    assert created.body == {"name": "a", "price": 1.5, "tags": []}


def test_422_errors(fw: Framework) -> None:
    missing, invalid, not_json, empty = fw.compare(
        app_post_model,
        [
            Req("POST", "/items", json={"price": 1}),
            Req("POST", "/items", json={"name": "a", "price": "cheap", "tags": "x"}),
            Req("POST", "/items", content=b'{"name": "a",', headers={"content-type": "application/json"}),
            Req("POST", "/items"),
        ],
    )
    assert missing.status == invalid.status == not_json.status == empty.status == 422
    assert missing.body["detail"] == [
        {"type": "missing", "loc": ["body", "name"], "msg": "Field required", "input": {"price": 1}}
    ]
    assert [e["loc"] for e in invalid.body["detail"]] == [["body", "price"], ["body", "tags"]]
    assert not_json.body["detail"][0]["type"] == "json_invalid"
    assert empty.body["detail"][0]["loc"] == ["body"]
