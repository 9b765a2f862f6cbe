"""A lone surrogate echoed by a response model is written as its escape also when an extension has
replaced one of FastAPI's pipeline steps (the pipeline then runs `ferroapi.routing.serialize_response`,
as FastAPI's handler would): the same bytes as the ordinary path, not a 500."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from ferroapi import FerroAPI, routing
from ferroapi.responses import JSONResponse
from ferroapi.testclient import TestClient


class Item(BaseModel):
    name: str


@pytest.mark.parametrize("path", ["/model", "/explicit"])
def test_surrogate_escaped_through_a_wrapped_serialize_response(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    calls: list[str] = []
    original = routing.serialize_response

    async def wrapped(**kwargs: Any) -> Any:
        calls.append("serialize_response")
        return await original(**kwargs)

    monkeypatch.setattr(routing, "serialize_response", wrapped)
    app = FerroAPI()

    @app.post("/model", response_model=Item)
    async def echo(item: Item) -> Any:
        return item

    @app.post("/explicit", response_model=Item, response_class=JSONResponse)
    async def explicit(item: Item) -> Any:
        return item

    with TestClient(app) as client:
        response = client.post(
            "/model", content=b'{"name": "a\\ud800b"}', headers={"content-type": "application/json"}
        )
    assert calls == ["serialize_response"]
    assert (response.status_code, response.content) == (200, b'{"name":"a\\ud800b"}')
    assert response.headers["content-length"] == str(len(response.content))
