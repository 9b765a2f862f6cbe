"""Solving dependencies for one request, driven directly with starlette Request objects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from starlette.requests import Request
from starlette.responses import Response

from ferroapi import param_functions as pf
from ferroapi._fields import create_model_field
from ferroapi._lifecycle import Lifecycle
from ferroapi.background import BackgroundTasks
from ferroapi.concurrency import ShieldedExit
from ferroapi.dependencies import solve as solver
from ferroapi.dependencies.analyze import build_route_dependant
from ferroapi.dependencies.overrides import OverridesDict
from ferroapi.dependencies.plan import plan_for
from ferroapi.dependencies.solve import Solution, prepare
from ferroapi.security.oauth2 import SecurityScopes

pytestmark = pytest.mark.anyio


def make_request(
    *,
    query: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    path_params: dict[str, Any] | None = None,
    cookies: dict[str, str] | None = None,
) -> Request:
    header_items = list((headers or {}).items())
    if cookies:
        header_items.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": urlencode(query or {}, doseq=True).encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in header_items],
            "path_params": path_params or {},
        }
    )


class Provider:
    def __init__(self, overrides: Any) -> None:
        self.dependency_overrides = overrides


async def solve(
    call: Callable[..., Any],
    *,
    path: str = "/",
    body: Any = PydanticUndefined,
    lifecycle: Lifecycle | None = None,
    overrides: Any = None,
    **request_parts: Any,
) -> Solution:
    dependant, _, embed = build_route_dependant(path=path, call=call)
    lifecycle = lifecycle or Lifecycle()
    async with lifecycle.request_stack, lifecycle.function_stack:
        return await solver.solve(
            request=make_request(**request_parts),
            dependant=dependant,
            lifecycle=lifecycle,
            body=body,
            dependency_overrides_provider=Provider(overrides) if overrides is not None else None,
            embed_body_fields=embed,
        )


class Item(BaseModel):
    name: str


async def test_params_values_and_errors_in_fastapi_order() -> None:
    def endpoint(
        item_id: int,
        q: int,
        tags: list[str] = pf.Query([]),
        x_token: Annotated[str, pf.Header()] = "none",
        session: Annotated[str | None, pf.Cookie()] = None,
    ) -> None: ...

    ok = await solve(
        endpoint,
        path="/{item_id}",
        path_params={"item_id": "3"},
        query={"q": "1", "tags": ["a", "b"]},
        headers={"X-Token": "t"},
        cookies={"session": "s"},
    )
    assert ok.errors == []
    assert ok.values == {"item_id": 3, "q": 1, "tags": ["a", "b"], "x_token": "t", "session": "s"}

    bad = await solve(endpoint, path="/{item_id}", path_params={"item_id": "x"})
    assert [e["loc"] for e in bad.errors] == [("path", "item_id"), ("query", "q")]
    assert bad.errors[1] == {"type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None}
    assert "url" not in bad.errors[0]


async def test_defaults_are_copied_not_shared() -> None:
    def endpoint(tags: list[str] = pf.Query(["x"])) -> None: ...

    first = await solve(endpoint)
    first.values["tags"].append("mutated")
    second = await solve(endpoint)
    assert second.values["tags"] == ["x"]


async def test_body_single_embedded_and_missing() -> None:
    def single(item: Item) -> None: ...

    def several(item: Item, n: Annotated[int, pf.Body()]) -> None: ...

    assert (await solve(single, body={"name": "a"})).values == {"item": Item(name="a")}
    missing = await solve(single)
    assert missing.errors == [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
    null = await solve(single, body=None)
    assert null.errors[0]["type"] == "model_attributes_type"
    many = await solve(several, body={"item": {"name": "a"}, "n": "x"})
    assert [e["loc"] for e in many.errors] == [("body", "n")]
    not_object = await solve(several, body=[1])
    assert [e["type"] for e in not_object.errors] == ["missing", "missing"]


async def test_dependency_cache_and_use_cache_false() -> None:
    calls: list[str] = []

    def counter() -> int:
        calls.append("c")
        return len(calls)

    def endpoint(
        a: int = pf.Depends(counter),
        b: int = pf.Depends(counter),
        c: int = pf.Depends(counter, use_cache=False),
    ) -> None: ...

    solved = await solve(endpoint)
    assert solved.values == {"a": 1, "b": 1, "c": 2}


async def test_yield_dependencies_enter_the_right_stacks() -> None:
    log: list[str] = []

    async def request_scoped() -> AsyncIterator[str]:
        log.append("enter r")
        yield "r"
        log.append("exit r")

    def function_scoped() -> Iterator[str]:
        log.append("enter f")
        yield "f"
        log.append("exit f")

    def endpoint(
        r: str = pf.Depends(request_scoped), f: str = pf.Depends(function_scoped, scope="function")
    ) -> None: ...

    dependant, _, _ = build_route_dependant(path="/", call=endpoint)
    lifecycle = Lifecycle()
    async with lifecycle.request_stack:
        async with lifecycle.function_stack:
            solved = await solver.solve(request=make_request(), dependant=dependant, lifecycle=lifecycle)
            assert solved.values == {"r": "r", "f": "f"}
        assert log == ["enter r", "enter f", "exit f"]
    assert log == ["enter r", "enter f", "exit f", "exit r"]


async def test_exception_thrown_into_yield_dependency() -> None:
    seen: list[str] = []

    async def dep() -> AsyncIterator[None]:
        try:
            yield
        except RuntimeError as exc:
            seen.append(str(exc))
            raise

    def endpoint(_: None = pf.Depends(dep)) -> None: ...

    dependant, _, _ = build_route_dependant(path="/", call=endpoint)
    lifecycle = Lifecycle()
    with pytest.raises(RuntimeError, match="from the endpoint"):
        async with lifecycle.request_stack, lifecycle.function_stack:
            await solver.solve(request=make_request(), dependant=dependant, lifecycle=lifecycle)
            raise RuntimeError("from the endpoint")
    assert seen == ["from the endpoint"]


async def test_dependency_that_never_yields() -> None:
    def dep() -> Iterator[None]:
        return
        yield  # a generator function that stops before yielding

    def endpoint(_: None = pf.Depends(dep)) -> None: ...

    with pytest.raises(RuntimeError, match="didn't yield"):
        await solve(endpoint)


async def test_failed_dependency_is_not_called_but_siblings_are() -> None:
    calls: list[str] = []

    def needs(n: int) -> int:
        calls.append("needs")
        return n

    def parent(n: int = pf.Depends(needs)) -> int:
        calls.append("parent")
        return n

    def sibling() -> None:
        calls.append("sibling")

    def endpoint(p: int = pf.Depends(parent), s: None = pf.Depends(sibling), q: int = 0) -> None: ...

    solved = await solve(endpoint, query={"n": "x", "q": "y"})
    assert calls == ["sibling"]
    assert [e["loc"] for e in solved.errors] == [("query", "n"), ("query", "q")]


async def test_injected_objects() -> None:
    def dep(response: Response, tasks: BackgroundTasks, scopes: SecurityScopes) -> list[str]:
        response.headers["x-dep"] = "1"
        return scopes.scopes

    def endpoint(request: Request, v: list[str] = pf.Security(dep, scopes=["me"])) -> None: ...

    solved = await solve(endpoint)
    assert solved.values["v"] == ["me"]
    assert isinstance(solved.values["request"], Request)
    assert solved.response_used and solved.response.headers["x-dep"] == "1"
    assert solved.response.status_code is None
    assert isinstance(solved.background_tasks, BackgroundTasks)


async def test_no_sub_response_unless_asked() -> None:
    def endpoint(q: int = 0) -> None: ...

    solved = await solve(endpoint)
    assert not solved.response_used and solved.background_tasks is None


async def test_overrides_are_resolved_and_cached_per_version() -> None:
    def settings() -> str:
        return "real"

    def endpoint(s: str = pf.Depends(settings)) -> None: ...

    dependant, _, _ = build_route_dependant(path="/", call=endpoint)
    overrides = OverridesDict()
    provider = Provider(overrides)
    plain = plan_for(dependant, provider)
    assert plain is prepare(dependant)
    overrides[settings] = lambda: "fake"
    first = plan_for(dependant, provider)
    assert first is not plain and plan_for(dependant, provider) is first
    lifecycle = Lifecycle()
    async with lifecycle.request_stack, lifecycle.function_stack:
        solved = await solver.solve(
            request=make_request(),
            dependant=dependant,
            lifecycle=lifecycle,
            dependency_overrides_provider=provider,
        )
    assert solved.values == {"s": "fake"}
    overrides.clear()
    assert plan_for(dependant, provider) is plain


async def test_override_with_its_own_parameters() -> None:
    def settings() -> str:
        return "real"

    def override(x: int) -> str:
        return f"x={x}"

    def endpoint(s: str = pf.Depends(settings)) -> None: ...

    solved = await solve(endpoint, overrides={settings: override}, query={"x": "2"})
    assert solved.values == {"s": "x=2"}
    failed = await solve(endpoint, overrides={settings: override})
    assert failed.errors[0]["loc"] == ("query", "x")


def test_overrides_dict_counts_every_mutation() -> None:
    def a() -> None: ...

    def b() -> None: ...

    d = OverridesDict()
    steps: list[Callable[[], Any]] = [
        lambda: d.__setitem__(a, b),
        lambda: d.update({b: a}),
        lambda: d.__delitem__(b),
        lambda: d.pop(a),
        lambda: d.setdefault(a, b),
        lambda: d.popitem(),
        lambda: d.__ior__({a: b}),
        lambda: d.clear(),
    ]
    for expected, step in enumerate(steps, start=1):
        step()
        assert d.version == expected


def test_model_field_validation_and_serialization() -> None:
    field = create_model_field("item", Item)
    value, errors = field.validate({"name": 1}, loc=("body",))
    assert value is None and errors[0]["loc"] == ("body", "name")
    value, errors = field.validate_json(b'{"name": "x"}')
    assert errors == [] and field.serialize(value) == {"name": "x"}
    assert field.serialize_json(value) == b'{"name":"x"}'
    assert field.required and field.alias == "item"


async def test_teardown_error_is_not_replaced_by_a_pending_cancellation() -> None:
    """A yield dependency that re-raises the error of an inner teardown while the request is
    cancelled: the error propagates (a cancellation checkpoint after the teardown would replace it).
    """
    error = RuntimeError("cleanup failed")
    events: list[str] = []

    @asynccontextmanager
    async def outer() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append("outer")

    @asynccontextmanager
    async def inner() -> AsyncIterator[None]:
        try:
            yield
        finally:
            await anyio.sleep(0)
            events.append("inner")
            raise error

    raised: BaseException | None = None
    with anyio.CancelScope() as external:
        try:
            async with AsyncExitStack() as stack:
                cleanup = stack.enter_context(anyio.CancelScope())
                await stack.enter_async_context(ShieldedExit(outer(), cleanup))
                await stack.enter_async_context(ShieldedExit(inner(), cleanup))
                external.cancel()
                await anyio.sleep(0)
        except RuntimeError as exc:
            raised = exc
    assert raised is error
    assert events == ["inner", "outer"]
