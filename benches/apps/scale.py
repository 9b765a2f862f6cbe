"""The pipeline scenarios beyond one route: 1,000 routes, and streams measured per item.

`build(fw)` as in the other app modules; the stream endpoints take the item count as a query
parameter (`/jsonl?n=…`) so a bench can run one request of N1 items and one of N2 and divide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel

from apps import Framework

ROUTES = 1_000


class Quote(BaseModel):
    id: int
    symbol: str
    price: float


def quotes(n: int) -> AsyncIterator[Quote]:
    async def gen() -> AsyncIterator[Quote]:
        for i in range(n):
            yield Quote(id=i, symbol="SYM", price=i * 0.25)

    return gen()


def build(fw: Framework) -> Any:
    sse = __import__(f"{fw.name}.sse", fromlist=["EventSourceResponse"])
    app = fw.App()

    def resource(i: int) -> Any:
        async def read(item_id: int) -> dict[str, int]:
            return {"resource": i, "item_id": item_id}

        read.__name__ = f"read_{i}"
        return read

    # Distinct prefixes, a parameter each, the request aimed at the last: a linear scan pays
    # for every route, a prefix tree for one walk.
    for i in range(ROUTES):
        app.get(f"/r{i}/items/{{item_id}}")(resource(i))

    async def jsonl(n: int) -> AsyncIterator[Quote]:
        async for quote in quotes(n):
            yield quote

    async def events(n: int) -> AsyncIterator[Quote]:
        async for quote in quotes(n):
            yield quote

    app.get("/jsonl")(jsonl)
    app.get("/sse", response_class=sse.EventSourceResponse)(events)
    return app
