"""The native route table (`ferroapi._ferroapi.Router`) against starlette's own ordered scan.

The reference is starlette itself: real `Route`, `WebSocketRoute` and `Mount` objects built from the
same templates, scanned as `Router.app` does (first FULL, else first PARTIAL, else the
redirect_slashes probe). Outcome, route index and converted parameters (values and types) must be
identical. The Rust crate has its own property test against a naive oracle; this one pins the
oracle's semantics to the real regexes, `re`'s `$` and the real convertors included.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import PARAM_REGEX, BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from ferroapi._ferroapi import (
    FOUND,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    REDIRECT,
    ROUTE_HTTP,
    ROUTE_MOUNT,
    ROUTE_WEBSOCKET,
    SCOPE_HTTP,
    SCOPE_WEBSOCKET,
    Router,
)

Methods = Sequence[str] | None
RouteDef = tuple[int, str, int, Methods]  # (index, template, kind, methods as given to starlette)
Result = tuple[int, int, Any]


class Endpoint:
    """A class-based ASGI endpoint: starlette leaves `methods=None` alone for these (any method)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # pragma: no cover
        raise AssertionError("never called")


ENDPOINT = Endpoint()


def starlette_route(template: str, kind: int, methods: Methods) -> BaseRoute:
    if kind == ROUTE_HTTP:
        return Route(template, ENDPOINT, methods=methods)
    if kind == ROUTE_WEBSOCKET:
        return WebSocketRoute(template, ENDPOINT)
    return Mount(template, app=ENDPOINT)


def build(
    defs: Sequence[RouteDef], redirect_slashes: bool = True
) -> tuple[Router, list[tuple[int, BaseRoute]]]:
    """The native table and the starlette routes, from the same definitions.

    The native spec gets the route's final method set (upper-cased, HEAD added), as the Python side
    hands it over.
    """
    routes = [(index, starlette_route(t, kind, methods)) for index, t, kind, methods in defs]
    specs = []
    for (index, template, kind, _), (_, route) in zip(defs, routes, strict=True):
        final = getattr(route, "methods", None)
        specs.append((index, template, kind, None if final is None else sorted(final)))
    return Router(specs, redirect_slashes=redirect_slashes), sorted(routes, key=lambda r: r[0])


def params_of(route: BaseRoute, child: Scope, path: str) -> dict[str, Any]:
    params = dict(child["path_params"])
    if isinstance(route, Mount):
        # starlette pops the remainder into root_path; the native table returns it as "path".
        match = route.path_regex.match(path)
        assert match is not None
        params["path"] = match.group("path")
    return params


def starlette_resolve(
    routes: Sequence[tuple[int, BaseRoute]], redirect_slashes: bool, scope_type: int, method: str, path: str
) -> Result:
    """`starlette.routing.Router.app`'s decision, without dispatching."""
    scope: Scope = {
        "type": "http" if scope_type == SCOPE_HTTP else "websocket",
        "path": path,
        "root_path": "",
        "method": method,
    }
    partial: Result | None = None
    for index, route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return FOUND, index, params_of(route, child, path)
        if match is Match.PARTIAL and partial is None:
            partial = METHOD_NOT_ALLOWED, index, params_of(route, child, path)
    if partial is not None:
        return partial
    if scope["type"] == "http" and redirect_slashes and path != "/":
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        for index, route in routes:
            if route.matches({**scope, "path": other})[0] is not Match.NONE:
                return REDIRECT, index, other
    return NOT_FOUND, -1, None


def typed(result: Result) -> Any:
    """Make types part of the comparison: 1 == 1.0 == True must not pass for a convertor."""
    code, index, payload = result
    if isinstance(payload, dict):
        payload = {k: (type(v).__name__, v) for k, v in payload.items()}
    return code, index, payload


