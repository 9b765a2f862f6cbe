"""Lifespan-scoped dependencies (`Depends(dep, scope="lifespan")`), ferroapi's extension of FastAPI's
scopes: created once when the app's lifespan starts, shared by every request and websocket, torn down
at shutdown in reverse order of creation, inside the app's own lifespan; overridable; refused at
declaration when they ask for per-request values; a clear error outside a running lifespan.

(tests/compat/test_dependencies_lifespan_scope.py shows the rest of the app still behaves as FastAPI.)
"""

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import httpx
import pytest

from ferroapi import (
    APIRouter,
    BackgroundTasks,
    Body,
    Cookie,
    Depends,
    FerroAPI,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    WebSocket,
)
from ferroapi.exceptions import DependencyScopeError
from ferroapi.requests import HTTPConnection
from ferroapi.security import OAuth2PasswordBearer, SecurityScopes
from ferroapi.testclient import TestClient


class Pool:
    """Stands for a connection pool: counts its instances, knows whether it was closed."""

    created = 0

    def __init__(self, dsn: str) -> None:
        Pool.created += 1
        self.id = Pool.created
        self.dsn = dsn
        self.closed = False


def build(log: list[str]) -> FerroAPI:
    """An app whose routes and websocket share a pool built from settings, both lifespan-scoped."""

    @asynccontextmanager
    async def lifespan(app: FerroAPI) -> AsyncIterator[None]:
        log.append("app lifespan start")
        yield
        log.append("app lifespan end")

    def settings() -> dict[str, str]:  # sync, no teardown: run once in the thread pool
        log.append("settings")
        return {"dsn": "db://test"}

    async def pool(
        cfg: Annotated[dict[str, str], Depends(settings, scope="lifespan")],
    ) -> AsyncIterator[Pool]:
        created = Pool(cfg["dsn"])
        log.append(f"open pool {created.id}")
        yield created
        created.closed = True
        log.append(f"close pool {created.id}")

    def cache(p: Annotated[Pool, Depends(pool, scope="lifespan")]) -> Iterator[str]:  # sync, with teardown
        log.append("open cache")
        yield f"cache on pool {p.id}"
        log.append("close cache")

    async def session(p: Annotated[Pool, Depends(pool, scope="lifespan")]) -> AsyncIterator[dict[str, Any]]:
        # request-scoped: opened and closed per request, on the shared pool
        yield {"pool": p.id, "closed": p.closed}

    app = FerroAPI(lifespan=lifespan)

    @app.get("/items")
    async def items(
        s: Annotated[dict[str, Any], Depends(session)],
        c: Annotated[str, Depends(cache, scope="lifespan")],
        q: int = 0,
    ) -> dict[str, Any]:
        return {"session": s, "cache": c, "q": q}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, p: Annotated[Pool, Depends(pool, scope="lifespan")]) -> None:
        await websocket.accept()
        await websocket.send_json({"pool": p.id})
        await websocket.close()

    return app


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_created_once_at_startup_shared_by_requests_and_websockets(
    backend: Literal["asyncio", "trio"],
) -> None:
    log: list[str] = []
    app = build(log)
    with TestClient(app, backend=backend) as client:
        pool_id = Pool.created
        # created at startup, after the app's lifespan started, dependencies first
        assert log == ["app lifespan start", "settings", f"open pool {pool_id}", "open cache"]
        answers = [client.get("/items", params={"q": i}).json() for i in range(20)]
        with client.websocket_connect("/ws") as websocket:
            assert websocket.receive_json() == {"pool": pool_id}
    assert {a["session"]["pool"] for a in answers} == {pool_id}
    assert all(a["session"]["closed"] is False for a in answers)
    assert [a["q"] for a in answers] == list(range(20))
    assert answers[0]["cache"] == f"cache on pool {pool_id}"
    assert Pool.created == pool_id  # no other instance
    # torn down in reverse order of creation, before the app's lifespan ends
    assert log[4:] == ["close cache", f"close pool {pool_id}", "app lifespan end"]


def test_each_lifespan_run_creates_and_tears_down_its_own() -> None:
    log: list[str] = []
    app = build(log)
    ids = []
    for _ in range(2):
        with TestClient(app) as client:
            ids.append(client.get("/items").json()["session"]["pool"])
    assert ids[0] != ids[1]
    assert log.count("settings") == 2
    assert log.count(f"close pool {ids[0]}") == log.count(f"close pool {ids[1]}") == 1


