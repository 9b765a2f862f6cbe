"""`routing.get_request_handler` replaced by instrumentation (Sentry's way): routes built afterwards
use the replacement, once per route, never per request."""

import functools
from typing import Any

import pytest
from _dual import Framework, Req


def _instrumented_app(fw: Framework, monkeypatch: pytest.MonkeyPatch) -> Any:
    m = fw.mod
    routing = fw.import_("routing")
    original = routing.get_request_handler
    calls: list[str] = []

    def get_request_handler(*args: Any, **kwargs: Any) -> Any:
        dependant = kwargs["dependant"]
        endpoint = dependant.call

        @functools.wraps(endpoint)
        def wrapped(*a: Any, **kw: Any) -> Any:
            calls.append(endpoint.__name__)
            return endpoint(*a, **kw)

        dependant.call = wrapped
        return original(*args, **kwargs)

    monkeypatch.setattr(routing, "get_request_handler", get_request_handler)

    app = fw.App(openapi_url=None)

    @app.get("/direct/{item_id}")
    def direct(item_id: int, q: str = "x") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    router = fw.mod.APIRouter()

    @router.post("/items", status_code=201)
    def create(item: dict[str, int]) -> dict[str, Any]:
        return {"created": item}

    inner = m.APIRouter()

    @inner.get("/deep")
    def deep() -> str:
        return "deep"

    router.include_router(inner, prefix="/inner")
    app.include_router(router, prefix="/api")

    @app.get("/counts")
    def counts() -> dict[str, Any]:
        return {"calls": list(calls)}

    @app.get("/reset")
    def reset() -> None:
        calls.clear()

    return app


def test_replaced_factory_wraps_each_route_once(fw: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    fw.compare(
        lambda fw: _instrumented_app(fw, monkeypatch),
        [
            Req("GET", "/reset"),
            Req("GET", "/direct/3"),
            Req("GET", "/direct/4", params={"q": "y"}),
            Req("GET", "/direct/nope"),
            Req("POST", "/api/items", json={"a": 1}),
            Req("GET", "/api/inner/deep"),
            Req("GET", "/api/inner/deep"),
            Req("GET", "/counts"),
        ],
    )


def test_default_factory_is_exported(fw: Framework) -> None:
    routing = fw.import_("routing")
    assert callable(routing.get_request_handler)
