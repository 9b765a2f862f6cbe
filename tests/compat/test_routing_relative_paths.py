"""Paths that do not start with "/" are accepted at registration and never match, as in FastAPI."""

from __future__ import annotations

from typing import Any

from _dual import Framework, Req


def app_with_relative_paths(fw: Framework) -> Any:
    app = fw.App()

    @app.get("")
    async def empty() -> dict[str, str]:
        return {"route": "empty"}

    @app.get("items")
    async def relative() -> dict[str, str]:
        return {"route": "relative"}

    @app.get("/items/{item_id}")
    async def absolute(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def test_relative_paths_never_match(fw: Framework) -> None:
    root, items, item, post = fw.compare(
        app_with_relative_paths, ["/", "/items", "/items/3", Req("POST", "/items/3")]
    )
    assert (root.status, items.status) == (404, 404)
    assert (item.status, item.body) == (200, {"item_id": 3})
    assert post.status == 405
