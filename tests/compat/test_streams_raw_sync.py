"""`StreamingResponse` over sync iterators answers exactly as FastAPI's (starlette's) does.

ferroapi pulls a sync iterator many chunks per worker-thread hop; the bytes, headers, status, `str`
encoding, errors after partial output, background tasks and middleware wrapping must not change.
"""

from typing import Any

import pytest
from _dual import Framework, Req, load
from starlette.background import BackgroundTask


def app_body(fw: Framework) -> Any:
    responses = fw.import_("responses")
    app = fw.App()

    @app.get("/lines")
    def lines(count: int = 2000) -> Any:
        def chunks() -> Any:
            for n in range(count):
                yield f"line {n} é\n"  # str chunks: encoded with the response charset

        return responses.StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/bytes")
    async def from_a_list() -> Any:
        return responses.StreamingResponse(
            [b"a", memoryview(b"bc"), b"", b"d"], media_type="application/x-raw"
        )

    @app.get("/fails")
    def fails() -> Any:
        def chunks() -> Any:
            yield b"before "
            raise RuntimeError("boom")

        return responses.StreamingResponse(chunks())

    @app.get("/background")
    def with_background() -> Any:
        done: list[str] = []

        def chunks() -> Any:
            yield b"x" * 10

        background = BackgroundTask(done.append, "ran")
        app.state.done = done
        return responses.StreamingResponse(chunks(), background=background, headers={"x-kind": "raw"})

    @app.get("/background/result")
    def background_result() -> Any:
        return app.state.done

    return app


def test_sync_iterators_stream_the_same_bytes(fw: Framework) -> None:
    got = fw.compare(
        app_body,
        [
            Req("GET", "/lines"),
            Req("GET", "/lines", params={"count": 0}),
            Req("GET", "/bytes"),
            Req("GET", "/background"),
            Req("GET", "/background/result"),
        ],
        headers=("content-type", "content-length", "transfer-encoding", "x-kind"),
    )
    assert got[0].body == "".join(f"line {n} é\n" for n in range(2000)).encode()
    assert got[2].body == b"abcd"
    assert got[4].body == ["ran"]


def test_an_iterator_failing_midway_surfaces_as_in_fastapi(fw: Framework) -> None:
    for framework in ("fastapi", fw.name):
        with pytest.raises(RuntimeError, match="boom"):
            load(framework).run(app_body, [Req("GET", "/fails")], raise_server_exceptions=True)


def test_middleware_that_wraps_the_stream_still_sees_every_chunk(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        app = app_body(fw)

        @app.middleware("http")
        async def count_chunks(request: Any, call_next: Any) -> Any:
            response = await call_next(request)
            original = response.body_iterator

            async def counted() -> Any:
                n = 0
                async for chunk in original:
                    n += 1
                    yield chunk
                yield f"[{n} chunks]".encode()

            response.body_iterator = counted()
            return response

        return app

    got = fw.compare(app, [Req("GET", "/lines", params={"count": 5}), Req("GET", "/bytes")])
    assert got[1].body == b"abcd[3 chunks]"  # starlette drops the empty chunk on the way