def assert_same(
    defs: Sequence[RouteDef], scope_type: int, method: str, path: str, redirect_slashes: bool = True
) -> Result:
    router, routes = build(defs, redirect_slashes)
    got = router.resolve(scope_type, method, path)
    want = starlette_resolve(routes, redirect_slashes, scope_type, method, path)
    assert typed(got) == typed(want), (defs, scope_type, method, path)
    any_scope: Scope = {
        "type": "http" if scope_type == SCOPE_HTTP else "websocket",
        "path": path,
        "method": method,
    }
    any_match = any(route.matches(any_scope)[0] is not Match.NONE for _, route in routes)
    assert router.matches_any(scope_type, path) == any_match
    return got


H, WS, MOUNT = ROUTE_HTTP, ROUTE_WEBSOCKET, ROUTE_MOUNT
GET = ["GET"]

# ---- explicit cases --------------------------------------------------------------------------------


def test_parameter_route_registered_first_shadows_static() -> None:
    defs = [(0, "/items/{id}", H, GET), (1, "/items/me", H, GET)]
    assert assert_same(defs, SCOPE_HTTP, "GET", "/items/me") == (FOUND, 0, {"id": "me"})
    defs = [(0, "/items/me", H, GET), (1, "/items/{id}", H, GET)]
    assert assert_same(defs, SCOPE_HTTP, "GET", "/items/me") == (FOUND, 0, {})


def test_method_not_allowed_then_later_full_match() -> None:
    defs = [(0, "/a", H, ["POST"]), (7, "/a", H, GET), (9, "/b/{x:int}", H, ["PUT"])]
    assert assert_same(defs, SCOPE_HTTP, "GET", "/a")[:2] == (FOUND, 7)
    assert assert_same(defs, SCOPE_HTTP, "HEAD", "/a")[:2] == (FOUND, 7)
    assert assert_same(defs, SCOPE_HTTP, "DELETE", "/a") == (METHOD_NOT_ALLOWED, 0, {})
    assert assert_same(defs, SCOPE_HTTP, "GET", "/b/3") == (METHOD_NOT_ALLOWED, 9, {"x": 3})


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/a", (REDIRECT, 0, "/a/")),
        ("/b/", (REDIRECT, 1, "/b")),
        ("/b///", (REDIRECT, 1, "/b")),
        ("/", (NOT_FOUND, -1, None)),
        ("/c", (NOT_FOUND, -1, None)),
    ],
)
def test_redirect_slashes_both_ways(path: str, expected: Result) -> None:
    defs = [(0, "/a/", H, GET), (1, "/b", H, ["POST"]), (2, "/c/", WS, None)]
    assert assert_same(defs, SCOPE_HTTP, "GET", path) == expected
    assert assert_same(defs, SCOPE_HTTP, "GET", path, redirect_slashes=False) == (NOT_FOUND, -1, None)


def test_websocket_scope_never_redirects() -> None:
    defs = [(0, "/a/", WS, None)]
    assert assert_same(defs, SCOPE_WEBSOCKET, "GET", "/a") == (NOT_FOUND, -1, None)
    assert assert_same(defs, SCOPE_WEBSOCKET, "GET", "/a/") == (FOUND, 0, {})
    assert assert_same(defs, SCOPE_HTTP, "GET", "/a/") == (NOT_FOUND, -1, None)


@pytest.mark.parametrize(
    "path",
    [
        "/i/007",
        "/i/0",
        "/i/" + "9" * 40,
        "/i/-1",
        "/i/1.5",
        "/f/1.",
        "/f/.5",
        "/f/1.50",
        "/f/3",
        "/f/" + "1" * 400,
        "/f/1.2.3",
        "/u/123E4567-E89B-12D3-A456-426614174000",
        "/u/123e4567e89b12d3a456426614174000",
        "/u/123e4567-e89b12d3-a456426614174000",
        "/u/123e4567--e89b-12d3-a456-426614174000",
        "/u/123e4567-e89b-12d3-a456-42661417400",
        "/u/g23e4567-e89b-12d3-a456-426614174000",
    ],
)
def test_convertor_acceptance_and_types(path: str) -> None:
    defs = [(0, "/i/{x:int}", H, None), (1, "/f/{x:float}", H, None), (2, "/u/{x:uuid}", H, None)]
    assert_same(defs, SCOPE_HTTP, "GET", path)


