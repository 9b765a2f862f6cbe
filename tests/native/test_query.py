"""Query strings (`ferroapi._ferroapi.parse_query_string`): the pairs starlette's QueryParams holds,
`parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)`, and the parameters read from them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from hypothesis import example, given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from ferroapi import FerroAPI, Query, Request
from ferroapi._ferroapi import parse_query_string
from ferroapi.testclient import TestClient


def starlette_pairs(query: bytes) -> list[tuple[str, str]]:
    return parse_qsl(query.decode("latin-1"), keep_blank_values=True)


# Bytes that matter to the parser, mixed with anything: separators, escapes, hex digits, UTF-8 lead
# and continuation bytes, raw Latin-1.
_INTERESTING = st.sampled_from(
    [b"&", b"=", b"+", b"%", b"%2", b"%41", b"%e2%82%ac", b"%C3", b"%a9", b"\xc3\xa9", b"\xff", b"%ed%a0%80"]
)
_QUERIES = st.lists(st.one_of(_INTERESTING, st.binary(max_size=4)), max_size=24).map(b"".join)


@given(_QUERIES)
@example(b"a=1&a=2&b&&c=")
@example(b"q=%zz%4%")
@example(b"q=%f0%9f%98&x=%f0%9f%98%80")
@example(b"q=%c3\xa9")
def test_same_pairs_as_parse_qsl(query: bytes) -> None:
    assert parse_query_string(query) == starlette_pairs(query)


@given(st.binary(max_size=64))
def test_same_pairs_on_any_bytes(query: bytes) -> None:
    assert parse_query_string(query) == starlette_pairs(query)


def test_parameters_and_request_query_params_agree() -> None:
    app = FerroAPI()

    @app.get("/search")
    async def search(request: Request, q: str, tag: list[str] = Query(default=[]), n: int = 1) -> Any:
        params = request.query_params
        return {"q": q, "tag": tag, "n": n, "same": params["q"] == q, "multi": params.multi_items()}

    with TestClient(app) as client:
        body = client.get("/search?q=caf%C3%A9+au+lait&tag=a&tag=b&n=3&empty=").json()
        assert body == {
            "q": "café au lait",
            "tag": ["a", "b"],
            "n": 3,
            "same": True,
            "multi": [["q", "café au lait"], ["tag", "a"], ["tag", "b"], ["n", "3"], ["empty", ""]],
        }
        assert vars(QueryParams(b"tag=a&tag=b"))["_list"] == [("tag", "a"), ("tag", "b")]
        missing = client.get("/search?tag=a")
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["query", "q"]
