"""FastAPI internals that extensions use (ECOSYSTEM.md), exercised the way extensions use them, under
FastAPI and ferroapi: the patch points of `routing`, mutable routes and dependants, `request_response`,
`solve_dependencies` on a Request built by hand, `Dependant(...)` built directly."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from _dual import Framework, Req, load
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float = 0


def _patched_steps(fw: Framework, monkeypatch: pytest.MonkeyPatch, log: list[Any]) -> None:
    """logfire's way: wrappers of `routing.solve_dependencies` (replacing `values` with a dict
    subclass), `run_endpoint_function` and `serialize_response`, called with keywords."""
    routing = fw.import_("routing")
    solve, run, serialize = (
        routing.solve_dependencies,
        routing.run_endpoint_function,
        routing.serialize_response,
    )

    class Values(dict[str, Any]):
        pass

    async def solve_dependencies(**kwargs: Any) -> Any:
        log.append(("solve", sorted(kwargs)))
        result = await solve(**kwargs)
        return dataclasses.replace(result, values=Values(result.values))

    async def run_endpoint_function(*, dependant: Any, values: Any, is_coroutine: bool) -> Any:
        log.append(("run", type(values).__name__, is_coroutine))
        return await run(dependant=dependant, values=values, is_coroutine=is_coroutine)

    async def serialize_response(**kwargs: Any) -> Any:
        log.append(("serialize", kwargs["field"] is not None, kwargs["dump_json"]))
        return await serialize(**kwargs)

    monkeypatch.setattr(routing, "solve_dependencies", solve_dependencies)
    monkeypatch.setattr(routing, "run_endpoint_function", run_endpoint_function)
    monkeypatch.setattr(routing, "serialize_response", serialize_response)


def test_replaced_pipeline_steps_are_called_as_fastapi_calls_them(
    fw: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:
    log: list[Any] = []

    def app(fw: Framework) -> Any:
        m = fw.mod
        app = fw.App()

        def token(x_token: str = m.Header("t")) -> str:
            return x_token

        @app.post("/items/{item_id}", response_model=Item, status_code=201)
        async def create(
            item_id: int,
            item: Item,
            response: m.Response,  # type: ignore[name-defined]
            token: str = m.Depends(token),
        ) -> Any:
            response.headers["x-token"] = token
            return {"name": f"{item.name}-{item_id}", "price": item.price}

        @app.get("/plain")
        def plain(q: int = 0) -> dict[str, int]:
            return {"q": q}

        @app.get("/response")
        def response() -> Any:
            return m.responses.PlainTextResponse("raw", status_code=202)

        @app.get("/stream")
        async def stream() -> Any:
            yield {"a": 1}

        return app

    requests = [
        Req("POST", "/items/3", json={"name": "x", "price": 2}, headers={"x-token": "k"}),
        Req("POST", "/items/x", json={"price": "no"}),
        Req("GET", "/plain?q=4"),
        Req("GET", "/response"),
        Req("GET", "/stream"),
    ]
    # What the wrappers see is FastAPI's sequence of calls, and the responses are FastAPI's.
    fastapi = load("fastapi")
    fastapi_log: list[Any] = []
    _patched_steps(fastapi, monkeypatch, fastapi_log)
    expected = fastapi.run(app, requests)
    monkeypatch.undo()
    _patched_steps(fw, monkeypatch, log)
    got = fw.run(app, requests)
    monkeypatch.undo()
    assert got == expected
    assert log == fastapi_log
    # Once the wrappers are gone, nothing of them runs.
    log.clear()
    fw.run(app, requests[:1])
    assert log == []


def test_dependant_edited_after_the_route_was_built(fw: Framework) -> None:
    """fastapi-pagination's way: a dependency appended to `route.dependant.dependencies` (and to
    `route.dependencies`), `body_field` recomputed, `route.app = request_response(route.get_route_handler())`;
    titiler's way: appended in place only."""
    seen: list[Any] = []

    def app(fw: Framework) -> Any:
        m = fw.mod
        utils = fw.import_("dependencies.utils")
        routing = fw.import_("routing")
        app = fw.App()
        router = m.APIRouter()

        @app.get("/direct")
        def direct() -> str:
            return "direct"

        @app.get("/in-place")
        def in_place() -> str:
            return "in-place"

        @router.get("/included")
        def included() -> str:
            return "included"

        def page(page: int = 1, size: int = m.Query(10, le=100)) -> None:
            seen.append((page, size))

        for route in [*app.routes, *router.routes]:
            if getattr(route, "path", "") not in ("/direct", "/in-place", "/included"):
                continue
            depends = m.Depends(page)
            route.dependant.dependencies.append(
                utils.get_parameterless_sub_dependant(depends=depends, path=route.path_format)
            )
            if route.path == "/in-place":
                continue
            route.dependencies.append(depends)
            route.body_field = utils._get_body_field(
                body_params=utils._get_flat_body_params(route.dependant),
                name=route.unique_id,
                embed_body_fields=route._embed_body_fields,
            )
            route.app = routing.request_response(route.get_route_handler())
        app.include_router(router, prefix="/r")
        return app

    got = fw.compare(
        app,
        [
            "/direct?page=2",
            "/direct?size=1000",
            "/in-place?page=3&size=5",
            "/in-place?page=x",
            "/r/included?page=4",
            "/openapi.json",
        ],
    )
    assert [s.status for s in got] == [200, 422, 200, 422, 200, 200]
    assert seen[-3:] == [(2, 10), (3, 5), (4, 10)]


