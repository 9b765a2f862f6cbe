"""Issue "request pipeline": a small GET, path + query params, a 10-field model POST, a 1 MB list POST."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from _bodies import megabyte_list, row
from apps import Framework
from apps.asgi import Request


class Item(BaseModel):
    id: int
    name: str
    email: str
    active: bool
    score: float
    age: int
    city: str
    tags: list[str]
    balance: int
    manager: str | None = None


class ItemOut(BaseModel):
    id: int
    name: str
    email: str
    active: bool
    score: float
    age: int
    city: str
    tags: list[str]
    balance: int
    manager: str | None = None


def build(fw: Framework) -> Any:
    app = fw.App()

    @app.get("/hello")
    async def hello() -> dict[str, Any]:
        return {"message": "hello", "ok": True, "count": 3}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @app.post("/items", response_model=ItemOut)
    async def create_item(item: Item) -> Any:
        return item

    @app.post("/bulk")
    async def bulk(items: list[Item]) -> dict[str, int]:
        return {"count": len(items), "balance": sum(i.balance for i in items)}

    return app


JSON = {"content-type": "application/json"}
BULK = megabyte_list()

SCENARIOS = [
    ("GET small dict", Request("GET", "/hello")),
    ("GET int path param + query param", Request("GET", "/items/42", query={"q": "search"})),
    (
        "POST 10-field model, response_model",
        Request("POST", "/items", headers=JSON, body=json.dumps(row(7)).encode()),
    ),
    (f"POST {len(BULK) / 1e6:.1f} MB JSON -> list[Model]", Request("POST", "/bulk", headers=JSON, body=BULK)),
]
