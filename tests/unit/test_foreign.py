"""Objects of the real FastAPI package handed to a ferroapi app without the alias (an extension that
imports `fastapi` itself): they work as their ferroapi counterparts, or are refused with a TypeError
that says how to fix it. The same app written with FastAPI alone is the reference."""

from __future__ import annotations

from typing import Annotated, Any

import fastapi
import fastapi.security
import pytest
from fastapi.testclient import TestClient as FastAPIClient

import ferroapi
from ferroapi.testclient import TestClient

oauth = fastapi.security.OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read items"})


def paginate(page: int = 1, size: Annotated[int, fastapi.Query(le=50)] = 10) -> dict[str, int]:
    return {"page": page, "size": size}


def build(framework: Any, app_class: Any) -> Any:
    """The app; its extension part always uses the real FastAPI's declarations."""
    app = app_class()
    handled: list[str] = []

    @app.get("/items")
    def items(
        paging: dict[str, int] = fastapi.Depends(paginate),
        token: str = fastapi.Security(oauth, scopes=["read"]),
        x_trace: str = fastapi.Header("none"),
        body: dict[str, Any] | None = fastapi.Body(None, embed=True),
    ) -> dict[str, Any]:
        return {**paging, "token": token, "trace": x_trace, "body": body}

    @app.get("/extension-error")
    def extension_error(q: int = 0) -> None:
        raise fastapi.exceptions.RequestValidationError(
            [{"type": "value_error", "loc": ("query", "q"), "msg": "rejected by the extension", "input": q}]
        )

    @app.get("/teapot")
    def teapot() -> None:
        raise fastapi.HTTPException(418, "short and stout", headers={"x-tea": "1"})

    @app.exception_handler(fastapi.exceptions.RequestValidationError)
    async def on_invalid(request: Any, exc: Any) -> Any:
        handled.append(type(exc).__name__)
        return framework.responses.JSONResponse({"invalid": len(exc.errors())}, status_code=400)

    app.state.handled = handled
    return app


REQUESTS = [
    ("GET", "/items?page=2", {"Authorization": "Bearer t", "x-trace": "abc"}),
    ("GET", "/items?size=99", {"Authorization": "Bearer t"}),
    ("GET", "/items", {}),
    ("GET", "/extension-error?q=3", {}),
    ("GET", "/teapot", {}),
]


def _answers(app: Any, client_class: Any) -> list[tuple[int, Any, str | None]]:
    client = client_class(app)
    out = []
    for method, url, headers in REQUESTS:
        response = client.request(method, url, headers=headers)
        out.append((response.status_code, response.json(), response.headers.get("x-tea")))
    return out


def test_declarations_exceptions_and_schemes_work_as_ferroapis() -> None:
    ours = build(ferroapi, ferroapi.FerroAPI)
    reference = build(fastapi, fastapi.FastAPI)
    assert _answers(ours, TestClient) == _answers(reference, FastAPIClient)
    assert ours.state.handled == reference.state.handled == ["RequestValidationError"] * 2
    assert ours.openapi() == reference.openapi()


def test_a_default_handler_answers_fastapis_validation_error() -> None:
    app = ferroapi.FerroAPI()

    @app.get("/")
    def root() -> None:
        raise fastapi.exceptions.RequestValidationError(
            [{"type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None}]
        )

    response = TestClient(app).get("/")
    assert (response.status_code, response.json()["detail"][0]["msg"]) == (422, "Field required")


def test_real_fastapi_routers_and_routes_are_refused_with_the_fix() -> None:
    app = ferroapi.FerroAPI()
    with pytest.raises(TypeError, match=r"router of the real fastapi package .*install_as_fastapi\(\)"):
        app.include_router(fastapi.APIRouter())  # type: ignore[arg-type]  # the foreign object under test
    route = fastapi.routing.APIRoute("/x", lambda: None)
    with pytest.raises(TypeError, match=r"route of the real fastapi package .*FERROAPI_FASTAPI_ALIAS=1"):
        ferroapi.APIRouter(routes=[route])
