"""Lifespans (merged, state on request.state, events, startup errors), mounts, StaticFiles, hosts."""

import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from _dual import Framework, Req, load
from starlette.routing import Host, Mount, Route


def app_lifespans(fw: Framework, log: list[str]) -> Any:
    m = fw.mod

    @asynccontextmanager
    async def app_lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        log.append("app up")
        yield {"app": 1, "shared": "app"}
        log.append("app down")

    def router_lifespan(app: Any) -> Iterator[dict[str, Any]]:  # a plain generator: FastAPI wraps it
        log.append("router up")
        yield {"router": 2, "shared": "router"}
        log.append("router down")

    async def nested_lifespan(app: Any) -> AsyncIterator[None]:
        log.append("nested up")
        yield
        log.append("nested down")

    app = fw.App(lifespan=app_lifespan)
    router = m.APIRouter(lifespan=router_lifespan, on_startup=[lambda: log.append("router on_startup")])
    nested = m.APIRouter(lifespan=nested_lifespan)
    router.include_router(nested)

    @router.get("/state")
    def state(request: m.Request) -> dict[str, Any]:  # type: ignore[name-defined]
        return {k: getattr(request.state, k) for k in ("app", "router", "shared")}

    app.include_router(router)
    return app


def run_lifespan(fw: Framework) -> tuple[list[str], Any]:
    log: list[str] = []
    app = app_lifespans(fw, log)
    with fw.client(app) as client:
        body = client.get("/state").json()
        log.append("served")
    return log, body


def test_merged_lifespans_and_state(fw: Framework) -> None:
    assert run_lifespan(fw) == run_lifespan(load("fastapi"))


def events_app(fw: Framework, log: list[str], fail: bool) -> Any:
    m = fw.mod
    app = fw.App()
    router = m.APIRouter()

    async def router_startup() -> None:
        log.append("router startup")

    router.add_event_handler("startup", router_startup)
    router.add_event_handler("shutdown", lambda: log.append("router shutdown"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)

        @app.on_event("startup")
        def startup() -> None:
            log.append("app startup")
            if fail:
                raise RuntimeError("startup failed")

        @app.on_event("shutdown")
        async def shutdown() -> None:
            log.append("app shutdown")

    app.include_router(router)
    return app


@pytest.mark.parametrize("fail", [False, True])
def test_startup_shutdown_events(fw: Framework, fail: bool) -> None:
    def run(f: Framework) -> tuple[list[str], str]:
        log: list[str] = []
        try:
            with f.client(events_app(f, log, fail)):
                log.append("serving")
        except Exception as exc:
            return log, f"{type(exc).__name__}: {exc}"
        return log, ""

    assert run(fw) == run(load("fastapi"))


def test_on_event_is_deprecated(fw: Framework) -> None:
    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):
        fw.App().on_event("startup")
    with pytest.warns(DeprecationWarning, match="on_event is deprecated"):
        fw.mod.APIRouter().on_event("startup")


def app_mounts(fw: Framework, static_dir: Path) -> Any:
    m = fw.mod
    responses = fw.import_("responses")
    staticfiles = fw.import_("staticfiles")

    class TimedRoute(m.routing.APIRoute):  # type: ignore[misc, name-defined]  # a custom route class keeps its place in the order
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def timed(request: Any) -> Any:
                response = await handler(request)
                response.headers["x-route-class"] = "timed"
                return response

            return timed

    sub = fw.App()

    @sub.get("/hello")
    def sub_hello(request: m.Request) -> dict[str, str]:  # type: ignore[name-defined]
        return {"root_path": request.scope.get("root_path", ""), "path": request.url.path}

    app = fw.App()

    @app.get("/first/{name}")
    def first(name: str) -> str:
        return "first " + name

    app.mount("/sub", sub)
    app.mount("/static", staticfiles.StaticFiles(directory=static_dir), name="static")
    router = m.APIRouter(route_class=TimedRoute)

    @router.get("/static/shadowed")
    def shadowed() -> str:
        return "the mount is earlier: never served"

    @router.get("/timed/{n}")
    def timed(n: int) -> int:
        return n

    app.include_router(router)

    async def host_route(request: Any) -> Any:
        return responses.PlainTextResponse("host " + request.url.path)

    app.router.routes.append(Host("api.example.com", app=Mount("", routes=[Route("/h", host_route)])))

    @app.get("/first/{name}/after")
    def after(name: str) -> str:
        return "after"

    return app


def test_mounts_static_files_hosts_and_route_classes(fw: Framework, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("static text")

    def factory(f: Framework) -> Any:
        return app_mounts(f, tmp_path)

    fw.compare(
        factory,
        [
            "/first/x",
            "/sub/hello",
            "/sub/nope",
            "/static/a.txt",
            "/static/missing.txt",
            "/static/shadowed",
            "/timed/3",
            "/timed/x",
            Req("GET", "/h", headers={"host": "api.example.com"}),
            "/h",
            "/first/x/after",
        ],
        headers=("content-type", "x-route-class"),
    )


def test_url_for_static_and_sub_app(fw: Framework, tmp_path: Path) -> None:
    def urls(f: Framework) -> list[str]:
        app = app_mounts(f, tmp_path)
        return [str(app.url_path_for("static", path="a.txt")), str(app.url_path_for("timed", n=3))]

    assert urls(fw) == urls(load("fastapi"))
