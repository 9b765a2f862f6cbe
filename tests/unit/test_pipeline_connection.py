"""The route app builds starlette's Request without `Request.__init__` (`_pipeline/connection.py`):
the instance must be what starlette's constructor makes, and a patched constructor must still run."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from ferroapi import FerroAPI
from ferroapi._pipeline import connection
from ferroapi.testclient import TestClient


def test_the_request_state_is_starlettes() -> None:
    assert connection.STOCK_REQUEST_INIT is Request.__init__  # the direct build is in use
    app = FerroAPI()
    states: list[dict[str, Any]] = []

    @app.get("/state")
    async def state(request: Request) -> None:
        states.append(dict(vars(request)))

    with TestClient(app) as client:
        assert client.get("/state").status_code == 200
    built = states[0]
    reference = vars(Request(built["scope"], built["_receive"], built["_send"]))
    assert type(built["scope"]) is dict
    assert built.keys() >= reference.keys()
    assert {key: built[key] for key in reference} == reference


def test_a_patched_request_init_runs_for_every_request(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    original = Request.__init__

    def traced(self: Request, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(self.scope["path"])

    monkeypatch.setattr(Request, "__init__", traced)
    app = FerroAPI()

    @app.get("/items/{item_id}")
    async def read(item_id: int, request: Request) -> dict[str, Any]:
        return {"item_id": item_id, "path": request.url.path}

    with TestClient(app) as client:
        assert client.get("/items/3").json() == {"item_id": 3, "path": "/items/3"}
    assert "/items/3" in seen