@pytest.mark.parametrize(
    "path",
    ["/a/12\n", "/a/12\n\n", "/s/x\n", "/p/a/b\n", "/p/a\nb", "/l\n", "/l/\n", "/f/1.5\n", "/\n"],
)
def test_trailing_newline_follows_re_dollar(path: str) -> None:
    defs = [
        (0, "/a/{x:int}", H, None),
        (1, "/s/{x}", H, None),
        (2, "/p/{x:path}", H, None),
        (3, "/l", H, None),
        (4, "/f/{x:float}", H, None),
        (5, "/", H, None),
    ]
    assert_same(defs, SCOPE_HTTP, "GET", path)


@pytest.mark.parametrize(
    "path",
    [
        "/files/a/b",
        "/files/a b",
        "/files/a?b#c",
        "/café/ü",
        "/café/ü/",
        "/items/a.b.json",
        "/items/.json",
        "/😀",
    ],
)
def test_percent_decoded_and_non_ascii_paths(path: str) -> None:
    defs = [
        (0, "/files/{name}", H, None),
        (1, "/files/{rest:path}", H, None),
        (2, "/café/{x}", H, None),
        (3, "/items/{id}.json", H, None),
        (4, "/{emoji}", H, None),
    ]
    assert_same(defs, SCOPE_HTTP, "GET", path)


def test_mount_params_include_prefix_params_and_remainder() -> None:
    defs = [(0, "/t/{tenant}/", MOUNT, None), (1, "", MOUNT, None)]
    want = (FOUND, 0, {"tenant": "acme", "path": "x/y"})
    assert assert_same(defs, SCOPE_WEBSOCKET, "GET", "/t/acme/x/y") == want
    assert assert_same(defs, SCOPE_HTTP, "POST", "/t/acme") == (FOUND, 1, {"path": "t/acme"})


