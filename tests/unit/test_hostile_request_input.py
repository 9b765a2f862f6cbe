"""Request input chosen to hurt the server, through the public API (issue #12 security review).

- JSON bodies with fresh object keys must not leave anything behind: the decoder's key cache once
  interned keys, and CPython 3.12 makes interned strings immortal (memory grew with every body).
- A `{x:int}` path parameter longer than `sys.get_int_max_str_digits()` must not reach `int()`
  (ValueError, a 500): the route does not match, as if its regex had failed.
"""

from __future__ import annotations

import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
from starlette.routing import Match, compile_path
from starlette.types import Scope
from starlette.websockets import WebSocketDisconnect

from ferroapi import APIRouter, FerroAPI, WebSocket, routing
from ferroapi.testclient import TestClient

# On CPython 3.12+ an immortal object's reference count reads as a constant near 2**32 (PEP 683).
IMMORTAL_REFCOUNT = 2**30


# ---- JSON keys ----------------------------------------------------------------------------------


def _keys_app(seen: list[dict[str, Any]]) -> FerroAPI:
    app = FerroAPI()

    # Decimal values: validated as FastAPI does, from the decoded JSON (the native decoder's
    # output reaches the endpoint), not in one pass from the bytes.
    @app.post("/totals")
    def totals(body: dict[str, Decimal]) -> int:
        seen.append(body)
        return len(body)

    return app


@pytest.mark.skipif(sys.version_info < (3, 12), reason="immortal objects exist from CPython 3.12 (PEP 683)")
def test_fresh_body_keys_are_not_made_immortal() -> None:
    seen: list[dict[str, Any]] = []
    client = TestClient(_keys_app(seen))
    tag = uuid.uuid4().hex
    for n in range(3):
        keys = [f"{tag[:8]}{n}x{i}" for i in range(300)] + [f"{tag}-{n}-{i}" for i in range(300)]
        response = client.post("/totals", json={k: i for i, k in enumerate(keys)})
        assert response.status_code == 200, response.text[:300]
        assert response.json() == len(keys)
    assert len(seen) == 3
    immortal = [k for body in seen for k in body if sys.getrefcount(k) >= IMMORTAL_REFCOUNT]
    assert immortal == [], f"{len(immortal)} body keys made immortal, e.g. {immortal[0]!r}"


# ---- int path parameters over the digit limit ---------------------------------------------------


class HookedRouter(APIRouter):
    """A router whose inclusion is matched in Python (its `matches` is overridden), route by route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return super().matches(scope)


def _int_app() -> FerroAPI:
    app = FerroAPI()

    @app.get("/items/{item_id:int}")
    def item(item_id: int) -> dict[str, int]:
        return {"digits": len(str(item_id))}

    @app.get("/users/{user_id:int}")
    def user_by_id(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @app.get("/users/{name}")
    def user_by_name(name: str) -> dict[str, int]:
        return {"name_length": len(name)}

    @app.websocket("/ws/{n:int}")
    async def numbers(websocket: WebSocket, n: int) -> None:
        await websocket.accept()
        await websocket.send_json({"digits": len(str(n))})
        await websocket.close()

    files = FerroAPI()

    @files.get("/{name}")
    def file(name: str) -> dict[str, str]:
        return {"file": name}

    app.mount("/files/{n:int}", files)

    hooked = HookedRouter()

    @hooked.get("/hooked/{n:int}")
    def hooked_item(n: int) -> dict[str, int]:
        return {"digits": len(str(n))}

    @hooked.websocket("/hooked-ws/{n:int}")
    async def hooked_numbers(websocket: WebSocket, n: int) -> None:
        await websocket.accept()
        await websocket.send_json({"digits": len(str(n))})
        await websocket.close()

    app.include_router(hooked, prefix="/api")
    return app


@pytest.fixture(scope="module")
def int_client() -> TestClient:
    return TestClient(_int_app())


LIMIT = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
needs_limit = pytest.mark.skipif(LIMIT == 0, reason="int() has no digit limit in this interpreter")


@needs_limit
def test_int_path_parameter_over_the_digit_limit_is_a_404(int_client: TestClient) -> None:
    assert int_client.get("/items/42").json() == {"digits": 2}
    assert int_client.get("/items/" + "1" * LIMIT).json() == {"digits": LIMIT}
    response = int_client.get("/items/" + "1" * (LIMIT + 1))  # FastAPI: int() raises, a 500
    assert response.status_code == 404, response.text[:200]
    assert int_client.get("/items/" + "1" * 20_000).status_code == 404


@needs_limit
def test_int_path_parameter_over_the_limit_leaves_the_next_route(int_client: TestClient) -> None:
    assert int_client.get("/users/7").json() == {"id": 7}
    assert int_client.get("/users/" + "7" * (LIMIT + 1)).json() == {"name_length": LIMIT + 1}


@needs_limit
def test_no_slash_redirect_to_an_int_over_the_limit(int_client: TestClient) -> None:
    assert int_client.get("/items/42/", follow_redirects=False).status_code == 307
    response = int_client.get("/items/" + "1" * (LIMIT + 1) + "/", follow_redirects=False)
    assert response.status_code == 404


@needs_limit
def test_websocket_int_parameter_over_the_limit_is_refused(int_client: TestClient) -> None:
    with int_client.websocket_connect("/ws/12") as websocket:
        assert websocket.receive_json() == {"digits": 2}
    with pytest.raises(WebSocketDisconnect), int_client.websocket_connect("/ws/" + "1" * (LIMIT + 1)):
        pass  # pragma: no cover


@needs_limit
def test_mount_int_parameter_over_the_limit_is_a_404(int_client: TestClient) -> None:
    assert int_client.get("/files/3/a.txt").json() == {"file": "a.txt"}
    assert int_client.get("/files/" + "3" * (LIMIT + 1) + "/a.txt").status_code == 404


@needs_limit
def test_int_over_the_limit_under_a_router_matched_in_python(int_client: TestClient) -> None:
    assert int_client.get("/api/hooked/5").json() == {"digits": 1}
    assert int_client.get("/api/hooked/" + "5" * (LIMIT + 1)).status_code == 404
    with int_client.websocket_connect("/api/hooked-ws/12") as websocket:
        assert websocket.receive_json() == {"digits": 2}
    long = "1" * (LIMIT + 1)
    with pytest.raises(WebSocketDisconnect), int_client.websocket_connect(f"/api/hooked-ws/{long}"):
        pass  # pragma: no cover


@needs_limit
def test_fastapis_effective_route_context_does_not_match_an_int_over_the_limit() -> None:
    # FastAPI's class for an included route as seen under its inclusion (code written against
    # FastAPI's internals builds and matches these itself).
    def endpoint(n: int) -> int:
        return n

    regex, path_format, convertors = compile_path("/i/{n:int}")
    context = routing._EffectiveRouteContext(
        original_route=routing.APIRoute("/i/{n:int}", endpoint),
        path_regex=regex,
        path_format=path_format,
        param_convertors=convertors,
    )
    scope: Scope = {"type": "http", "path": "/i/12", "root_path": "", "method": "GET"}
    assert context.matches(scope)[1]["path_params"] == {"n": 12}
    assert context.matches({**scope, "path": "/i/" + "1" * (LIMIT + 1)}) == (Match.NONE, {})