def test_outside_a_running_lifespan_is_a_clear_error() -> None:
    app = build([])
    with pytest.raises(RuntimeError, match=r"was used while the app's lifespan is not running"):
        TestClient(app).get("/items")
    assert TestClient(app, raise_server_exceptions=False).get("/items").status_code == 500


def test_a_route_without_lifespan_dependencies_works_outside_the_lifespan() -> None:
    app = build([])

    @app.get("/plain")
    def plain(q: int) -> int:
        return q

    assert TestClient(app).get("/plain", params={"q": 3}).json() == 3


def test_openapi_shows_no_lifespan_dependency() -> None:
    app = build([])
    operation = app.openapi()["paths"]["/items"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["q"]
    assert "requestBody" not in operation


# ---- overrides ------------------------------------------------------------------------------------


def overridable(log: list[str]) -> tuple[FerroAPI, Callable[..., Any], Callable[..., Any]]:
    def settings() -> str:
        log.append("settings")
        return "real"

    async def client(cfg: Annotated[str, Depends(settings, scope="lifespan")]) -> AsyncIterator[str]:
        log.append(f"open client on {cfg}")
        yield f"client on {cfg}"
        log.append(f"close client on {cfg}")

    app = FerroAPI()

    @app.get("/")
    def read(c: Annotated[str, Depends(client, scope="lifespan")]) -> str:
        return c

    return app, settings, client


def test_an_override_installed_before_startup_is_what_is_shared() -> None:
    log: list[str] = []
    app, _, client = overridable(log)

    async def fake_client() -> AsyncIterator[str]:
        log.append("open fake")
        yield "fake"
        log.append("close fake")

    app.dependency_overrides[client] = fake_client
    with TestClient(app) as http:
        assert [http.get("/").json() for _ in range(3)] == ["fake"] * 3
    assert log == ["open fake", "close fake"]  # the original and its settings never ran


def test_an_override_installed_while_running_is_created_on_first_use() -> None:
    log: list[str] = []
    app, settings, _ = overridable(log)
    with TestClient(app) as http:
        assert http.get("/").json() == "client on real"
        app.dependency_overrides[settings] = lambda: "test"
        # the client depends on the overridden settings: another value, built with the override
        assert [http.get("/").json() for _ in range(3)] == ["client on test"] * 3
        app.dependency_overrides.clear()
        assert http.get("/").json() == "client on real"  # the value created at startup
    assert log[:3] == ["settings", "open client on real", "open client on test"]
    assert log[3:] == ["close client on test", "close client on real"]


def test_an_override_asking_for_per_request_values_fails_the_startup() -> None:
    app, _, client = overridable([])

    def per_request(request: Request) -> str:
        return request.url.path

    app.dependency_overrides[client] = per_request
    with (
        pytest.raises(DependencyScopeError, match='"per_request" has a scope of "lifespan"'),
        TestClient(app),
    ):
        pass


# ---- declaration errors -----------------------------------------------------------------------


def request_scoped() -> int:
    return 1


def with_request(request: Request) -> None: ...
def with_websocket(websocket: WebSocket) -> None: ...
def with_connection(connection: HTTPConnection) -> None: ...
def with_response(response: Response) -> None: ...
def with_background(tasks: BackgroundTasks) -> None: ...
def with_scopes(scopes: SecurityScopes) -> None: ...
def with_query(limit: int = 10) -> None: ...
def with_query_declared(limit: Annotated[int, Query()] = 10) -> None: ...
def with_path(item_id: Annotated[int, Path()]) -> None: ...
def with_header(x_token: Annotated[str, Header()]) -> None: ...
def with_cookie(session: Annotated[str, Cookie()]) -> None: ...
def with_body(payload: Annotated[dict[str, int], Body()]) -> None: ...
def with_request_dependency(n: Annotated[int, Depends(request_scoped)]) -> None: ...
def with_token(token: Annotated[str, Depends(OAuth2PasswordBearer("token"))]) -> None: ...


@pytest.mark.parametrize(
    ("dependency", "asks_for"),
    [
        (with_request, 'the Request ("request")'),
        (with_websocket, 'the WebSocket ("websocket")'),
        (with_connection, 'the HTTPConnection ("connection")'),
        (with_response, 'the Response ("response")'),
        (with_background, 'BackgroundTasks ("tasks")'),
        (with_scopes, 'SecurityScopes ("scopes")'),
        (with_query, 'query parameter "limit"'),
        (with_query_declared, 'query parameter "limit"'),
        (with_path, 'path parameter "item_id"'),
        (with_header, 'header parameter "x-token"'),
        (with_cookie, 'cookie parameter "session"'),
        (with_body, 'body parameter "payload"'),
        (with_request_dependency, 'the dependency "request_scoped" (not lifespan-scoped'),
        (with_token, 'the dependency "OAuth2PasswordBearer" (not lifespan-scoped'),
    ],
)
def test_asking_for_per_request_values_fails_at_declaration(dependency: Any, asks_for: str) -> None:
    app = FerroAPI()
    name = dependency.__name__
    expected = f'The dependency "{name}" has a scope of "lifespan".*asks for {asks_for}'
    with pytest.raises(DependencyScopeError, match=expected.replace("(", r"\(").replace(")", r"\)")):

        @app.get("/{item_id}")
        def endpoint(item_id: int, value: Annotated[Any, Depends(dependency, scope="lifespan")]) -> None: ...

    with pytest.raises(DependencyScopeError):
        app.get("/", dependencies=[Depends(dependency, scope="lifespan")])(lambda: None)
    router = APIRouter(dependencies=[Depends(dependency, scope="lifespan")])
    with pytest.raises(DependencyScopeError):
        router.get("/")(lambda: None)
    # An inclusion's routes are built lazily (as in FastAPI): checked at the latest at startup.
    plain = APIRouter()
    plain.get("/")(lambda: None)
    included = FerroAPI()
    included.include_router(plain, dependencies=[Depends(dependency, scope="lifespan")])
    with pytest.raises(DependencyScopeError), TestClient(included):
        pass


def test_a_lifespan_dependency_below_another_must_be_lifespan_scoped_too() -> None:
    async def inner() -> int:
        return 1

    async def outer(n: Annotated[int, Depends(inner)]) -> int:
        return n

    app = FerroAPI()
    with pytest.raises(DependencyScopeError, match=r'Depends\(inner, scope="lifespan"\)'):
        app.get("/")(lambda v=Depends(outer, scope="lifespan"): v)


# ---- startup and shutdown ---------------------------------------------------------------------


def test_a_failing_creation_fails_the_startup_and_tears_down_what_was_created() -> None:
    log: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FerroAPI) -> AsyncIterator[None]:
        log.append("app lifespan start")
        try:
            yield
        finally:
            log.append("app lifespan end")

    async def first() -> AsyncIterator[int]:
        log.append("open first")
        yield 1
        log.append("close first")

    async def broken(f: Annotated[int, Depends(first, scope="lifespan")]) -> int:
        raise ConnectionRefusedError("db://nowhere")

    app = FerroAPI(lifespan=lifespan)

    @app.get("/")
    def read(b: Annotated[int, Depends(broken, scope="lifespan")]) -> int:
        return b

    with pytest.raises(ConnectionRefusedError, match="db://nowhere") as caught, TestClient(app):
        pass
    assert log == ["app lifespan start", "open first", "close first", "app lifespan end"]
    if sys.version_info >= (3, 11):
        assert caught.value.__notes__ == ['while creating the lifespan-scoped dependency "broken" at startup']