@pytest.mark.parametrize(
    ("template", "kind", "message"),
    [
        ("", H, "must start with '/'"),
        ("", WS, "must start with '/'"),
        ("items", H, "items"),
        ("a", MOUNT, "Mount path"),
        ("/a/{x:nope}", H, "/a/{x:nope}"),
        ("/{a}/{b}/{a}", H, "Duplicated param name a at path /{a}/{b}/{a}"),
        ("/{path}", MOUNT, "Duplicated param name path"),
    ],
)
def test_invalid_templates_raise_value_error_naming_them(template: str, kind: int, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Router([(0, template, kind, None)])
    assert message in str(info.value)


def test_invalid_specs() -> None:
    with pytest.raises(ValueError, match="Duplicate route index 1"):
        Router([(1, "/a", H, None), (1, "/b", H, None)])
    with pytest.raises(ValueError, match="unknown route kind"):
        Router([(0, "/a", 9, None)])
    with pytest.raises(TypeError, match="not a str"):
        Router([(0, "/a", H, "GET")])
    with pytest.raises(ValueError, match="unknown scope type"):
        Router([]).resolve(5, "GET", "/")
    assert len(Router([(4, "/a", H, None), (9, "/b", WS, None)])) == 2
    assert Router([]).resolve(SCOPE_HTTP, "GET", "/x") == (NOT_FOUND, -1, None)


def test_empty_method_set_means_any_method() -> None:
    router = Router([(0, "/a", H, [])])
    assert router.resolve(SCOPE_HTTP, "BREW", "/a") == (FOUND, 0, {})


# ---- property test ---------------------------------------------------------------------------------

LITERALS = ["a", "b", "ab", "items", "1", "0", ".", "-", ".json", "é", "{", "}", "x\n", "ffff", " "]
CONVS = ["", ":int", ":float", ":uuid", ":str"]
VALUES = [
    *["a", "12", "007", "1.5", "1.", ".5", "3", "é", "a.b", "a-b", "\n", "x.json", "ffff", "", "a/b"],
    *["123e4567-e89b-12d3-a456-426614174000", "123E4567E89B12D3A456426614174000", "9" * 30, "1.5.json"],
]
METHOD_SETS: list[Methods] = [None, [], ["GET"], ["POST"], ["get", "X-Custom"]]
atoms = st.lists(st.tuples(st.booleans(), st.integers(0, 255)), max_size=4)


def render(parts: list[tuple[bool, int]], counter: list[int]) -> str:
    out = []
    for is_param, pick in parts:
        if is_param:
            out.append(f"{{p{counter[0]}{CONVS[pick % len(CONVS)]}}}")
            counter[0] += 1
        else:
            out.append(LITERALS[pick % len(LITERALS)])
    return "".join(out)


@st.composite
def route_defs(draw: st.DrawFn) -> RouteDef:
    kind = draw(st.sampled_from([H, H, H, H, WS, MOUNT]))
    counter = [0]
    segments = draw(st.lists(atoms, max_size=3))
    template = "".join("/" + render(seg, counter) for seg in segments)
    if draw(st.booleans()) or (not template and kind != MOUNT):
        template += "/"
    if kind != MOUNT and draw(st.integers(0, 3)) == 0:
        template += ("" if template.endswith("/") else "/") + render(draw(atoms), counter)
        template += f"{{p{counter[0]}:path}}"
    return 0, template, kind, draw(st.sampled_from(METHOD_SETS))


def derive(template: str, picks: list[int], mutation: int) -> str:
    """A path built from a template: parameters replaced by sample values, then one mutation."""
    path, last = "", 0
    for i, match in enumerate(PARAM_REGEX.finditer(template)):
        pick = picks[i] if i < len(picks) else i
        path += template[last : match.start()] + VALUES[pick % len(VALUES)]
        last = match.end()
    path += template[last:]
    mutations = [path + "/", path + "\n", path[:-1], path.replace("/", "//", 1), path + "/x"]
    return mutations[mutation] if mutation < len(mutations) else path


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[RouteDef], list[tuple[int, str, str]], bool]:
    defs = [
        (i * 2 + 1, t, kind, m)
        for i, (_, t, kind, m) in enumerate(draw(st.lists(route_defs(), min_size=1, max_size=8)))
    ]
    requests = []
    for _ in range(draw(st.integers(1, 5))):
        _, template, kind, _ = draw(st.sampled_from(defs))
        if kind == MOUNT:
            template = template.rstrip("/") + "/{path:path}"
        picks = draw(st.lists(st.integers(0, 255), max_size=5))
        path = derive(template, picks, draw(st.integers(0, 14)))
        if draw(st.integers(0, 9)) == 0:
            path = draw(st.text(alphabet="/ab1.-\né{}", max_size=12))
        scope = draw(st.sampled_from([SCOPE_HTTP, SCOPE_HTTP, SCOPE_WEBSOCKET]))
        requests.append((scope, draw(st.sampled_from(["GET", "POST", "HEAD", "X-Custom"])), path))
    return defs, requests, draw(st.booleans())


def check_table(table: tuple[list[RouteDef], list[tuple[int, str, str]], bool]) -> None:
    defs, requests, redirect_slashes = table
    try:
        for _, template, kind, methods in defs:
            starlette_route(template, kind, methods)
    except (AssertionError, ValueError):
        # A `{`...`}` literal pair can form a duplicated parameter: both sides must refuse.
        with pytest.raises(ValueError):
            Router([(index, template, kind, None) for index, template, kind, _ in defs])
        return
    for scope_type, method, path in requests:
        assert_same(defs, scope_type, method, path, redirect_slashes)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_matches_starlette_scan(table: tuple[list[RouteDef], list[tuple[int, str, str]], bool]) -> None:
    check_table(table)


LONG_EXAMPLES = int(os.environ.get("FERRO_ROUTER_EXAMPLES", "20000"))


