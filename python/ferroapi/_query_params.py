"""A connection's `query_params`, parsed by the native core.

starlette parses the query string with `urllib.parse.parse_qsl` and builds `QueryParams` through three
comprehensions: some twenty Python calls per request that reads a query parameter. Here the pairs come
from one native call (`parse_query_string`, the same pairs: see its tests) and the `QueryParams` is given
its state directly. It is cached where starlette caches it, so `request.query_params` is the same
object afterwards. What starlette's `QueryParams` holds is checked once, at import; if a release
changes it, starlette builds it as before.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection

from ferroapi._ferroapi import parse_query_string

__all__ = ["query_params_of"]

_new_object = object.__new__


def _state_is_known() -> bool:
    probe = QueryParams(b"a=1&a=2&b")
    return vars(probe) == {"_dict": {"a": "2", "b": ""}, "_list": [("a", "1"), ("a", "2"), ("b", "")]}


_DIRECT = _state_is_known()


def query_params_of(connection: HTTPConnection) -> QueryParams:
    """`connection.query_params`."""
    state = connection.__dict__
    params: QueryParams | None = state.get("_query_params")
    if params is not None:
        return params
    raw = connection.scope["query_string"]
    if not _DIRECT or type(raw) is not bytes:
        return connection.query_params
    pairs = parse_query_string(raw)
    params = _new_object(QueryParams)
    params.__dict__ = {"_dict": dict(pairs), "_list": pairs}
    state["_query_params"] = params
    return params
