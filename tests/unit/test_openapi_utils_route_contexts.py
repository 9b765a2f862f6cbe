"""`get_openapi(routes=...)` takes route contexts (FastAPI 0.165's `iter_route_contexts`) and raw route
lists holding included routers, as FastAPI's does: same document from both frameworks."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

FRAMEWORKS = ["fastapi", "ferroapi"]


def modules(name: str) -> tuple[ModuleType, ModuleType, ModuleType]:
    return (
        importlib.import_module(name),
        importlib.import_module(f"{name}.routing"),
        importlib.import_module(f"{name}.openapi.utils"),
    )


def build(name: str) -> Any:
    fw, _, _ = modules(name)
    from starlette.responses import PlainTextResponse

    router = fw.APIRouter(tags=["inner"])

    @router.get("/a/{item_id}")
    async def read_a(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {}

    @router.post("/b", deprecated=True)
    async def write_b(payload: dict[str, int]) -> int:
        return 1

    router.add_route("/plain", lambda request: PlainTextResponse("x"))
    app = fw.FastAPI() if name == "fastapi" else fw.FerroAPI()

    @app.get("/top")
    async def top() -> str:
        return ""

    app.include_router(router, prefix="/api")
    return app


def document(name: str, pick: str) -> dict[str, Any]:
    _, routing, utils = modules(name)
    app = build(name)
    routes: list[Any]
    if pick == "contexts":
        routes = list(routing.iter_route_contexts(app.router.routes))
    elif pick == "filtered":
        routes = [
            c for c in routing.iter_route_contexts(app.router.routes) if (c.path or "").startswith("/api")
        ]
    else:
        routes = list(app.router.routes)  # included routers as they are
    result: dict[str, Any] = utils.get_openapi(title="t", version="1", routes=routes, webhooks=routes[-1:])
    return result


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
@pytest.mark.parametrize("pick", ["contexts", "filtered", "raw"])
def test_same_document_as_fastapi(pick: str) -> None:
    ours, theirs = document("ferroapi", pick), document("fastapi", pick)
    assert ours == theirs
    if pick == "filtered":
        assert set(ours["paths"]) == {"/api/a/{item_id}", "/api/b"}
