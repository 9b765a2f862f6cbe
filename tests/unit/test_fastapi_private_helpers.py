"""FastAPI's private helpers of `routing` and `dependencies.utils`, called the way extensions call them,
compared with FastAPI 0.165.0's own result on the same inputs (both packages side by side; each builds
its fields and routes from its own declarations).

Annotations are evaluated at definition (no `from __future__ import annotations`): the endpoints below
declare their parameters with the framework module (`m.Query()`) passed to the function building them.
"""

import contextlib
import io
import math
import os
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Annotated, Any

import fastapi
import pytest
from fastapi import routing as fastapi_routing
from fastapi.dependencies import utils as fastapi_utils
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, Headers, QueryParams, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

import ferroapi
from ferroapi import routing
from ferroapi._limits.forms import FORM_LIMITS_SCOPE_KEY
from ferroapi.dependencies import utils

BOTH = [(fastapi, fastapi_routing, fastapi_utils), (ferroapi, routing, utils)]
IDS = ["fastapi", "ferroapi"]


def both(check: Any) -> None:
    """`check(framework, routing, dependencies.utils)` gives the same result under both frameworks."""
    theirs, ours = (check(*modules) for modules in BOTH)
    assert ours == theirs


# --- dependencies.utils: reading parameters ----------------------------------------------------------


class Filters(BaseModel):
    a: int
    tags: list[str] = []


class TokenHeaders(BaseModel):
    x_token: str
    user_agent: str = "none"


def _param_fields(m: ModuleType, dependencies_utils: ModuleType) -> dict[str, Any]:
    def endpoint(
        q: list[str] = m.Query(default=[]),
        x: int | None = None,
        h: str = m.Header("d"),
        f: Annotated[Filters | None, m.Query()] = None,
        hm: Annotated[TokenHeaders | None, m.Header()] = None,
        aliased: str = m.Query("z", alias="alias-q"),
    ) -> None: ...

    dependant = dependencies_utils.get_dependant(path="/", call=endpoint)
    return {field.name: field for field in dependant.query_params + dependant.header_params}


CONTAINERS = [
    QueryParams("q=1&q=2&x=3&alias-q=&a=5&tags=t1&tags=t2&extra=e"),
    QueryParams("a=zz"),
    QueryParams(""),
    FormData([("q", "1"), ("q", ""), ("x", ""), ("h", "")]),
    {"q": ["a"], "x": "4"},
]


@pytest.mark.parametrize("name", ["q", "x", "h", "aliased"])
@pytest.mark.parametrize("container", CONTAINERS, ids=lambda c: type(c).__name__)
def test_get_multidict_value(name: str, container: Any) -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        field = _param_fields(m, du)[name]
        return du._get_multidict_value(field, container, alias=field.alias)

    both(check)


def test_get_multidict_value_headers() -> None:
    headers = Headers(raw=[(b"h", b"1"), (b"h", b"2"), (b"x", b"")])

    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        fields = _param_fields(m, du)
        return [du._get_multidict_value(fields[n], headers, alias=n) for n in ("h", "q", "x")]

    both(check)


@pytest.mark.parametrize(
    ("name", "model", "container"),
    [
        ("f", Filters, CONTAINERS[0]),
        ("f", Filters, CONTAINERS[1]),
        ("f", Filters, CONTAINERS[2]),
        ("hm", TokenHeaders, Headers({"x-token": "tok", "user-agent": "ua", "x_token": "no"})),
        ("hm", TokenHeaders, Headers({"x_token": "no"})),
        ("hm", TokenHeaders, Headers({})),
    ],
)
def test_request_param_model_to_args(name: str, model: type[BaseModel], container: Any) -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        value, errors = du._request_param_model_to_args(_param_fields(m, du)[name], model, container)
        return (value.model_dump() if value is not None else None), errors

    both(check)


@pytest.mark.parametrize("value", [PydanticUndefined, "12", ["1", "2"], "abc", None])
@pytest.mark.parametrize("name", ["q", "x", "h"])
def test_validate_value_with_model_field(name: str, value: Any) -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        field = _param_fields(m, du)[name]
        return du._validate_value_with_model_field(field=field, value=value, values={}, loc=("query", name))

    both(check)


