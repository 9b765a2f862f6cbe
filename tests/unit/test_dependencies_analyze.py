"""Dependency analysis: where each parameter comes from, flags, scopes, cache keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from ferroapi import param_functions as pf
from ferroapi import params
from ferroapi.background import BackgroundTasks
from ferroapi.dependencies.analyze import (
    build_route_dependant,
    get_body_field,
    get_dependant,
    get_flat_dependant,
    get_flat_params,
    is_form_body,
    should_embed_body_fields,
)
from ferroapi.exceptions import DependencyScopeError
from ferroapi.security.oauth2 import SecurityScopes


class Item(BaseModel):
    name: str


class Filters(BaseModel):
    limit: int = 10


def names(fields: list[Any]) -> list[str]:
    return [f.name for f in fields]


def test_classification() -> None:
    def endpoint(
        item_id: int,
        item: Item,
        request: Request,
        response: Response,
        tasks: BackgroundTasks,
        q: str | None = None,
        tags: list[str] = pf.Query([]),
        x_token: Annotated[str, pf.Header()] = "",
        session: str = pf.Cookie(""),
        filters: Annotated[Filters, pf.Query()] = Filters(),
    ) -> None: ...

    d = get_dependant(path="/items/{item_id}", call=endpoint)
    assert names(d.path_params) == ["item_id"]
    assert names(d.query_params) == ["q", "tags", "filters"]
    assert names(d.header_params) == ["x_token"] and d.header_params[0].alias == "x-token"
    assert names(d.cookie_params) == ["session"]
    assert names(d.body_params) == ["item"]
    assert (d.request_param_name, d.response_param_name, d.background_tasks_param_name) == (
        "request",
        "response",
        "tasks",
    )
    assert not d.is_coroutine and not d.is_gen


def test_forward_references_resolve_against_globals() -> None:
    def endpoint(item: Item, n: int = 1) -> None: ...

    endpoint.__annotations__ = {"item": "Item", "n": "int"}
    d = get_dependant(path="/", call=endpoint)
    assert names(d.body_params) == ["item"] and d.body_params[0].field_info.annotation is Item
    assert names(d.query_params) == ["n"]


def test_flags() -> None:
    async def coro() -> int:
        return 1

    def gen() -> Iterator[int]:
        yield 1

    async def agen() -> AsyncIterator[int]:
        yield 1

    class Callable_:
        async def __call__(self) -> int:
            return 1

    assert get_dependant(path="/", call=coro).is_coroutine
    assert get_dependant(path="/", call=gen).is_gen
    assert get_dependant(path="/", call=agen).is_async_gen
    assert get_dependant(path="/", call=Callable_()).is_coroutine
    assert not get_dependant(path="/", call=Callable_).is_coroutine
    assert get_dependant(path="/", call=gen).computed_scope == "request"


def test_sub_dependencies_scopes_and_cache_keys() -> None:
    def leaf(scopes: SecurityScopes) -> list[str]:
        return scopes.scopes

    def middle(v: list[str] = pf.Security(leaf, scopes=["b"])) -> Any:
        return v

    def endpoint(m: Any = pf.Security(middle, scopes=["a"]), plain: Any = pf.Depends(leaf)) -> None: ...

    d = get_dependant(path="/", call=endpoint)
    middle_d, plain_d = d.dependencies
    leaf_d = middle_d.dependencies[0]
    assert leaf_d.oauth_scopes == ["a", "b"]
    assert leaf_d.uses_scopes and middle_d.uses_scopes
    assert leaf_d.cache_key == (leaf, ("a", "b"), "")
    assert plain_d.cache_key == (leaf, (), "")


class Service:
    def __init__(self, q: int = 0) -> None:
        self.q = q


def test_annotated_depends_without_dependency_uses_the_annotation() -> None:
    # (Service is module-level: string annotations resolve against the function's globals.)
    def endpoint(s: Annotated[Service, pf.Depends()]) -> None: ...

    d = get_dependant(path="/", call=endpoint)
    assert d.dependencies[0].call is Service
    assert names(d.dependencies[0].query_params) == ["q"]


def test_request_scope_cannot_depend_on_function_scope() -> None:
    def inner() -> Iterator[int]:
        yield 1

    def outer(v: int = pf.Depends(inner, scope="function")) -> Iterator[int]:
        yield v

    with pytest.raises(DependencyScopeError, match='"outer" has a scope of "request"'):
        get_dependant(path="/", call=outer)


def test_invalid_declarations() -> None:
    def bad_default(q: Annotated[int, pf.Query(3)]) -> None: ...

    with pytest.raises(AssertionError, match="default value cannot be set in `Annotated`"):
        get_dependant(path="/", call=bad_default)

    def path_as_query(item_id: Annotated[int, pf.Query()]) -> None: ...

    with pytest.raises(AssertionError, match="Cannot use `Query` for path param"):
        get_dependant(path="/{item_id}", call=path_as_query)

    def both(q: Annotated[int, pf.Depends(lambda: 1)] = pf.Depends(lambda: 2)) -> None: ...

    with pytest.raises(AssertionError, match="Cannot specify `Depends` in `Annotated` and default"):
        get_dependant(path="/", call=both)


def test_shared_declaration_object_is_not_mutated() -> None:
    shared = pf.Query(None)

    def one(a: str | None = shared) -> None: ...

    def two(b: str | None = shared) -> None: ...

    assert get_dependant(path="/", call=one).query_params[0].alias == "a"
    assert get_dependant(path="/", call=two).query_params[0].alias == "b"


def test_body_embedding_and_body_field() -> None:
    def single(item: Item) -> None: ...

    def several(item: Item, n: Annotated[int, pf.Body()]) -> None: ...

    def form(user: Annotated[str, pf.Form()], f: Annotated[bytes, pf.File()]) -> None: ...

    _, body, embed = build_route_dependant(path="/", call=single)
    assert not embed and not should_embed_body_fields(body)
    d, body, embed = build_route_dependant(path="/", call=several)
    assert embed
    field = get_body_field(flat_dependant=get_flat_dependant(d), name="several", embed_body_fields=embed)
    assert field is not None and getattr(field.field_info.annotation, "__name__", None) == "Body_several"
    assert not is_form_body(field)
    d, body, embed = build_route_dependant(path="/", call=form)
    field = get_body_field(body_params=body, name="form", embed_body_fields=embed)
    assert is_form_body(field) and field is not None
    assert isinstance(field.field_info, params.Body)
    assert field.field_info.media_type == "multipart/form-data"


def test_flat_params_expand_grouped_models_once_per_dependency() -> None:
    def dep(f: Annotated[Filters, pf.Query()], x: Annotated[str, pf.Header()] = "") -> None: ...

    def endpoint(a: None = pf.Depends(dep), b: None = pf.Depends(dep), q: int = 0) -> None: ...

    d, _, _ = build_route_dependant(path="/", call=endpoint, dependencies=[pf.Depends(dep)])
    assert names(get_flat_params(d)) == ["q", "limit", "x"]
