"""Body-size and form limits across apps, routers, inclusions, mounts and middleware, as FastAPI has them.

Each app body runs under FastAPI and ferroapi; status codes and bodies must match. The one place
the frameworks differ by design (ferroapi's built-in 16 MiB default) shows only as a mounted
`App()` inheriting its parent's limit, which FastAPI's limit-less default does too.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from _dual import Framework, Req


class Chunks:
    """A body sent in chunks without Content-Length; iterable again for each framework's run."""

    def __init__(self, data: bytes, size: int = 3) -> None:
        self.data, self.size = data, size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


def form_field(fw: Framework) -> Any:
    Form = fw.mod.Form

    async def field(text: Annotated[str, Form()]) -> str:
        return text

    return field


def echo(fw: Framework) -> Any:
    responses = fw.import_("responses")

    async def endpoint(request: Any) -> Any:
        return responses.PlainTextResponse(await request.body())

    endpoint.__annotations__["request"] = fw.mod.Request
    return endpoint


# ---- form limits ------------------------------------------------------------------------------------


def test_app_form_limits_apply_to_its_routes_and_dependencies(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        app = fw.App(form_limits={"max_fields": 1})
        field = form_field(fw)
        app.post("/direct")(field)

        @app.post("/dependency")
        async def via_dependency(text: Annotated[str, fw.mod.Depends(field)]) -> str:
            return text

        @app.post("/roomy", form_limits={"max_fields": 3})
        async def roomy(text: Annotated[str, fw.mod.Form()]) -> str:
            return text

        return app

    two = {"text": "ok", "extra": "v"}
    responses = fw.compare(
        app,
        [
            Req("POST", "/direct", data={"text": "ok"}),
            Req("POST", "/direct", data=two),
            Req("POST", "/dependency", data=two),
            Req("POST", "/roomy", data=two),
        ],
    )
    assert [r.status for r in responses] == [200, 400, 400, 200]


def test_a_mounted_app_inherits_form_limits_updated_by_its_routes(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        route = fw.mod.routing.APIRoute("/", form_field(fw), methods=["POST"], form_limits={"max_fields": 1})
        child = fw.App(routes=[route])
        parent = fw.App(form_limits={"max_part_size": 2, "max_fields": 0})
        parent.mount("/child", child)
        return parent

    responses = fw.compare(
        app,
        [
            Req("POST", "/child/", files={"text": (None, "ab")}),
            Req("POST", "/child/", files={"text": (None, "abc")}),  # the parent's max_part_size
        ],
    )
    assert [r.status for r in responses] == [200, 400]


def test_routes_given_to_the_app_inherit_its_form_limits(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        route = fw.mod.routing.APIRoute("/", form_field(fw), methods=["POST"])
        router = fw.mod.APIRouter(routes=[fw.mod.routing.APIRoute("/r", form_field(fw), methods=["POST"])])
        app = fw.App(form_limits={"max_fields": 1}, routes=[route])
        app.include_router(router, form_limits={"max_files": 0})
        return app

    two = {"text": "ok", "extra": "v"}
    responses = fw.compare(
        app, [Req("POST", "/", data=two), Req("POST", "/r", data=two), Req("POST", "/r", data={"text": "ok"})]
    )
    assert [r.status for r in responses] == [400, 400, 200]


@pytest.mark.parametrize(
    "limits",
    [{"max_parts": 1}, {"max_files": -1}, {"max_fields": False}, {"max_part_size": 1.5}, {"max_fields": "1"}],
)
@pytest.mark.parametrize("where", ["app", "router", "include", "route"])
def test_invalid_form_limits_are_refused(fw: Framework, where: str, limits: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        if where == "app":
            fw.App(form_limits=limits)
        elif where == "router":
            fw.mod.APIRouter(form_limits=limits)
        elif where == "include":
            fw.App().include_router(fw.mod.APIRouter(), form_limits=limits)
        else:
            fw.mod.APIRouter().post("/", form_limits=limits)(form_field(fw))


# ---- body limits ------------------------------------------------------------------------------------


def test_a_mount_in_an_included_router_has_the_inclusion_limit(fw: Framework) -> None:
    def app(fw: Framework) -> Any:
        mounted = fw.App()
        mounted.post("/")(echo(fw))
        router = fw.mod.APIRouter()
        router.mount("/mounted", mounted)
        app = fw.App()
        app.include_router(router, prefix="/nested", max_body_size=5)
        return app

    responses = fw.compare(
        app,
        [
            Req("POST", "/nested/mounted/", content=b"12345"),
            Req("POST", "/nested/mounted/", content=b"123456"),
            Req("POST", "/nested/mounted/", content=Chunks(b"123456")),  # type: ignore[arg-type]
        ],
    )
    assert [r.status for r in responses] == [200, 413, 413]


@pytest.mark.parametrize("child_limit", ["default", 10, 3])
def test_a_mounted_app_under_a_limited_parent(fw: Framework, child_limit: Any) -> None:
    """A child without a limit of its own is as limited as its parent; its own limit replaces it."""

    def app(fw: Framework) -> Any:
        child = fw.App() if child_limit == "default" else fw.App(max_body_size=child_limit)
        child.post("/")(echo(fw))
        parent = fw.App(max_body_size=5)
        parent.mount("/child", child)
        return parent

    responses = fw.compare(
        app,
        [
            Req("POST", "/child/", content=b"1234"),
            Req("POST", "/child/", content=b"123456"),
            Req("POST", "/child/", content=Chunks(b"123456")),  # type: ignore[arg-type]
        ],
    )
    assert [r.status for r in responses] == {
        "default": [200, 413, 413],
        10: [200, 200, 200],
        3: [413, 413, 413],
    }[child_limit]


def test_each_inclusion_of_a_frontend_has_its_own_limit(fw: Framework, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("hello")

    def app(fw: Framework) -> Any:
        router = fw.mod.APIRouter()
        router.frontend("/", directory=tmp_path)
        app = fw.App()
        app.include_router(router, prefix="/empty", max_body_size=0)
        app.include_router(router, prefix="/small", max_body_size=10)
        return app

    one_byte = {"content-length": "1"}
    # Statuses only: FastAPI's 413 here comes from its limiter racing the file response (an empty
    # body under `content-length: 17`); ferroapi refuses the declared length before serving the file.
    responses = fw.run(
        app,
        [
            Req("GET", "/empty/index.html", content=b"x", headers=one_byte),
            Req("GET", "/small/index.html", content=b"x", headers=one_byte),
        ],
    )
    assert [r.status for r in responses] == [413, 200]
    assert responses[1].body == b"hello"


@pytest.mark.filterwarnings("ignore:Async generator .starlette.requests.Request.stream.:ResourceWarning")
@pytest.mark.parametrize("body_param", [False, True])
def test_base_http_middleware_keeps_the_413(fw: Framework, body_param: bool) -> None:
    def app(fw: Framework) -> Any:
        app = fw.App(max_body_size=5)
        if body_param:

            @app.post("/")
            async def parse(
                data: Annotated[bytes, fw.mod.Body(media_type="application/octet-stream")],
            ) -> Any:
                return fw.import_("responses").PlainTextResponse(data)

        else:
            app.post("/")(echo(fw))

        @app.middleware("http")
        async def pass_through(request: Any, call_next: Any) -> Any:
            return await call_next(request)

        return app

    octet = {"content-type": "application/octet-stream"}
    responses = fw.compare(
        app,
        [
            Req("POST", "/", content=Chunks(b"123456"), headers=octet),  # type: ignore[arg-type]
            Req("POST", "/", content=b"12345", headers=octet),
        ],
    )
    assert [r.status for r in responses] == [413, 200]


@pytest.mark.filterwarnings("ignore:Async generator .starlette.requests.Request.stream.:ResourceWarning")
@pytest.mark.parametrize("read_in_parent", [True, False])
def test_a_mounted_app_answers_413_when_its_middleware_reads_the_body(
    fw: Framework, read_in_parent: bool
) -> None:
    def app(fw: Framework) -> Any:
        parent = fw.App(max_body_size=10 if read_in_parent else 5)
        child = fw.App(max_body_size=5 if read_in_parent else None)
        child.post("/")(echo(fw))
        parent.mount("/child", child)

        @(parent if read_in_parent else child).middleware("http")
        async def read_body(request: Any, call_next: Any) -> Any:
            await request.body()
            return await call_next(request)

        return parent

    responses = fw.compare(
        app,
        [
            Req("POST", "/child/", content=Chunks(b"123456")),  # type: ignore[arg-type]
            Req("POST", "/child/", content=b"123456"),
            Req("POST", "/child/", content=b"12345"),
        ],
    )
    assert [r.status for r in responses] == [413, 413, 200]


def test_the_limit_holds_whoever_reads_the_body(fw: Framework) -> None:
    """The pipeline's reader, the endpoint through Request, a dependency, and an override all stop at
    the limit (ferroapi counts in `receive` only where something besides its reader can read)."""

    def app(fw: Framework) -> Any:
        app = fw.App(max_body_size=5)

        @app.post("/json")
        async def json_body(value: Annotated[Any, fw.mod.Body()]) -> Any:
            return value

        app.post("/request")(echo(fw))

        async def read_body(request: fw.mod.Request) -> bytes:  # type: ignore[name-defined]
            return await request.body()  # type: ignore[no-any-return]

        @app.post("/dependency")
        async def via_dependency(body: Annotated[bytes, fw.mod.Depends(read_body)]) -> int:
            return len(body)

        def nothing() -> bytes:
            return b""

        @app.post("/overridden")
        async def overridden(body: Annotated[bytes, fw.mod.Depends(nothing)]) -> int:
            return len(body)

        app.dependency_overrides[nothing] = read_body
        return app

    requests = []
    for path in ("/json", "/request", "/dependency", "/overridden"):
        requests += [
            Req("POST", path, content=Chunks(b'"abcdefgh"')),  # type: ignore[arg-type]
            Req("POST", path, content=b'"abc"'),
        ]
    responses = fw.compare(app, requests)
    assert [r.status for r in responses] == [413, 200] * 4
