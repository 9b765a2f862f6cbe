"""A small ferroapi app: `make run` serves it on 127.0.0.1:8000 (docs at /docs)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ferroapi import Depends, FerroAPI, HTTPException, Query

app = FerroAPI(title="Inventory", version="1.0.0")


class ItemIn(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(ItemIn):
    id: int


_ITEMS: dict[int, ItemOut] = {}


class Pagination:
    def __init__(self, offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(le=100)] = 10):
        self.offset = offset
        self.limit = limit


@app.get("/")
async def root() -> dict[str, str]:
    return {"service": "inventory", "status": "ok"}


@app.get("/items", response_model=list[ItemOut])
async def list_items(page: Annotated[Pagination, Depends()]) -> list[ItemOut]:
    items = sorted(_ITEMS.values(), key=lambda item: item.id)
    return items[page.offset : page.offset + page.limit]


@app.get("/items/{item_id}", response_model=ItemOut)
async def read_item(item_id: int, q: str | None = None) -> ItemOut:
    item = _ITEMS.get(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"item {item_id} not found")
    return item


@app.post("/items", response_model=ItemOut, status_code=201)
async def create_item(item: ItemIn) -> ItemOut:
    stored = ItemOut(id=len(_ITEMS) + 1, **item.model_dump())
    _ITEMS[stored.id] = stored
    return stored
