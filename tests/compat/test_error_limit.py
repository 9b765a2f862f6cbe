"""A value reports at most `MAX_REPORTED_ERRORS` validation errors, then one that counts them all.

FastAPI lists every error: a body of a million wrong items made a million error dicts, encoded one by
one into a 130 MB 422 (tens of seconds of CPU). Up to the limit the 422 is FastAPI's, byte for byte;
past it, the first errors are FastAPI's first errors, followed by a `too_many_errors` entry.
"""

from __future__ import annotations

from typing import Any

from _dual import Framework, Req, load
from pydantic import BaseModel

from ferroapi._fields import MAX_REPORTED_ERRORS

JSON = {"content-type": "application/json"}


class Point(BaseModel):
    x: int
    y: int


def app_lists(fw: Framework) -> Any:
    app = fw.App()

    @app.post("/ints")
    async def ints(values: list[int]) -> int:
        return len(values)

    @app.post("/points")
    async def points(items: list[Point], tag: int = 0) -> int:
        return len(items)

    @app.get("/query")
    async def query(q: list[int] = fw.import_("params").Query(default=[])) -> int:
        return len(q)

    return app


def wrong_ints(count: int) -> bytes:
    return b"[" + b",".join([b'"x"'] * count) + b"]"


def test_up_to_the_limit_every_error_is_fastapis(fw: Framework) -> None:
    small, at_limit, points = fw.compare(
        app_lists,
        [
            Req("POST", "/ints", content=wrong_ints(3), headers=JSON),
            Req("POST", "/ints", content=wrong_ints(MAX_REPORTED_ERRORS), headers=JSON),
            # two errors per item: 500 items make exactly the limit
            Req(
                "POST",
                "/points",
                content=b"[" + b",".join([b"{}"] * (MAX_REPORTED_ERRORS // 2)) + b"]",
                headers=JSON,
            ),
        ],
    )
    assert len(small.body["detail"]) == 3
    assert len(at_limit.body["detail"]) == MAX_REPORTED_ERRORS
    assert len(points.body["detail"]) == MAX_REPORTED_ERRORS
    assert all(error["type"] != "too_many_errors" for error in at_limit.body["detail"])


def too_many(loc: list[Any], total: int) -> dict[str, Any]:
    return {
        "type": "too_many_errors",
        "loc": loc,
        "msg": f"Too many errors: {total} in all, only the first {MAX_REPORTED_ERRORS} are listed",
        "input": None,
        "ctx": {"error_count": total, "listed": MAX_REPORTED_ERRORS},
    }


def test_past_the_limit_the_first_errors_and_a_count() -> None:
    total = 50_000
    requests = [
        Req("POST", "/ints", content=wrong_ints(total), headers=JSON),
        Req("POST", "/ints", content=wrong_ints(MAX_REPORTED_ERRORS + 1), headers=JSON),
        # errors of another parameter are still reported with the capped body's
        Req("POST", "/points?tag=x", content=b"[" + b",".join([b'{"x": "a"}'] * 600) + b"]", headers=JSON),
    ]
    (want_many, want_one_over, want_points) = load("fastapi").run(app_lists, requests)
    (many, one_over, points) = load("ferroapi").run(app_lists, requests)

    assert many.status == 422
    detail = many.body["detail"]
    assert detail[:-1] == want_many.body["detail"][:MAX_REPORTED_ERRORS]  # FastAPI's first errors
    assert detail[-1] == too_many(["body"], total)
    assert len(want_many.body["detail"]) == total
    # The response stays small whatever the body: about 130 bytes an error, the limit's worth.
    assert int(many.headers["content-length"]) < 200 * MAX_REPORTED_ERRORS
    assert int(want_many.headers["content-length"]) > 100 * total

    assert one_over.body["detail"][:-1] == want_one_over.body["detail"][:MAX_REPORTED_ERRORS]
    assert one_over.body["detail"][-1] == too_many(["body"], MAX_REPORTED_ERRORS + 1)

    # 600 items, 2 errors each: the body's first 1000 and its count; the query's error as in FastAPI.
    def located(detail: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        return [error for error in detail if error["loc"][0] == where]

    got_body = located(points.body["detail"], "body")
    assert got_body[:-1] == located(want_points.body["detail"], "body")[:MAX_REPORTED_ERRORS]
    assert got_body[-1] == too_many(["body"], 1200)
    assert located(points.body["detail"], "query") == located(want_points.body["detail"], "query")
    assert len(points.body["detail"]) == MAX_REPORTED_ERRORS + 2


def test_query_values_are_capped_too() -> None:
    count = MAX_REPORTED_ERRORS + 5
    request = Req("GET", "/query", params=[("q", "x")] * count)
    (want,) = load("fastapi").run(app_lists, [request])
    (got,) = load("ferroapi").run(app_lists, [request])
    assert got.status == 422
    assert got.body["detail"][:-1] == want.body["detail"][:MAX_REPORTED_ERRORS]
    assert got.body["detail"][-1] == too_many(["query", "q"], count)