def test_field_helpers() -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        fields = _param_fields(m, du)
        query = [fields[n] for n in ("q", "x", "f", "aliased")]
        return (
            {n: du._get_param_aliases(f) for n, f in fields.items()},
            {n: du._get_param_aliases(f, convert_underscores=True) for n, f in fields.items()},
            {n: du.get_validation_alias(f) for n, f in fields.items()},
            {n: du._get_param_model(f) for n, f in fields.items()},
            {n: du._is_json_field(f) for n, f in fields.items()},
            [f.name for f in du._get_flat_fields_from_params(query)],
            [du._get_model_type(t) for t in (Filters, Filters | None, int, Filters | int)],
        )

    both(check)


def test_request_params_to_args() -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        fields = _param_fields(m, du)
        values, errors = du.request_params_to_args([fields["q"], fields["x"], fields["f"]], CONTAINERS[0])
        return {k: v.model_dump() if isinstance(v, BaseModel) else v for k, v in values.items()}, errors

    both(check)


def test_injected_and_located_parameters() -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        annotations = [m.Request, m.WebSocket, m.Response, m.BackgroundTasks, m.security.SecurityScopes, int]
        results: list[Any] = []
        for annotation in annotations:
            dependant = du.Dependant()
            added = du.add_non_field_param_to_dependency(
                param_name="p", type_annotation=annotation, dependant=dependant
            )
            results.append((added, dependant.request_param_name, dependant.security_scopes_param_name))
        dependant = du.Dependant()
        for field in _param_fields(m, du).values():
            du.add_param_to_fields(field=field, dependant=dependant)
        results.append([[f.name for f in dependant.query_params], [f.name for f in dependant.header_params]])
        return results

    both(check)


def test_get_signature_keeps_unresolvable_annotations() -> None:
    namespace: dict[str, Any] = {}
    exec("def call(a: int, b: 'Missing') -> 'AlsoMissing': ...", namespace)

    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        signature = du._get_signature(namespace["call"])
        return [(p.name, p.annotation) for p in signature.parameters.values()], signature.return_annotation

    both(check)


# --- dependencies.utils: forms -----------------------------------------------------------------------


class Login(BaseModel):
    username: str
    tags: list[str] = []


def _form_fields(m: ModuleType, du: ModuleType) -> list[Any]:
    def endpoint(
        name: str = m.Form(),
        files: list[bytes] = m.File(default=[]),
        one: bytes = m.File(b""),
        up: m.UploadFile | None = m.File(None),  # type: ignore[name-defined]
        login: Annotated[Login | None, m.Form()] = None,
    ) -> None: ...

    return list(du.get_dependant(path="/", call=endpoint).body_params)


def _upload(data: bytes, filename: str = "a.txt") -> UploadFile:
    return UploadFile(file=io.BytesIO(data), filename=filename, size=len(data))


def _form() -> FormData:
    return FormData(
        [
            ("name", "n"),
            ("files", _upload(b"f1")),
            ("files", _upload(b"f2")),
            ("one", _upload(b"o")),
            ("up", _upload(b"", filename="")),
            ("username", "u"),
            ("tags", "a"),
            ("tags", "b"),
            ("stray", "s"),
        ]
    )


def _plain(value: Any) -> Any:
    if isinstance(value, UploadFile):
        return ("upload", value.filename, value.size)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def test_extract_form_items() -> None:
    def check(m: ModuleType, _: ModuleType, du: ModuleType) -> Any:
        items = du._extract_form_items(_form_fields(m, du), _form())
        return [(key, _plain(value), field.name if field else None) for key, value, field in items]

    both(check)