def test_a_failing_teardown_fails_the_shutdown() -> None:
    async def leaky() -> AsyncIterator[int]:
        yield 1
        raise OSError("could not close")

    app = FerroAPI()

    @app.get("/")
    def read(v: Annotated[int, Depends(leaky, scope="lifespan")]) -> int:
        return v

    client = TestClient(app)
    with pytest.raises(OSError, match="could not close"), client:
        assert client.get("/").json() == 1


# ---- where they can be declared and used ----------------------------------------------------------


def test_included_routers_mounted_apps_and_late_routes_share_one_value() -> None:
    created: list[str] = []

    async def shared() -> AsyncIterator[str]:
        created.append("shared")
        yield f"shared {len(created)}"
        created.append("closed")

    router = APIRouter(dependencies=[Depends(shared, scope="lifespan")])

    @router.get("/one")
    def one(v: Annotated[str, Depends(shared, scope="lifespan")]) -> str:
        return v

    sub = FerroAPI()

    @sub.get("/sub")
    def in_sub(v: Annotated[str, Depends(shared, scope="lifespan")]) -> str:
        return v

    app = FerroAPI()
    app.include_router(router, prefix="/a")
    app.include_router(router, prefix="/b")
    app.mount("/mounted", sub)
    with TestClient(app) as client:
        assert created == ["shared"]  # the router dependency is created at startup, once

        @app.get("/late")
        def late(v: Annotated[str, Depends(shared, scope="lifespan")]) -> str:
            return v

        paths = ["/a/one", "/b/one", "/mounted/sub", "/late"]
        assert [client.get(path).json() for path in paths] == ["shared 1"] * 4
    assert created == ["shared", "closed"]


