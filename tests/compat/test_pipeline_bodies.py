"""Request bodies through the pipeline: JSON decoding errors, content types, size limits, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from _dual import Framework, Req
from pydantic import BaseModel, field_validator
from starlette.requests import Request


class Item(BaseModel):
    name: str
    price: float = 0.0


def app_body(fw: Framework, **options: Any) -> Any:
    app = fw.App(**options)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    @app.post("/any")
    async def anything(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    @app.post("/nobody")
    def nobody() -> int:
        return 1

    return app


JSON = {"content-type": "application/json"}


def test_malformed_json(fw: Framework) -> None:
    got = fw.compare(
        app_body,
        [
            Req("POST", "/items", content=b'{"name": "a",', headers=JSON),
            Req("POST", "/items", content=b"{", headers=JSON),
            Req("POST", "/items", content=b"nul", headers=JSON),
            Req("POST", "/items", content=b'{"name": "a"} x', headers=JSON),
            Req("POST", "/items", content=b'{"name": "\\x"}', headers=JSON),
            Req("POST", "/items", content='{"name": "é",'.encode(), headers=JSON),
            Req("POST", "/any", content=b'{"a": 1, "a": 2}', headers=JSON),
        ],
    )
    # `[NaN]` for a model: FastAPI's 422 body cannot render the NaN input (500); ferroapi's can
    # (tests/compat/test_echoed_input.py).
    assert got[0].status == 422
    assert got[0].body["detail"][0]["type"] == "json_invalid"


def test_content_types(fw: Framework) -> None:
    body = b'{"name": "a", "price": 2}'
    fw.compare(
        app_body,
        [
            Req("POST", "/items", content=body),
            Req("POST", "/items", content=body, headers={"content-type": "text/plain"}),
            Req("POST", "/items", content=body, headers={"content-type": "application/vnd.api+json"}),
            Req("POST", "/items", content=body, headers={"content-type": "application/json; charset=utf-8"}),
            Req("POST", "/items", content=body, headers={"content-type": "application/jsonx"}),
            Req("POST", "/items", content=body, headers={"content-type": ";;;"}),
            Req("POST", "/items"),
            Req("POST", "/items", content=b"", headers=JSON),
        ],
    )


def test_lenient_content_type(fw: Framework) -> None:
    body = b'{"name": "a"}'
    fw.compare(
        lambda fw: app_body(fw, strict_content_type=False),
        [Req("POST", "/items", content=body), Req("POST", "/items", content=b"{", headers={})],
    )


def test_invalid_utf8_and_boms(fw: Framework) -> None:
    fw.compare(
        app_body,
        [
            Req("POST", "/items", content=b'{"name": "\xff"}', headers=JSON),
            Req("POST", "/items", content=b"\xff\xfe", headers=JSON),
            Req("POST", "/items", content='{"name": "a"}'.encode("utf-16"), headers=JSON),
            Req("POST", "/items", content=b'\xef\xbb\xbf{"name": "a"}', headers=JSON),
        ],
    )


def test_deep_nesting_is_never_a_500(fw: Framework) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    (response,) = fw.run(app_body, [Req("POST", "/any", content=deep, headers=JSON)])
    assert response.status in (400, 422)


def test_size_limit_declared_length(fw: Framework) -> None:
    big = b'{"name": "' + b"x" * 100 + b'"}'
    got = fw.compare(
        lambda fw: app_body(fw, max_body_size=64),
        [
            Req("POST", "/items", content=big, headers=JSON),
            Req("POST", "/nobody", content=big),
            Req("POST", "/missing", content=big),
            Req("POST", "/items", content=b'{"name": "a"}', headers=JSON),
        ],
    )
    assert got[0].status == 413


def _chunks(data: bytes, size: int = 16) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_size_limit_chunked(fw: Framework) -> None:
    big = b'{"name": "' + b"x" * 100 + b'"}'
    for framework in ("fastapi", fw.name):
        from _dual import load

        (response,) = load(framework).run(
            lambda fw: app_body(fw, max_body_size=64),
            [Req("POST", "/items", content=_chunks(big), headers=JSON)],  # type: ignore[arg-type]
        )
        assert response.status == 413
        assert response.body == {"detail": "Content Too Large"}


def test_route_limit_overrides_app_limit(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        app = fw.App(max_body_size=16)

        @app.post("/big", max_body_size=1000)
        async def big(item: Item) -> Item:
            return item

        return app

    payload = {"name": "x" * 50}
    fw.compare(app, [Req("POST", "/big", json=payload)])


def app_one_pass(fw: Framework) -> Any:
    """Bodies that take the one-pass `validate_json` path, and their error paths."""
    app = fw.App()

    @app.exception_handler(fw.mod.exceptions.RequestValidationError)
    async def with_body(request: Any, exc: Any) -> Any:
        content = {"detail": fw.mod.encoders.jsonable_encoder(exc.errors()), "body": exc.body}
        return fw.mod.responses.JSONResponse(content, status_code=422)

    @app.post("/bulk")
    async def bulk(items: list[Item], limit: int = 10) -> dict[str, Any]:
        return {"names": [i.name for i in items[:limit]], "total": sum(i.price for i in items)}

    return app


def test_one_pass_body_matches_two_pass(fw: Framework) -> None:
    huge = b"9" * 400
    fw.compare(
        app_one_pass,
        [
            Req("POST", "/bulk", content=b'[{"name": "a", "price": 1}, {"name": "b"}]', headers=JSON),
            Req("POST", "/bulk", content=b'[{"name": "a", "price": "x"}, {"price": 2}, 3]', headers=JSON),
            Req("POST", "/bulk", content=b'[{"name": "a", "price": ' + huge + b"}]", headers=JSON),
            Req("POST", "/bulk", content=b'[{"name": "a"}] x', headers=JSON),
            Req("POST", "/bulk", content=b'[{"name": "a", "name": "b"}]', headers=JSON),
            Req("POST", "/bulk?limit=x", content=b'[{"name": "a"}]', headers=JSON),
            Req("POST", "/bulk", content=b'{"name": "a"}', headers=JSON),
            Req("POST", "/bulk", content=b"null", headers=JSON),
        ],
    )
    # A lone surrogate (`"\\ud800"`: pydantic's one-pass parser refuses it, json.loads accepts it)
    # echoed back is a 500 in FastAPI and its escape in ferroapi (tests/compat/test_echoed_input.py).


class Boom(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def boom(cls, value: str) -> str:
        if value == "boom":
            raise KeyError(value)
        return value


def app_validator_raises(fw: Framework) -> Any:
    """A validator that raises something other than ValueError: a server error, not a 400."""
    app = fw.App()

    @app.post("/boom")
    async def boom(item: Boom) -> Boom:
        return item

    return app


def test_validator_exception_is_a_server_error(fw: Framework) -> None:
    got = fw.compare(
        app_validator_raises,
        [
            Req("POST", "/boom", content=b'{"name": "ok"}', headers=JSON),
            Req("POST", "/boom", content=b'{"name": "boom"}', headers=JSON),
        ],
    )
    assert got[1].status == 500


def app_gzip_route(fw: Framework) -> Any:
    """A custom route class whose Request subclass decompresses the body (FastAPI's docs example)."""
    import gzip

    from starlette.requests import Request as StarletteRequest

    class GzipRequest(StarletteRequest):
        async def body(self) -> bytes:
            if not hasattr(self, "_body"):
                body = await super().body()
                if "gzip" in self.headers.getlist("content-encoding"):
                    body = gzip.decompress(body)
                self._body = body
            return self._body

    class GzipRoute(fw.mod.routing.APIRoute):  # type: ignore[misc, name-defined]
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def gzip_handler(request: Any) -> Any:
                return await handler(GzipRequest(request.scope, request.receive))

            return gzip_handler

    app = fw.App()
    app.router.route_class = GzipRoute

    @app.post("/sum")
    async def total(numbers: list[int]) -> int:
        return sum(numbers)

    return app


def test_custom_request_class_reads_the_body(fw: Framework) -> None:
    import gzip

    gz = {**JSON, "content-encoding": "gzip"}
    got = fw.compare(
        app_gzip_route,
        [
            Req("POST", "/sum", content=gzip.compress(b"[1, 2, 3]"), headers=gz),
            Req("POST", "/sum", content=b"[4, 5]", headers=JSON),
            Req("POST", "/sum", content=gzip.compress(b"[1, "), headers=gz),
        ],
    )
    assert got[0].body == 6


def app_reads_itself(fw: Framework) -> Any:
    """Endpoints that read the body themselves, or through a form: still under the route's limit."""
    app = fw.App(max_body_size=64)

    @app.post("/raw")
    async def raw(request: Request) -> int:
        return len(await request.body())

    @app.post("/form")
    async def form(name: str = fw.mod.Form()) -> int:
        return len(name)

    @app.post("/roomy", max_body_size=1000)
    async def roomy(request: Request) -> int:
        return len(await request.body())

    return app


def test_limit_applies_to_bodies_read_by_the_endpoint(fw: Framework) -> None:
    big = b"x" * 100
    form = b"name=" + b"y" * 100
    urlencoded = {"content-type": "application/x-www-form-urlencoded"}
    for framework in ("fastapi", fw.name):
        from _dual import load

        got = load(framework).run(
            app_reads_itself,
            [
                Req("POST", "/raw", content=_chunks(big)),  # type: ignore[arg-type]
                Req("POST", "/raw", content=_chunks(b"x" * 10)),  # type: ignore[arg-type]
                Req("POST", "/form", content=_chunks(form), headers=urlencoded),  # type: ignore[arg-type]
                Req("POST", "/roomy", content=_chunks(big)),  # type: ignore[arg-type]
            ],
        )
        assert [r.status for r in got] == [413, 200, 413, 200], framework