@pytest.mark.anyio
async def test_extract_form_body_reads_bytes_files() -> None:
    results = []
    for m, _, du in BOTH:
        form = _form()
        items = [item async for item in du._extract_form_body(_form_fields(m, du), form)]
        results.append([(key, _plain(value), field.name if field else None) for key, value, field in items])
        first_upload = next(item for _, item in form.multi_items() if isinstance(item, UploadFile))
        assert await first_upload.read() == b"f1"  # read, then put back where it was
    assert results[1] == results[0]
    assert ("files", [b"f1", b"f2"], "files") in results[1]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "form",
    [FormData([("x", "1")]), FormData([("username", "")]), FormData([])],
    ids=["other", "empty", "none"],
)
async def test_form_models(form: FormData) -> None:
    results = []
    for m, _, du in BOTH:
        login = _form_fields(m, du)[-1]
        results.append(
            (
                du._get_form_models(login),
                du._get_form_model(login),
                du._is_form_model_supplied(Login, form),
                _plain(await du._extract_form_model(login, [Login], form)),
                _plain(await du._extract_form_model(login, [Login], _form())),
            )
        )
    assert results[1] == results[0]


# --- dependencies.utils: yield dependencies ----------------------------------------------------------


@pytest.mark.anyio
async def test_solve_generator_enters_on_the_given_stack() -> None:
    async def run(du: ModuleType) -> list[Any]:
        log: list[Any] = []

        def sync_dependency(x: int) -> Iterator[int]:
            log.append(("enter sync", x))
            yield x * 2
            log.append("exit sync")

        async def async_dependency(y: int) -> AsyncIterator[int]:
            log.append(("enter async", y))
            yield y + 1
            log.append("exit async")

        async with AsyncExitStack() as request_stack:
            async with AsyncExitStack() as function_stack:
                scope: dict[str, Any] = {
                    "type": "http",
                    "headers": [],
                    "query_string": b"",
                    "fastapi_inner_astack": request_stack,
                    "fastapi_function_astack": function_stack,
                }
                request = Request(scope)
                solve = du._solve_generator
                sync_dependant = du.get_dependant(path="/", call=sync_dependency)
                async_dependant = du.get_dependant(path="/", call=async_dependency)
                first = await solve(
                    dependant=sync_dependant, stack=function_stack, sub_values={"x": 2}, request=request
                )
                second = await solve(
                    dependant=async_dependant, stack=request_stack, sub_values={"y": 5}, request=request
                )
                log.append(("values", first, second, len(scope["fastapi_async_cleanup_scopes"])))
            log.append("function stack closed")
        log.append(("cleanup scopes left", len(scope["fastapi_async_cleanup_scopes"])))
        return log

    assert await run(utils) == await run(fastapi_utils)


# --- routing: handler parts ------------------------------------------------------------------------


def test_extract_endpoint_context_is_cached_per_endpoint() -> None:
    def endpoint() -> None: ...

    context = routing._extract_endpoint_context(endpoint)
    assert context == fastapi_routing._extract_endpoint_context(endpoint)
    assert context == {"file": __file__, "line": endpoint.__code__.co_firstlineno, "function": "endpoint"}
    assert routing._extract_endpoint_context(endpoint) is context
    assert routing._endpoint_context_cache[id(endpoint)] is context
    assert routing._extract_endpoint_context(len) == fastapi_routing._extract_endpoint_context(len)


@pytest.mark.parametrize("route_status", [None, 0, 201])
@pytest.mark.parametrize("set_status", [None, 0, 202])
def test_build_response_args(route_status: int | None, set_status: int | None) -> None:
    response = Response()
    response.status_code = set_status  # type: ignore[assignment]
    solved = SimpleNamespace(background_tasks="tasks", response=response)

    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        return r._build_response_args(status_code=route_status, solved_result=solved)

    both(check)


def test_normalize_non_finite_floats() -> None:
    data = {"a": [1.0, math.nan, {"b": math.inf}], "c": -math.inf, 1: ("t", math.nan), "d": "x"}
    assert routing._normalize_non_finite_floats(data) == fastapi_routing._normalize_non_finite_floats(data)


# --- routing: FastAPI's private scope dict ---------------------------------------------------------


