"""The merged route table is compiled once when routes change, never per request."""

from typing import Any

import pytest
from starlette.testclient import TestClient

from ferroapi import APIRouter, FerroAPI
from ferroapi._routing import router as router_module
from ferroapi._routing import table as table_module


def test_table_compiled_once_then_again_only_after_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[int] = []
    original = table_module.compile_table

    def counting(*args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(router_module, "compile_table", counting)
    inner = APIRouter()

    @inner.get("/a")
    def a() -> str:
        return "a"

    app = FerroAPI()
    app.include_router(inner, prefix="/x")
    client = TestClient(app)
    for _ in range(5):
        assert client.get("/x/a").json() == "a"
    assert len(compiled) == 1

    @inner.get("/b")  # a route added to an included router: the next request sees it
    def b() -> str:
        return "b"

    for _ in range(5):
        assert client.get("/x/b").json() == "b"
    assert len(compiled) == 2