@pytest.mark.slow
# FERRO_ROUTER_EXAMPLES tables (20,000 by default, about 20 ms each on two shared cores).
@pytest.mark.timeout(60 + LONG_EXAMPLES // 10)
@settings(
    max_examples=LONG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tables())
def test_matches_starlette_scan_long(table: tuple[list[RouteDef], list[tuple[int, str, str]], bool]) -> None:
    check_table(table)


# ---- int parameters over Python's digit limit (issue #12) ------------------------------------------
# starlette's int() raises ValueError past sys.get_int_max_str_digits() (FastAPI: a 500); the native
# table lets such a route not match, as if its regex had failed.

DIGIT_LIMIT_ROUTES: list[RouteDef] = [
    (0, "/n/{x:int}", H, GET),
    (1, "/s/{x:int}", H, GET),
    (2, "/s/{x}", H, GET),
    (3, "/m/{x:int}", MOUNT, None),
    (4, "/w/{x:int}", WS, None),
    (5, "/f/{x:float}/{y:int}", H, GET),
]


@pytest.fixture
def digit_limit() -> Iterator[int]:
    """The interpreter's digit limit (the default, 4300), restored after tests that change it."""
    limit = sys.get_int_max_str_digits()
    yield limit
    sys.set_int_max_str_digits(limit)


def test_int_over_the_digit_limit_does_not_match(digit_limit: int) -> None:
    assert digit_limit > 0, "a limit is set by default"
    router, _ = build(DIGIT_LIMIT_ROUTES)
    at, over = "7" * digit_limit, "7" * (digit_limit + 1)
    assert router.resolve(SCOPE_HTTP, "GET", f"/n/{at}") == (FOUND, 0, {"x": int(at)})
    assert router.resolve(SCOPE_HTTP, "GET", f"/n/{over}") == (NOT_FOUND, -1, None)
    assert router.resolve(SCOPE_HTTP, "POST", f"/n/{over}") == (NOT_FOUND, -1, None)  # not a 405
    # The next candidate still gets its chance: the str route after the int one.
    assert router.resolve(SCOPE_HTTP, "GET", f"/s/{over}") == (FOUND, 2, {"x": over})
    assert router.resolve(SCOPE_HTTP, "GET", f"/m/{over}/rest") == (NOT_FOUND, -1, None)
    assert router.resolve(SCOPE_HTTP, "GET", f"/m/{at}/rest") == (FOUND, 3, {"x": int(at), "path": "rest"})
    assert router.resolve(SCOPE_WEBSOCKET, "GET", f"/w/{over}") == (NOT_FOUND, -1, None)
    assert router.resolve(SCOPE_HTTP, "GET", f"/f/1.5/{over}") == (NOT_FOUND, -1, None)
    # No slash redirect to a path only the over-long int would match.
    assert router.resolve(SCOPE_HTTP, "GET", f"/n/{over}/") == (NOT_FOUND, -1, None)
    assert router.resolve(SCOPE_HTTP, "GET", f"/n/{at}/") == (REDIRECT, 0, f"/n/{at}")
    assert not router.matches_any(SCOPE_HTTP, f"/n/{over}")
    assert router.matches_any(SCOPE_HTTP, f"/n/{at}")


def test_digit_limit_is_read_when_resolving(digit_limit: int) -> None:
    router, _ = build(DIGIT_LIMIT_ROUTES)
    long = "9" * (digit_limit + 1)
    sys.set_int_max_str_digits(0)  # no limit: int() takes any length, so does the table
    assert router.resolve(SCOPE_HTTP, "GET", f"/n/{long}") == (FOUND, 0, {"x": int(long)})
    assert router.matches_any(SCOPE_HTTP, f"/n/{long}")
    sys.set_int_max_str_digits(640)  # the smallest limit Python accepts
    assert router.resolve(SCOPE_HTTP, "GET", "/n/" + "9" * 640) == (FOUND, 0, {"x": int("9" * 640)})
    assert router.resolve(SCOPE_HTTP, "GET", "/n/" + "9" * 641) == (NOT_FOUND, -1, None)
    assert not router.matches_any(SCOPE_HTTP, "/n/" + "9" * 641)