def test_scope_helpers() -> None:
    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        scope: dict[str, Any] = {"type": "http"}
        r._get_fastapi_scope(scope)["a"] = 1
        r._update_scope(scope, {"fastapi": {"b": 2}, "path_params": {"x": 1}})
        r._update_scope(scope, {"endpoint": "e"})
        restored = {"fastapi": {"k": 1, "j": 0}}
        r._restore_fastapi_scope_key(restored, "k", r._SCOPE_MISSING)
        r._restore_fastapi_scope_key(restored, "j", 5)
        return (
            {key: value for key, value in scope.items() if key != "ferroapi"},
            r._get_scope_effective_route_context(scope),
            r._frontend_scope_specificity({"fastapi": {"frontend_specificity": 3}}),
            r._frontend_scope_specificity({"fastapi": {"frontend_specificity": "3"}}),
            r._get_scope_included_router({"fastapi": {"included_router": "router"}}),
            r._get_scope_included_router({}),
            restored,
            (r._FASTAPI_SCOPE_KEY, r._FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY, r._FASTAPI_FORM_LIMITS_KEY),
            (
                r._FASTAPI_FRONTEND_PATH_KEY,
                r._FASTAPI_FRONTEND_SPECIFICITY_KEY,
                r._FASTAPI_INCLUDED_ROUTER_KEY,
            ),
        )

    both(check)


def test_router_form_limits_reach_ferroapis_record() -> None:
    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        scope: dict[str, Any] = {"type": "http"}
        r._apply_router_form_limits(scope, {"max_fields": 2})
        r._apply_router_form_limits(scope, {"max_files": 1})
        websocket: dict[str, Any] = {"type": "websocket"}
        r._apply_router_form_limits(websocket, {"max_files": 1})
        private = scope["fastapi"]
        return (
            private,
            websocket,
            r._resolve_form_limits(private, {"max_fields": 5}),
            r._resolve_form_limits(private, None),
        )

    both(check)
    scope: dict[str, Any] = {"type": "http"}
    routing._apply_router_form_limits(scope, {"max_fields": 2})
    assert scope[FORM_LIMITS_SCOPE_KEY] == {"max_fields": 2}  # what ferroapi's form routes parse with


# --- routing: lifespans ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_lifespan_wrappers() -> None:
    async def run(r: ModuleType) -> Any:
        log: list[Any] = []

        def lifespan(app: object) -> Iterator[dict[str, int]]:
            log.append("start")
            yield {"s": 1}
            log.append("stop")

        wrapped = r._wrap_gen_lifespan_context(lifespan)
        async with wrapped("app") as state:
            log.append(state)
        async with r._AsyncLiftContextManager(contextlib.nullcontext(5)) as value:
            log.append(value)
        return log, wrapped.__name__

    assert await run(routing) == await run(fastapi_routing)


# --- routing: inclusions and effective route contexts ----------------------------------------------


def _included_app(m: ModuleType, r: ModuleType) -> tuple[Any, dict[str, Any]]:
    app = m.FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    router = m.APIRouter(prefix="/r", tags=["t"])
    seen: dict[str, Any] = {}

    @router.get("/items/{item_id}")
    def item(item_id: int, request: m.Request) -> dict[str, int]:  # type: ignore[name-defined]
        context = request.scope["fastapi"]["effective_route_context"]
        seen["context"] = (
            isinstance(context, r._EffectiveRouteContext),
            context.path,
            context.original_route is request.scope["route"],
        )
        return {"id": item_id}

    router.add_route("/plain", lambda request: PlainTextResponse("p"))
    inner = m.APIRouter(prefix="/in")
    inner.add_api_route("/x", lambda: 1, methods=["POST"])
    router.include_router(inner)
    app.include_router(router, prefix="/api")
    return app, seen


