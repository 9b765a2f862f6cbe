"""Client input JSON accepts but strict JSON rendering refuses, echoed back (issue #12).

- A lone surrogate (`"\\ud800"`): accepted by `json.loads` (FastAPI's decoder) and ferroapi's, so the
  endpoint gets a `str` holding it. FastAPI answers 500 once it is echoed (UTF-8 has no form for it);
  ferroapi writes it as the `\\ud800` escape it arrived as, on every lane: the client decodes the very
  string it sent.
- `NaN` / `Infinity` / `1e999` for an int: the 422's `input` is a non-finite float that FastAPI's
  handler cannot render (500). ferroapi answers the 422 FastAPI's handler would if it could render
  it: the same errors, the float written as null (FastAPI's own `_normalize_non_finite_floats`).
- The same values where FastAPI does answer (a float field, an endpoint that does not echo) keep
  FastAPI's responses exactly.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from _dual import Framework, Req, load
from pydantic import BaseModel

JSON = {"content-type": "application/json"}
LONE = "\ud800"
LONE_BODY = b'{"name": "a\\ud800b"}'
LOW_BODY = b'{"name": "\\udc80"}'  # a lone low surrogate too (what surrogateescape makes of a byte)


class Item(BaseModel):
    name: str


class Count(BaseModel):
    n: int


class Price(BaseModel):
    x: float


def app_echo(fw: Framework) -> Any:
    app = fw.App()
    responses = fw.import_("responses")
    sse = fw.import_("sse")
    exceptions = fw.import_("exceptions")

    @app.post("/model", response_model=Item)
    async def model(item: Item) -> Any:
        return item

    @app.post("/plain")
    async def plain(item: Item) -> Any:
        return {"name": item.name}

    @app.post("/dict")
    def as_dict(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    @app.post("/explicit", response_model=Item, response_class=responses.JSONResponse)
    async def explicit(item: Item) -> Any:
        return item

    @app.post("/jsonl")
    async def jsonl(item: Item) -> AsyncIterator[Item]:
        yield item
        yield Item(name="after")

    @app.post("/jsonl-sync")
    def jsonl_sync(item: Item) -> Iterator[Item]:
        yield item

    @app.post("/jsonl-untyped")
    async def jsonl_untyped(item: Item) -> AsyncIterator[Any]:
        yield {"name": item.name}

    @app.post("/sse", response_class=sse.EventSourceResponse)
    async def events(item: Item) -> AsyncIterator[Item]:
        yield item

    @app.post("/sse-event", response_class=sse.EventSourceResponse)
    async def event(item: Item) -> AsyncIterator[Any]:
        yield sse.ServerSentEvent(data=item, event="item")

    @app.post("/count")
    async def count(item: Count) -> int:
        return item.n

    @app.post("/missing")
    async def missing(item: Item) -> str:
        raise exceptions.HTTPException(status_code=404, detail=f"no item named {item.name}")

    @app.post("/length")
    async def length(item: Item) -> int:
        return len(item.name)  # does not echo: the same answer in both frameworks

    @app.post("/price")
    async def price(item: Price) -> Price:
        return item

    return app


def ferro_post(path: str, content: bytes) -> Any:
    ferro = load("ferroapi")
    with ferro.client(app_echo(ferro), raise_server_exceptions=True) as client:
        return client.post(path, content=content, headers=JSON)


@pytest.mark.parametrize("path", ["/model", "/plain", "/dict", "/explicit"])
def test_lone_surrogate_echoed_as_its_escape(path: str) -> None:
    response = ferro_post(path, LONE_BODY)
    assert response.status_code == 200
    assert response.content == b'{"name":"a\\ud800b"}'
    assert response.headers["content-length"] == str(len(response.content))
    assert json.loads(response.content) == {"name": f"a{LONE}b"}  # the string the client sent
    low = ferro_post(path, LOW_BODY)
    assert (low.status_code, low.content) == (200, b'{"name":"\\udc80"}')


@pytest.mark.parametrize("path", ["/jsonl", "/jsonl-sync", "/jsonl-untyped"])
def test_lone_surrogate_in_json_lines(path: str) -> None:
    response = ferro_post(path, LONE_BODY)
    assert response.status_code == 200
    lines = response.content.splitlines()
    assert lines[0] == b'{"name":"a\\ud800b"}'
    assert json.loads(lines[0]) == {"name": f"a{LONE}b"}
    if path == "/jsonl":  # the stream goes on after that item
        assert lines[1:] == [b'{"name":"after"}']


@pytest.mark.parametrize("path", ["/sse", "/sse-event"])
def test_lone_surrogate_in_server_sent_events(path: str) -> None:
    response = ferro_post(path, LONE_BODY)
    assert response.status_code == 200
    data = [line for line in response.content.splitlines() if line.startswith(b"data: ")]
    assert data == [b'data: {"name":"a\\ud800b"}']


def test_lone_surrogate_in_error_bodies() -> None:
    invalid = ferro_post("/count", b'{"n": "\\ud800"}')
    assert invalid.status_code == 422
    assert invalid.json() == {
        "detail": [
            {
                "type": "string_unicode",
                "loc": ["body", "n"],
                "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
                "input": LONE,
            }
        ]
    }
    missing = ferro_post("/missing", LONE_BODY)
    assert (missing.status_code, missing.json()) == (404, {"detail": f"no item named a{LONE}b"})


def test_fastapi_answers_500_where_ferroapi_echoes() -> None:
    """The reference: each lane above is a server error in FastAPI 0.165 (this is what changed)."""
    fastapi = load("fastapi")
    with fastapi.client(app_echo(fastapi), raise_server_exceptions=False) as client:
        for path in ("/model", "/plain", "/dict", "/explicit", "/count", "/missing"):
            body = b'{"n": "\\ud800"}' if path == "/count" else LONE_BODY
            assert client.post(path, content=body, headers=JSON).status_code == 500, path


def test_lone_surrogate_not_echoed_is_fastapis(fw: Framework) -> None:
    (length,) = fw.compare(app_echo, [Req("POST", "/length", content=LONE_BODY, headers=JSON)])
    assert (length.status, length.body) == (200, 3)


# --- non-finite numbers -----------------------------------------------------------------------------


def app_numbers(fw: Framework) -> Any:
    app = app_echo(fw)
    if fw.name == "fastapi":
        # What FastAPI's 422 handler would send if its rendering accepted the non-finite input:
        # its errors, normalized with FastAPI's own helper.
        routing = fw.import_("routing")
        encoders = fw.import_("encoders")
        responses = fw.import_("responses")

        @app.exception_handler(fw.import_("exceptions").RequestValidationError)
        async def renderable(request: Any, exc: Any) -> Any:
            detail = routing._normalize_non_finite_floats(encoders.jsonable_encoder(exc.errors()))
            return responses.JSONResponse({"detail": detail}, status_code=422)

    @app.post("/items")
    async def items(item: Item) -> Item:
        return item

    @app.post("/ints")
    async def ints(values: list[int]) -> list[int]:
        return values

    return app


NON_FINITE = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999"]


def test_non_finite_number_for_an_int_is_a_422(fw: Framework) -> None:
    requests = [Req("POST", "/count", content=b'{"n": ' + token + b"}", headers=JSON) for token in NON_FINITE]
    requests += [
        Req("POST", "/ints", content=b"[1, NaN, 2, 1e999]", headers=JSON),
        Req("POST", "/items", content=b"[NaN]", headers=JSON),
        Req("POST", "/items", content=b"NaN", headers=JSON),
    ]
    got = fw.compare(app_numbers, requests)
    for response in got[: len(NON_FINITE)]:
        assert response.status == 422
        assert response.body == {
            "detail": [
                {
                    "type": "finite_number",
                    "loc": ["body", "n"],
                    "msg": "Input should be a finite number",
                    "input": None,
                }
            ]
        }
    assert [error["loc"] for error in got[-3].body["detail"]] == [["body", 1], ["body", 3]]
    assert got[-2].body["detail"][0]["input"] == [None]
    assert got[-1].body["detail"][0]["input"] is None


def test_fastapi_default_handler_answers_500_for_them() -> None:
    fastapi = load("fastapi")
    with fastapi.client(app_echo(fastapi), raise_server_exceptions=False) as client:
        response = client.post("/count", content=b'{"n": NaN}', headers=JSON)
    assert response.status_code == 500


def test_non_finite_number_for_a_float_is_fastapis(fw: Framework) -> None:
    requests = [Req("POST", "/price", content=b'{"x": ' + token + b"}", headers=JSON) for token in NON_FINITE]
    for response in fw.compare(app_echo, requests):
        assert (response.status, response.body) == (200, {"x": None})