def test_a_class_is_instantiated_once() -> None:
    class Registry:
        instances = 0

        def __init__(self) -> None:
            Registry.instances += 1
            self.number = Registry.instances

    app = FerroAPI()

    @app.get("/")
    def read(registry: Annotated[Registry, Depends(scope="lifespan")]) -> int:
        return registry.number

    with TestClient(app) as client:
        assert [client.get("/").json() for _ in range(5)] == [1] * 5
    assert Registry.instances == 1


def test_concurrent_first_uses_create_it_once() -> None:
    calls: list[int] = []

    async def original() -> str:
        return "original"

    async def slow() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)  # every request reaches the dependency before the first finishes
        return f"slow {len(calls)}"

    app = FerroAPI()

    @app.get("/")
    async def read(v: Annotated[str, Depends(original, scope="lifespan")]) -> str:
        return v

    async def main() -> list[Any]:
        async with running_lifespan(app):
            app.dependency_overrides[original] = slow  # not known at startup: created on first use
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                responses = await asyncio.gather(*(client.get("/") for _ in range(10)))
        return [r.json() for r in responses]

    assert asyncio.run(asyncio.wait_for(main(), 10)) == ["slow 1"] * 10
    assert calls == [1]


def test_a_creation_under_way_at_shutdown_is_torn_down_by_it() -> None:
    log: list[str] = []

    async def original() -> str:
        return "original"

    async def main() -> Any:
        started, release = asyncio.Event(), asyncio.Event()

        async def late() -> AsyncIterator[str]:
            started.set()
            await release.wait()  # still being created when the shutdown begins
            log.append("open late")
            yield "late"
            log.append("close late")

        app = FerroAPI()

        @app.get("/")
        async def read(v: Annotated[str, Depends(original, scope="lifespan")]) -> str:
            return v

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            lifespan = running_lifespan(app)
            await lifespan.__aenter__()
            app.dependency_overrides[original] = late  # not known at startup: created on first use
            request = asyncio.ensure_future(client.get("/"))
            await asyncio.wait_for(started.wait(), 5)
            shutdown = asyncio.ensure_future(lifespan.__aexit__(None, None, None))
            await asyncio.sleep(0.05)  # the shutdown is under way
            release.set()
            await asyncio.wait_for(shutdown, 5)
            return (await asyncio.wait_for(request, 5)).json()

    assert asyncio.run(asyncio.wait_for(main(), 10)) == "late"
    # the shutdown waited for the creation and tore it down (not left to an exit stack nobody closes)
    assert log == ["open late", "close late"]


def test_a_request_scoped_error_does_not_affect_the_shared_value() -> None:
    async def pool() -> AsyncIterator[Pool]:
        p = Pool("db://x")
        yield p
        p.closed = True

    async def failing(p: Annotated[Pool, Depends(pool, scope="lifespan")]) -> AsyncIterator[int]:
        yield p.id
        raise HTTPException(status_code=409)  # raised into the request-scoped teardown only

    app = FerroAPI()

    @app.get("/")
    def read(v: Annotated[int, Depends(failing)]) -> int:
        if v < 0:
            raise HTTPException(status_code=400)
        return v

    @app.get("/pool")
    def read_pool(p: Annotated[Pool, Depends(pool, scope="lifespan")]) -> bool:
        return p.closed

    with TestClient(app, raise_server_exceptions=False) as client:
        first = client.get("/")
        assert client.get("/pool").json() is False
        assert client.get("/").json() == first.json()


@asynccontextmanager
async def running_lifespan(app: Any) -> AsyncIterator[None]:
    """The app's ASGI lifespan, started and (on exit) shut down, each step bounded."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    assert (await asyncio.wait_for(from_app.get(), 5))["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        assert (await asyncio.wait_for(from_app.get(), 5))["type"] == "lifespan.shutdown.complete"
        await asyncio.wait_for(task, 5)