def test_effective_route_contexts_pass_fastapis_isinstance_check() -> None:
    def check(m: ModuleType, r: ModuleType, _: ModuleType) -> Any:
        app, seen = _included_app(m, r)
        with TestClient(app) as client:
            assert client.get("/api/r/items/3").json() == {"id": 3}
        included = next(route for route in app.router.routes if isinstance(route, r._IncludedRouter))
        contexts = list(included.effective_route_contexts())
        pairs = [
            (type(original).__name__, original.path, isinstance(context, r._EffectiveRouteContext))
            for original, context in r._iter_routes_with_context(app.router.routes)
        ]
        return (
            seen["context"],
            pairs,
            [isinstance(context, r._EffectiveRouteContext) for context in contexts],
            isinstance(included.include_context, r._RouterIncludeContext),
            isinstance(included, r._EffectiveRouteContext),
        )

    both(check)


def test_effective_route_context_subclass_only_has_its_instances() -> None:
    class Mine(routing._EffectiveRouteContext):  # type: ignore[misc]
        pass

    app, _ = _included_app(ferroapi, routing)
    effective = next(iter(app.router.routes[-1].effective_route_contexts()))
    assert isinstance(effective, routing._EffectiveRouteContext)
    assert not isinstance(effective, Mine)
    assert isinstance(Mine(original_route=Route("/", lambda request: None)), Mine)


def test_effective_route_context_built_directly() -> None:
    def check(m: ModuleType, r: ModuleType, _: ModuleType) -> Any:
        plain = r._EffectiveRouteContext(
            original_route=Route("/plain/{x}", lambda request: None, name="plain"),
            starlette_route=Route("/api/plain/{x}", lambda request: None, name="plain"),
        )

        def endpoint(item_id: int) -> None: ...

        api = r._EffectiveRouteContext(original_route=m.routing.APIRoute("/items/{item_id}", endpoint))
        r._populate_api_route_state(api, "/v1/items/{item_id:int}", endpoint, methods=["POST"], name="it")
        scope = {"type": "http", "path": "/api/plain/3", "method": "GET", "root_path": "", "path_params": {}}
        results = [
            plain.matches(scope)[0],
            plain.matches(scope)[1]["path_params"],
            plain.url_path_for("plain", x=5),
        ]
        for method in ("POST", "GET"):
            match, child = api.matches(dict(scope, path="/v1/items/7", method=method))
            results.append((match, child["path_params"], child["endpoint"] is endpoint))
        results.append(api.matches(dict(scope, type="websocket"))[0])
        results.append(api.url_path_for("it", item_id=4))
        with pytest.raises(Exception) as raised:
            api.url_path_for("other")
        results.append(type(raised.value).__name__)
        return results

    both(check)


def test_effective_route_context_constructors_build_what_inclusions_serve() -> None:
    parent, child = ferroapi.APIRouter(prefix="/p"), ferroapi.APIRouter(tags=["c"])

    @child.get("/x")
    def endpoint() -> int:
        return 1

    context = routing._RouterIncludeContext.for_include(
        parent_router=parent, included_router=child, prefix="/c"
    )
    effective = routing._EffectiveRouteContext.from_api_route(
        original_route=child.routes[0], include_context=context
    )
    assert isinstance(effective, routing._EffectiveRouteContext)
    assert (effective.path, effective.tags, effective.original_route) == ("/p/c/x", ["c"], child.routes[0])
    child.frontend("/", directory=".", check_dir=False)
    group = child._low_priority_routes[0]
    frontend = routing._EffectiveRouteContext.from_frontend_route_group(
        original_route=group, include_context=context
    )
    assert isinstance(frontend, routing._EffectiveRouteContext)
    assert (frontend.original_route, frontend.frontend_prefix) == (group, "/p/c")


