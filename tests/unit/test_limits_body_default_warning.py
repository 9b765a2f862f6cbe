"""The first 413 of the built-in default `max_body_size` logs one warning (issue #13).

An app ported from FastAPI had no body limit; its first refused upload should say why, once, and how
to raise the limit. A limit the user set (even to the default's value) logs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ferroapi import APIRouter, FerroAPI
from ferroapi._limits import body as limits
from ferroapi.testclient import TestClient

DEFAULT = 16 * 1024 * 1024
JSON = {"content-type": "application/json"}
OVER = b"[" + b"0," * (DEFAULT // 2) + b"0]"  # a JSON body just over 16 MiB


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if no 413 had been logged yet in this process."""
    monkeypatch.setattr(limits, "_DEFAULT_LIMIT_LOGGED", [False])


def chunked(body: bytes) -> Iterator[bytes]:
    """The body without a Content-Length: counted as it arrives."""
    for start in range(0, len(body), 1 << 20):
        yield body[start : start + (1 << 20)]


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fastapi" and r.levelno == logging.WARNING]


def app_with(**options: Any) -> FerroAPI:
    app = FerroAPI(**options)

    @app.post("/items")
    async def items(values: list[int]) -> int:
        return len(values)

    @app.post("/raw")
    async def raw(request: Request) -> int:  # reads the body itself: counted by the route's receive
        return len(await request.body())

    return app


def test_first_default_413_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="fastapi")
    with TestClient(app_with()) as client:
        assert client.post("/items", content=OVER, headers=JSON).status_code == 413
        assert client.post("/items", content=OVER, headers=JSON).status_code == 413
        assert client.post("/items", content=chunked(OVER), headers=JSON).status_code == 413
        assert client.post("/items", content=b"[1, 2]", headers=JSON).status_code == 200
    (message,) = warnings_of(caplog)
    assert f"A request body of {len(OVER)} bytes (Content-Length)" in message
    assert f"default max_body_size is {DEFAULT} bytes" in message
    assert "max_body_size=<bytes>" in message and "FerroAPI()" in message  # how to raise it


@pytest.mark.parametrize("path", ["/items", "/raw"])
def test_a_body_counted_as_it_arrives(path: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="fastapi")
    with TestClient(app_with()) as client:
        assert client.post(path, content=chunked(OVER), headers=JSON).status_code == 413
    (message,) = warnings_of(caplog)
    assert f"A request body of more than {DEFAULT} bytes" in message


def test_under_user_middleware(caplog: pytest.LogCaptureFixture) -> None:
    """The app-wide limiter around user middleware (starlette's) logs too."""
    caplog.set_level(logging.WARNING, logger="fastapi")
    app = app_with()

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    with TestClient(app) as client:
        assert client.post("/items", content=chunked(OVER), headers=JSON).status_code == 413
    (message,) = warnings_of(caplog)
    assert "default max_body_size" in message


def test_a_starlette_route(caplog: pytest.LogCaptureFixture) -> None:
    """A route that is not an API route is limited by starlette's limiter: logged as well."""
    caplog.set_level(logging.WARNING, logger="fastapi")

    async def raw(request: Any) -> PlainTextResponse:
        return PlainTextResponse(str(len(await request.body())))

    app = FerroAPI(routes=[Route("/raw", raw, methods=["POST"])])
    with TestClient(app) as client:
        assert client.post("/raw", content=chunked(OVER)).status_code == 413
    (message,) = warnings_of(caplog)
    assert f"more than {DEFAULT} bytes" in message


@pytest.mark.parametrize("where", ["app", "app-same-value", "router", "include", "route", "none"])
def test_a_limit_the_user_set_is_never_logged(where: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="fastapi")
    limit = DEFAULT if where == "app-same-value" else 1024
    app_options: dict[str, Any] = {}
    if where in ("app", "app-same-value"):
        app_options["max_body_size"] = limit
    elif where == "none":
        app_options["max_body_size"] = None  # no limit at all
    app = FerroAPI(**app_options)
    router = APIRouter(max_body_size=limit if where == "router" else None)

    @router.post("/items", max_body_size=limit if where == "route" else None)
    async def items(values: list[int]) -> int:
        return len(values)

    app.include_router(router, max_body_size=limit if where == "include" else None)
    with TestClient(app) as client:
        status = client.post("/items", content=OVER, headers=JSON).status_code
        chunked_status = client.post("/items", content=chunked(OVER), headers=JSON).status_code
    if where == "none":
        assert (status, chunked_status) == (200, 200)
    else:
        assert (status, chunked_status) == (413, 413)
    assert warnings_of(caplog) == []