def test_dependant_edited_after_requests_were_served(fw: Framework) -> None:
    """An edit made after the route served requests (its plan compiled) takes effect at once."""
    calls: list[str] = []

    def app(fw: Framework) -> Any:
        m = fw.mod
        utils = fw.import_("dependencies.utils")
        app = fw.App()

        def audit(who: str = "anon") -> None:
            calls.append(who)

        @app.get("/a")
        def a() -> str:
            return "a"

        @app.get("/edit")
        def edit() -> str:
            (route,) = [r for r in app.routes if getattr(r, "path", "") == "/a"]
            route.dependant.dependencies.insert(
                0, utils.get_parameterless_sub_dependant(depends=m.Depends(audit), path="/a")
            )
            return "edited"

        return app

    got = fw.compare(app, ["/a?who=x", "/edit", "/a?who=y", "/a"])
    assert [s.body for s in got] == ["a", "edited", "a", "a"]
    assert calls[-2:] == ["y", "anon"]


def _wrapped(original: Any, calls: list[str]) -> Any:
    @functools.wraps(original)
    async def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append("wrapped")
        return await original(*args, **kwargs)

    return wrapped


def test_a_dependants_call_wrapped_after_the_route_was_built(fw: Framework) -> None:
    """Sentry's and New Relic's way: `dependant.call` replaced by a wrapper."""
    calls: list[str] = []

    def app(fw: Framework) -> Any:
        m = fw.mod
        app = fw.App()

        async def user() -> str:
            return "ada"

        @app.get("/")
        async def root(user: str = m.Depends(user)) -> dict[str, str]:
            return {"user": user}

        for route in app.routes:
            if getattr(route, "path", "") == "/":
                sub = route.dependant.dependencies[0]
                original = sub.call

                sub.call = _wrapped(original, calls)
        return app

    assert fw.compare(app, ["/"])[0].body == {"user": "ada"}
    assert calls == ["wrapped", "wrapped"]


