"""Route resolution: the native trie (`_ferroapi.Router.resolve`) vs starlette's ordered scan.

The baseline is what `starlette.routing.Router.app` does per request: `route.matches(scope)` for each
route in order until a FULL match. Tables are realistic mixes (static, int/str parameters, mid-segment
parameters, several methods per path, a mount at the end) of 10 to 10,000 routes; requests target a
route in the middle of the table and the last route. The last row compares the native resolver with
itself at 10,000 and at 10 routes: its cost should not grow with the table (target: within 1.5x).
The adversarial rows (issue #12) are templates with several parameters in one segment and a path
that misses at its very end, where `re` backtracks in quadratic (two parameters) or cubic (three)
time; the native matcher is linear, so its last row (15x the length) should cost about 15x.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route

from _harness import compare, header
from ferroapi._ferroapi import FOUND, ROUTE_HTTP, ROUTE_MOUNT, SCOPE_HTTP, Router


class Endpoint:
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        raise AssertionError("never called")


ENDPOINT = Endpoint()
# Per resource: (template, methods); four resources' worth is the smallest table.
RESOURCE = [
    ("/api/v1/res{i}", ["GET"]),
    ("/api/v1/res{i}", ["POST"]),
    ("/api/v1/res{i}/{{id:int}}", ["GET"]),
    ("/api/v1/res{i}/{{id:int}}", ["PUT", "DELETE"]),
    ("/api/v1/res{i}/{{id:int}}/items/{{item_id}}", ["GET"]),
    ("/api/v1/res{i}/export/{{name}}.json", ["GET"]),
    ("/api/v1/res{i}/search", ["GET"]),
    ("/api/v1/res{i}/{{id:int}}/items", ["GET", "POST"]),
    ("/api/v1/res{i}/by-uuid/{{key:uuid}}", ["GET"]),
    ("/api/v1/res{i}/{{id:int}}/avatar", ["GET"]),
]


def table(n: int) -> tuple[Router, list[BaseRoute]]:
    """`n` routes: resources of RESOURCE shapes, the last route a mount."""
    routes: list[BaseRoute] = []
    i = 0
    while len(routes) < n - 1:
        for template, methods in RESOURCE[: n - 1 - len(routes)]:
            routes.append(Route(template.format(i=i), ENDPOINT, methods=methods))
        i += 1
    routes.append(Mount("/static", app=ENDPOINT))
    specs: list[tuple[int, str, int, Any]] = []
    for index, route in enumerate(routes):
        if isinstance(route, Mount):
            specs.append((index, route.path, ROUTE_MOUNT, None))
        else:
            assert isinstance(route, Route)
            specs.append((index, route.path, ROUTE_HTTP, sorted(route.methods or ())))
    return Router(specs), routes


def starlette_scan(routes: list[BaseRoute], method: str, path: str) -> tuple[int, dict[str, Any]] | None:
    """The FULL / first-PARTIAL part of `Router.app`, without dispatching."""
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    partial = None
    for index, route in enumerate(routes):
        match, child = route.matches(scope)
        if match is Match.FULL:
            return index, child["path_params"]
        if match is Match.PARTIAL and partial is None:
            partial = index, child["path_params"]
    return partial


def middle_path(n: int) -> str:
    resource = (n // 2) // len(RESOURCE)
    return f"/api/v1/res{resource}/42/items/abc"


def native(router: Router, path: str) -> tuple[int, dict[str, Any]] | None:
    code, index, params = router.resolve(SCOPE_HTTP, "GET", path)
    if code != FOUND:
        return None
    if "path" in params:  # a mount: starlette leaves the remainder out of path_params
        params = {k: v for k, v in params.items() if k != "path"}
    return index, params


def main() -> None:
    header("route resolution, realistic tables", "starlette Router.app scan of route.matches")
    for n in (10, 100, 1_000, 10_000):
        router, routes = table(n)
        number = {10: 20_000, 100: 5_000, 1_000: 300, 10_000: 30}[n]
        repeat = 5 if n < 10_000 else 3
        for label, path in (("middle", middle_path(n)), ("last (mount)", "/static/css/site.css")):
            compare(
                f"{n:>6} routes, {label}",
                partial(router.resolve, SCOPE_HTTP, "GET", path),
                partial(starlette_scan, routes, "GET", path),
                number,
                same=native(router, path) == starlette_scan(routes, "GET", path),
                repeat=repeat,
            )

    header("native resolve cost vs table size (target: within 1.5x)", "native at 10 routes")
    small, _ = table(10)
    big, _ = table(10_000)
    # The same shape of request: a parameter route's path, resolved in each table.
    small_path, big_path = middle_path(10), middle_path(10_000)
    compare(
        "10,000 routes (ferroapi col) vs 10 (baseline col)",
        lambda: big.resolve(SCOPE_HTTP, "GET", big_path),
        lambda: small.resolve(SCOPE_HTTP, "GET", small_path),
        200_000,
        same=small.resolve(SCOPE_HTTP, "GET", small_path)[0] == big.resolve(SCOPE_HTTP, "GET", big_path)[0],
    )
    compare(
        "10,000 routes vs 10, last route (mount)",
        lambda: big.resolve(SCOPE_HTTP, "GET", "/static/css/site.css"),
        lambda: small.resolve(SCOPE_HTTP, "GET", "/static/css/site.css"),
        200_000,
    )
    bench_adversarial()


def adversarial(template: str) -> tuple[Router, list[BaseRoute]]:
    routes: list[BaseRoute] = [Route(template, ENDPOINT, methods=["GET"])]
    return Router([(0, template, ROUTE_HTTP, ["GET", "HEAD"])]), routes


def bench_adversarial() -> None:
    header("several parameters in one segment, path missing at its end", "starlette Router.app scan")
    cases = [
        ("/s2/{a}-{b}.json", "/s2/" + "-" * 2_000 + ".jsox", 3),
        ("/s3/{a}-{b}-{c}.json", "/s3/" + "-" * 300 + ".jsox", 3),
        ("/n/{a:int}{b:int}{c:int}x", "/n/" + "1" * 300 + "y", 3),
    ]
    for template, path, number in cases:
        router, routes = adversarial(template)
        compare(
            f"{template} ({len(path):,} B)",
            partial(router.resolve, SCOPE_HTTP, "GET", path),
            partial(starlette_scan, routes, "GET", path),
            number,
            same=native(router, path) == starlette_scan(routes, "GET", path),
            repeat=3,
        )
    header("native matcher cost vs path length (linear: about 15x)", "native at 2,000 B")
    router, _ = adversarial("/s2/{a}-{b}.json")
    short, long = "/s2/" + "-" * 2_000 + ".jsox", "/s2/" + "-" * 30_000 + ".jsox"
    compare(
        "/s2/{a}-{b}.json, 30,000 B vs 2,000 B",
        partial(router.resolve, SCOPE_HTTP, "GET", long),
        partial(router.resolve, SCOPE_HTTP, "GET", short),
        200,
    )


if __name__ == "__main__":
    main()