def test_router_include_context() -> None:
    def check(m: ModuleType, r: ModuleType, _: ModuleType) -> Any:
        parent = m.APIRouter(prefix="/p", tags=["pt"], dependencies=[m.Depends(lambda: 1)])
        child = m.APIRouter(max_body_size=10)
        context = r._RouterIncludeContext.for_include(
            parent_router=parent,
            included_router=child,
            prefix="/c",
            tags=["ct"],
            deprecated=True,
            max_body_size=99,
            form_limits={"max_fields": 3},
        )
        inner = r._RouterIncludeContext.for_include(
            parent_router=child, included_router=m.APIRouter(), prefix="/i", include_in_schema=False
        )
        combined = context.combine(inner)
        with pytest.raises(ValueError, match="max_body_size"):
            r._RouterIncludeContext.for_include(parent_router=parent, included_router=child, max_body_size=-1)
        return (
            (
                context.prefix,
                context.tags,
                len(context.dependencies),
                context.deprecated,
                context.max_body_size,
            ),
            (context.form_limits, context.path_for(Route("/x", lambda request: None))),
            (combined.prefix, combined.tags, combined.include_in_schema, combined.max_body_size),
            (combined.deprecated, combined.included_router is inner.included_router),
        )

    both(check)


class Item(BaseModel):
    name: str


_STATE = [
    "path",
    "path_format",
    "name",
    "methods",
    "unique_id",
    "status_code",
    "response_model",
    "description",
    "tags",
    "summary",
    "operation_id",
    "deprecated",
    "include_in_schema",
    "response_description",
    "max_body_size",
    "is_json_stream",
    "is_sse_stream",
    "stream_item_type",
    "_embed_body_fields",
]


@pytest.mark.parametrize(
    "options",
    [
        {"methods": ["put"], "status_code": 201, "tags": ["a"], "responses": {404: {"model": Item}}},
        {"operation_id": "op", "response_model": None, "deprecated": True, "max_body_size": 5},
        {"stream_item_type": int, "response_model": None},
        {},
    ],
)
def test_populate_api_route_state(options: dict[str, Any]) -> None:
    def read_item(item_id: int, item: Item, q: str | None = None) -> Item:
        """Read an item.\fNot documented."""
        return item

    def stream() -> Iterator[Item]:
        yield Item(name="a")

    endpoint = stream if "stream_item_type" in options or not options else read_item

    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        route = SimpleNamespace()
        r._populate_api_route_state(route, "/items/{item_id}", endpoint, **options)
        state = {name: getattr(route, name) for name in _STATE}
        state["fields"] = (
            getattr(route.body_field, "name", None),
            route.response_field is not None,
            route.stream_item_field is not None,
            sorted(route.response_fields),
        )
        state["params"] = [f.name for f in route.dependant.path_params + route.dependant.query_params]
        return state

    both(check)


def test_build_dependant_with_parameterless_dependencies() -> None:
    class A(BaseModel):
        x: int

    def check(m: ModuleType, r: ModuleType, _: ModuleType) -> Any:
        def token(token: str = m.Header()) -> str:
            return token

        def body_dependency(a: A) -> A:
            return a

        def endpoint(item_id: int, b: A, c: int = m.Body()) -> None: ...

        dependant, body, embed = r._build_dependant_with_parameterless_dependencies(
            path="/i/{item_id}",
            call=endpoint,
            dependencies=[m.Depends(token), m.Security(body_dependency, scopes=["s"])],
        )
        body_field = r._get_body_field(body_params=body, name="uid", embed_body_fields=embed)
        return (
            [(sub.call.__name__, sub.own_oauth_scopes) for sub in dependant.dependencies],
            [f.name for f in body],
            embed,
            dependant.scope,
            r._get_flat_body_params(dependant) == body,
            r._should_embed_body_fields(body),
            (
                body_field.name,
                type(body_field.field_info).__name__,
                sorted(body_field.field_info.annotation.model_fields),
            ),
        )

    both(check)


# --- routing: frontends ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/app/", "/app", "", "app"])
def test_normalize_frontend_path(path: str) -> None:
    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        try:
            return r._normalize_frontend_path(path)
        except AssertionError as exc:
            return str(exc)

    both(check)


def test_frontend_path_rules() -> None:
    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        joined = [r._join_frontend_paths(a, b) for a, b in [("", "/x"), ("/p", "/"), ("/p", "/x")]]
        return (
            joined,
            [r._frontend_path_specificity(p) for p in ("/", "/abc")],
            r._get_resolved_absolute_path("."),
        )

    both(check)