def test_request_response_over_a_handler_of_ones_own(fw: Framework) -> None:
    """fastapi-jsonrpc's way: `route.app = request_response(handler)` with a bound method, and
    `solve_dependencies` called inside it with an exit stack of its own."""

    def app(fw: Framework) -> Any:
        m = fw.mod
        routing = fw.import_("routing")
        utils = fw.import_("dependencies.utils")
        app = fw.App()
        closed: list[str] = []

        def resource() -> Any:
            yield "resource"
            closed.append("resource")

        def method(value: int = m.Body(), res: str = m.Depends(resource)) -> dict[str, Any]:
            return {"value": value, "res": res}

        dependant = utils.get_dependant(path="/rpc", call=method)

        class RpcRoute(routing.APIRoute):  # type: ignore[misc, name-defined]
            def __init__(self, path: str, **kwargs: Any) -> None:
                async def endpoint(body: dict[str, Any] = m.Body(...)) -> None:
                    pass

                super().__init__(path, endpoint, methods=["POST"], **kwargs)
                self.app = routing.request_response(self.handle_rpc)

            async def handle_rpc(self, request: Any) -> Any:
                params = await request.json()
                async with AsyncExitStack() as stack:
                    solved = await utils.solve_dependencies(
                        request=request,
                        dependant=dependant,
                        body=params,
                        dependency_overrides_provider=app,
                        async_exit_stack=stack,
                        embed_body_fields=True,
                    )
                    if solved.errors:
                        return m.responses.JSONResponse({"errors": len(solved.errors)}, status_code=400)
                    result = method(**solved.values)
                return m.responses.JSONResponse({**result, "closed": list(closed)})

        app.router.routes.append(RpcRoute("/rpc"))
        return app

    got = fw.compare(app, [Req("POST", "/rpc", json={"value": 3}), Req("POST", "/rpc", json={"value": "x"})])
    assert got[0].body == {"value": 3, "res": "resource", "closed": []}


def test_solve_dependencies_with_a_request_built_by_hand(fw: Framework) -> None:
    """fastapi-injectable's way: a bare Request whose scope holds FastAPI's stacks, a caller-given
    cache filled in place, `Dependant` and `SolvedDependency` as FastAPI shapes them."""
    m = fw.mod
    utils = fw.import_("dependencies.utils")
    models = fw.import_("dependencies.models")
    requests = fw.import_("requests")
    opened: list[str] = []

    async def session() -> Any:
        opened.append("open")
        yield "session"
        opened.append("close")

    def service(s: str = m.Depends(session), n: int = 2) -> str:
        return f"{s}:{n}"

    async def run() -> tuple[Any, ...]:
        async with AsyncExitStack() as request_stack, AsyncExitStack() as function_stack:
            scope = {
                "type": "http",
                "headers": [],
                "query_string": b"n=5",
                "fastapi_inner_astack": request_stack,
                "fastapi_function_astack": function_stack,
            }
            dependant = utils.get_dependant(path="", call=service)
            cache: dict[Any, Any] = {}
            solved = await utils.solve_dependencies(
                request=requests.Request(scope),
                dependant=dependant,
                dependency_cache=cache,
                async_exit_stack=request_stack,
                embed_body_fields=False,
            )
            during = list(opened)
        fields = [f.name for f in dataclasses.fields(solved)]
        return solved.values, solved.errors, during, list(opened), cache is solved.dependency_cache, fields

    values, errors, during, after, same_cache, fields = anyio.run(run)
    assert values == {"s": "session", "n": 5} and errors == []
    assert (during, after, same_cache) == (["open"], ["open", "close"], True)
    assert fields == ["values", "errors", "background_tasks", "response", "dependency_cache"]
    built = models.Dependant(path="/x", call=service, name="svc")
    assert (built.path, built.call, built.name, built.dependencies, built.use_cache) == (
        "/x",
        service,
        "svc",
        [],
        True,
    )
    assert [f.name for f in dataclasses.fields(models.Dependant) if f.init][:8] == [
        "path_params",
        "query_params",
        "header_params",
        "cookie_params",
        "body_params",
        "dependencies",
        "name",
        "call",
    ]
    assert list(inspect.signature(utils.solve_dependencies).parameters) == [
        "request",
        "dependant",
        "body",
        "background_tasks",
        "response",
        "dependency_overrides_provider",
        "dependency_cache",
        "async_exit_stack",
        "embed_body_fields",
        "_uses_scopes_cache",
    ]


