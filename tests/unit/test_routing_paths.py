"""Route paths are parsed at registration and their regex compiled on first use: what that gives must
be exactly what starlette's `compile_path` gives (format, convertors, regex, errors)."""

from __future__ import annotations

import copy
import re

import pytest
from starlette.routing import Match, compile_path

from ferroapi import APIRouter, FerroAPI
from ferroapi._routing.paths import LazyPathRegex, compile_path_lazily
from ferroapi._routing.route import APIRoute

PATHS = [
    "/",
    "",
    "/items",
    "/items/",
    "/items/{item_id}",
    "/items/{item_id:int}/sub/{name}",
    "/files/{file_path:path}",
    "/a.b/{x:float}+{y:uuid}",
    "/weird/(literal)[chars]*?/{p}",
    "/{a}{b}",
    "{subdomain}.example.org",
    "{sub}.example.org:8080",
    "[::1]",
]


@pytest.mark.parametrize("path", PATHS)
def test_same_as_starlette(path: str) -> None:
    regex, path_format, convertors = compile_path(path)
    lazy, lazy_format, lazy_convertors = compile_path_lazily(path)
    assert lazy_format == path_format
    assert {k: type(v) for k, v in lazy_convertors.items()} == {k: type(v) for k, v in convertors.items()}
    assert isinstance(lazy, LazyPathRegex)
    assert lazy._compiled is None  # nothing compiled yet
    assert lazy.pattern == regex.pattern and lazy.flags == regex.flags
    assert lazy == regex and hash(lazy) == hash(regex) and repr(lazy) == repr(regex)
    for candidate in (
        "/items/3",
        "/items/3/sub/x",
        "/files/a/b",
        "/weird/(literal)[chars]*?/1",
        "x.example.org",
    ):
        got, want = lazy.match(candidate), regex.match(candidate)
        assert (got and got.groupdict()) == (want and want.groupdict())


@pytest.mark.parametrize(
    ("path", "error"),
    [("/{a}/{a}", ValueError), ("/{a}/{b}/{a}/{b}", ValueError), ("/{a:nope}", AssertionError)],
)
def test_same_errors_as_starlette(path: str, error: type[Exception]) -> None:
    with pytest.raises(error) as expected:
        compile_path(path)
    with pytest.raises(error) as got:
        compile_path_lazily(path)
    assert str(got.value) == str(expected.value)


def test_routes_compile_on_first_match_only() -> None:
    async def item(item_id: int) -> int:
        return item_id

    route = APIRoute("/items/{item_id:int}", item)
    assert isinstance(route.path_regex, LazyPathRegex) and route.path_regex._compiled is None
    assert route.url_path_for("item", item_id=3) == "/items/3"
    assert route.path_regex._compiled is None
    scope = {"type": "http", "path": "/items/3", "method": "GET", "root_path": ""}
    match, child = route.matches(scope)  # starlette's matching, what custom route classes call
    assert match is Match.FULL and child["path_params"] == {"item_id": 3}
    assert isinstance(route.path_regex._compiled, re.Pattern)
    assert copy.deepcopy(route.path_regex).match("/items/4") is not None


def test_included_routes_serve() -> None:
    from ferroapi.testclient import TestClient

    router = APIRouter()

    @router.get("/things/{thing_id:int}")
    async def thing(thing_id: int) -> dict[str, int]:
        return {"thing_id": thing_id}

    app = FerroAPI()
    app.include_router(router, prefix="/v1/{tenant}")
    client = TestClient(app)
    assert client.get("/v1/acme/things/5").json() == {"thing_id": 5}
    assert client.get("/v1/acme/things/x").status_code == 404
    assert app.url_path_for("thing", tenant="t", thing_id=2) == "/v1/t/things/2"
