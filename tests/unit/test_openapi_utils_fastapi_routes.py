"""get_openapi over FastAPI's own route objects (they carry the attributes the generator reads):
the document must equal the one FastAPI builds for the same routes.

This checks the schema/parameter/response logic independently of FerroAPI's routing; the compat
tests (tests/compat/test_openapi*.py) check the same documents through FerroAPI apps.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Body, Cookie, Depends, FastAPI, File, Form, Header, Path, Query, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.routing import iter_route_contexts
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field, computed_field

from ferroapi.openapi.utils import get_openapi


class Item(BaseModel):
    """An item.\fNot in the schema."""

    name: str
    price: float = Field(default=1.0, description="The price")
    tags: list[str] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> float:
        return self.price


class Bundle(BaseModel):
    items: list[Item]
    kind: str = "a"


def common(skip: int = 0, limit: Annotated[int, Query(le=100)] = 10) -> int:
    return skip


def nested(c: int = Depends(common), z: str = "z") -> int:
    return c


def build_app() -> FastAPI:
    app = FastAPI(
        title="T",
        version="2",
        summary="s",
        description="d",
        servers=[{"url": "/x", "description": "x"}],
        openapi_tags=[{"name": "r", "description": "R"}],
        contact={"name": "me", "email": "me@example.com"},
        license_info={"name": "MIT"},
        terms_of_service="tos",
    )

    @app.get("/items/{item_id}", response_model=Item, tags=["items"], responses={404: {"description": "no"}})
    def read(
        item_id: int,
        q: str | None = None,
        x_token: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> Any: ...

    @app.put("/items/{i}", responses={418: {"model": Item}, "4XX": {"description": "bad"}})
    def update(i: Annotated[int, Path(ge=1)], item: Item, importance: Annotated[int, Body()]) -> None: ...

    @app.post("/form", status_code=201)
    def form(a: Annotated[str, Form()], f: UploadFile, b: Annotated[bytes, File()]) -> None: ...

    @app.get("/html", response_class=HTMLResponse, deprecated=True)
    def html() -> str: ...

    @app.get("/text", response_class=PlainTextResponse, openapi_extra={"x-extra": {"a": 1}})
    def text() -> str: ...

    @app.delete("/d", status_code=204)
    def delete() -> None: ...

    @app.post("/embed", operation_id="embedded")
    def embed(item: Annotated[Item, Body(embed=True, media_type="application/vnd.x+json")]) -> Bundle: ...

    @app.get("/hidden", include_in_schema=False)
    def hidden() -> None: ...

    callbacks = APIRouter()

    @callbacks.post("{$callback_url}/events")
    def event_callback(body: Bundle) -> None: ...

    router = APIRouter(prefix="/r", tags=["r"], dependencies=[Depends(nested)], responses={500: {}})

    @router.get("/list", response_model=list[Item], callbacks=callbacks.routes)
    def listing(d: int = Depends(common)) -> Any: ...

    @router.get("/jsonl")
    async def jsonl() -> AsyncIterable[Item]:
        yield Item(name="x")

    @router.get("/sse", response_class=EventSourceResponse)
    async def sse() -> AsyncIterable[Item]:
        yield Item(name="x")

    @router.get("/sse-untyped", response_class=EventSourceResponse)
    async def sse_untyped():
        yield 1

    app.include_router(router)

    @app.webhooks.post("new-item")
    def new_item(body: Item) -> None: ...

    return app


def ferro_document(app: FastAPI) -> dict[str, Any]:
    return get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=list(iter_route_contexts(app.routes)),
        webhooks=list(iter_route_contexts(app.webhooks.routes)),
        tags=app.openapi_tags,
        servers=app.servers,
        terms_of_service=app.terms_of_service,
        contact=app.contact,
        license_info=app.license_info,
        separate_input_output_schemas=app.separate_input_output_schemas,
    )


@pytest.mark.parametrize("separate", [True, False])
def test_document_equals_fastapi(separate: bool) -> None:
    app = build_app()
    app.separate_input_output_schemas = separate
    assert ferro_document(app) == app.openapi()


def test_input_and_output_schemas_are_split_when_they_differ() -> None:
    schemas = ferro_document(build_app())["components"]["schemas"]
    assert {"Item-Input", "Item-Output", "ValidationError", "HTTPValidationError"} <= set(schemas)
    assert schemas["Item-Input"]["description"] == "An item."


def test_empty_app() -> None:
    assert get_openapi(title="x", version="1", routes=[]) == {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {},
    }