def test_a_dependant_built_directly_is_solved_as_analysed(fw: Framework) -> None:
    """cadwyn's and jsonrpc's way: `Dependant(path=..., call=...)` inserted into a route's graph."""

    def app(fw: Framework) -> Any:
        m = fw.mod
        models = fw.import_("dependencies.models")
        app = fw.App()
        hits: list[str] = []

        async def marker() -> None:
            hits.append("marker")

        @app.get("/")
        def root() -> list[str]:
            return hits

        for route in app.routes:
            if getattr(route, "path", "") == "/":
                route.dependant.dependencies.insert(0, models.Dependant(path="/", call=marker, name=None))
        _ = m
        return app

    assert fw.compare(app, ["/", "/"])[1].body == ["marker", "marker"]


def test_a_signature_rewritten_before_include_router(fw: Framework) -> None:
    """Class-based views (fastapi-utils, fastapi-restful): the endpoint is registered, then its
    `__signature__` is rewritten to inject `self`; `include_router` reads the parameters again."""

    def app(fw: Framework) -> Any:
        m = fw.mod
        router = m.APIRouter()

        def settings() -> str:
            return "settings"

        class View:
            def __init__(self, settings: str = m.Depends(settings)) -> None:
                self.settings = settings

            def read(self, q: int = 0) -> dict[str, Any]:
                return {"settings": self.settings, "q": q}

        router.add_api_route("/view", View.read, methods=["GET"])
        signature = inspect.signature(View.read)
        first, *rest = signature.parameters.values()
        View.read.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[first.replace(default=m.Depends(View)), *rest]
        )
        app = fw.App()
        app.include_router(router, prefix="/cbv")
        return app

    got = fw.compare(app, ["/cbv/view?q=3", "/cbv/view?q=x", "/openapi.json"])
    assert got[0].body == {"settings": "settings", "q": 3}


def test_included_router_entries_match_as_fastapis(fw: Framework) -> None:
    """Metrics libraries walk `app.routes` and call `matches()`: an inclusion answers with the match
    and an empty child scope; its effective route contexts carry `.path` and `.starlette_route`."""
    m = fw.mod
    routing = fw.import_("routing")
    router = m.APIRouter()

    @router.get("/items/{item_id}")
    def read(item_id: int) -> int:
        return item_id

    router.add_route("/plain", lambda request: None)
    app = fw.App()
    app.include_router(router, prefix="/api")
    scope = {"type": "http", "method": "GET", "path": "/api/items/3", "root_path": "", "headers": []}
    found = []
    for route in app.routes:
        match, child_scope = route.matches(dict(scope))
        if match is not routing.Match.NONE:
            found.append((isinstance(route, routing._IncludedRouter), match, child_scope))
    assert found == [(True, routing.Match.FULL, {})]
    (inclusion,) = [r for r in app.routes if isinstance(r, routing._IncludedRouter)]
    contexts = list(inclusion.effective_route_contexts())
    assert contexts[0].path == "/api/items/{item_id}"
    assert contexts[0].starlette_route is None
    assert contexts[1].starlette_route.path == "/api/plain"
    assert [c.original_route for c in contexts] == router.routes


def test_a_signature_of_strings_set_on_an_endpoint(fw: Framework) -> None:
    """cadwyn's way: a `__signature__` whose annotations are unevaluated strings, resolved in the
    endpoint's globals."""

    def app(fw: Framework) -> Any:
        def endpoint(item: Any) -> dict[str, Any]:
            return {"name": item.name}

        endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter("item", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="Item")]
        )
        app = fw.App()
        app.post("/items")(endpoint)
        return app

    got = fw.compare(app, [Req("POST", "/items", json={"name": "x"}), Req("POST", "/items", json={})])
    assert got[0].body == {"name": "x"}


def test_starlettes_streaming_response_is_an_instance_of_the_frameworks(fw: Framework) -> None:
    import starlette.responses

    responses = fw.import_("responses")
    built_by_starlette = starlette.responses.StreamingResponse(iter([b"x"]))
    assert isinstance(built_by_starlette, responses.StreamingResponse)
    assert issubclass(starlette.responses.StreamingResponse, responses.StreamingResponse)
    assert isinstance(responses.StreamingResponse(iter([b"x"])), starlette.responses.StreamingResponse)