ACCEPT = [
    "text/html",
    "text/html;q=0",
    "TEXT/HTML; Q=0.5",
    "*/*",
    "application/xhtml+xml;q=abc",
    'text/plain, text/html;q="0.1"',
    "garbage",
    "",
    "a/b/c;q=1",
    "text/html ; q = 0",
]


@pytest.mark.parametrize("accept", ACCEPT)
def test_accept_header_and_navigation(accept: str) -> None:
    scope = {"type": "http", "headers": [(b"accept", accept.encode())]}

    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        return list(r._iter_accept_media_types(accept)), r._is_frontend_navigation_request(scope)

    both(check)


def test_frontend_routes_match_as_fastapis(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>")

    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        route = r._FrontendRoute("/app/", directory=tmp_path, check_dir=True)
        results: list[Any] = []
        for path, method in [("/app", "GET"), ("/app/x/y", "HEAD"), ("/apps", "GET"), ("/app/z", "POST")]:
            match, child = route.matches({"type": "http", "path": path, "method": method, "root_path": ""})
            results.append((match, child.get("fastapi")))
        results.append(route.matches({"type": "websocket", "path": "/app"}))
        group = r._FrontendRouteGroup()
        group.add_frontend_route("/", directory=tmp_path, check_dir=True)
        group.add_frontend_route("/app", directory=tmp_path, check_dir=True)
        scope = {"type": "http", "path": "/pre/app/q", "method": "GET", "root_path": ""}
        results.append(group.matches(dict(scope, path="/app/q"))[1]["fastapi"])
        results.append(group.matches_with_prefix(scope, "/pre")[1]["fastapi"])
        with pytest.raises(RuntimeError) as missing:
            r._FrontendRoute("/", directory=tmp_path / "missing", check_dir=True)
        with pytest.raises(RuntimeError) as no_fallback:
            r._FrontendStaticFiles(directory=tmp_path, fallback="404.html", check_dir=True)
        results.append((str(missing.value), str(no_fallback.value)))
        r._frontend_dependency_endpoint()
        return results

    both(check)


def test_resolve_frontend_check_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def check(_: ModuleType, r: ModuleType, __: ModuleType) -> Any:
        monkeypatch.setenv("FASTAPI_ENV", "development")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            development = r._resolve_frontend_check_dir(directory=tmp_path / "missing", check_dir="auto")
        monkeypatch.delenv("FASTAPI_ENV")
        return (
            development,
            [str(w.message) for w in caught],
            r._resolve_frontend_check_dir(directory=tmp_path, check_dir="auto"),
            r._resolve_frontend_check_dir(directory=tmp_path, check_dir=False),
        )

    both(check)


# --- start-up cost ---------------------------------------------------------------------------------


def test_import_ferroapi_loads_none_of_the_lazy_modules() -> None:
    """FastAPI's names from modules `import ferroapi` does not load resolve on first access only."""
    lazy = [
        "ferroapi.dependencies.analyze",
        "ferroapi.dependencies.utils",
        "ferroapi._routing.effective_context",
        "ferroapi._body_limit",
        "ferroapi.openapi.utils",
        "ferroapi.openapi.docs",
    ]
    code = f"import sys, ferroapi; print([m for m in {lazy!r} if m in sys.modules])"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert output.stdout.strip() == "[]"
    from ferroapi import _body_limit, applications
    from ferroapi._routing import effective_context
    from ferroapi.dependencies import analyze
    from ferroapi.openapi import docs
    from ferroapi.openapi import utils as openapi_utils

    assert routing.get_dependant is analyze.get_dependant is utils.get_dependant
    assert routing.wrap_app_with_body_limit is _body_limit.wrap_app_with_body_limit
    assert routing._EffectiveRouteContext is effective_context.EffectiveRouteContext
    assert applications.get_openapi is openapi_utils.get_openapi
    assert applications.get_swagger_ui_html is docs.get_swagger_ui_html
    with pytest.raises(AttributeError):
        routing.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        applications.no_such_name  # noqa: B018
