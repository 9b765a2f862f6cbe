"""Dependency analysis, done once per route: which parameter comes from where, and the graph of
sub-dependencies with their flags, scopes and cache keys.

The rules are FastAPI's: a name in the path template is a path parameter; a scalar is a query
parameter, a sequence of scalars a repeated query parameter; a model (or any other complex type) is
the body; `Query()/Header()/Cookie()` over a model groups several parameters; Request, Response,
BackgroundTasks, SecurityScopes... are injected; `Depends`/`Security` are sub-dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from ferroapi import params
from ferroapi._compat.shared import lenient_issubclass
from ferroapi._fields import ModelField
from ferroapi._foreign import adopt_declaration

# The whole-graph helpers are part of this module's interface (docs/contracts.md).
from ferroapi.dependencies.flat import (
    get_body_field,
    get_flat_body_params,
    get_flat_dependant,
    get_flat_params,
    is_form_body,
    should_embed_body_fields,
)
from ferroapi.dependencies.lifespan import LIFESPAN, check_lifespan_dependant
from ferroapi.dependencies.models import Dependant, DependencyScope
from ferroapi.dependencies.param import ParamDetails, analyze_param, injected_types
from ferroapi.dependencies.reuse import copy_dependant, current_base
from ferroapi.dependencies.signature import get_typed_signature
from ferroapi.exceptions import DependencyScopeError

__all__ = [
    "ParamDetails",
    "add_non_field_param_to_dependency",
    "add_param_to_fields",
    "analyze_param",
    "build_route_dependant",
    "get_body_field",
    "get_dependant",
    "get_flat_body_params",
    "get_flat_dependant",
    "get_flat_params",
    "get_parameterless_sub_dependant",
    "get_path_param_names",
    "is_form_body",
    "should_embed_body_fields",
]

_PATH_PARAM = re.compile("{(.*?)}")


def get_path_param_names(path: str) -> set[str]:
    return set(_PATH_PARAM.findall(path))


def get_parameterless_sub_dependant(*, depends: params.Depends, path: str) -> Dependant:
    """A dependant for `dependencies=[Depends(...)]` of a route or router: called, value unused."""
    depends = adopt_declaration(depends)
    assert callable(depends.dependency), "A parameter-less dependency must have a callable dependency"
    base = current_base()
    if base is None:
        return _parameterless(depends, path)
    # Building an included route: the route's own dependencies come from the original graph, a
    # router's are analysed once per inclusion (the result only depends on the path's parameters).
    names = frozenset(get_path_param_names(path))
    if names == base.path_param_names:
        own = base.own.get(id(depends))
        if own is not None and own[0] is depends:
            return copy_dependant(own[1], path)
    key = (id(depends), names)
    shared = base.shared.get(key)
    if shared is None or shared[0] is not depends:
        shared = base.shared[key] = (depends, _parameterless(depends, path))
    return copy_dependant(shared[1], path)


def _parameterless(depends: params.Depends, path: str) -> Dependant:
    assert callable(depends.dependency)
    own_scopes = list(depends.scopes or []) if isinstance(depends, params.Security) else []
    return get_dependant(
        path=path,
        call=depends.dependency,
        scope=depends.scope,
        own_oauth_scopes=own_scopes,
        use_cache=depends.use_cache,
        concurrency=depends._concurrency,
    )


def get_dependant(
    *,
    path: str,
    call: Callable[..., Any],
    name: str | None = None,
    own_oauth_scopes: list[str] | None = None,
    parent_oauth_scopes: list[str] | None = None,
    use_cache: bool = True,
    scope: DependencyScope | None = None,
    concurrency: Any = None,
) -> Dependant:
    """Analyse `call` and, recursively, its dependencies."""
    base = current_base()
    if (
        base is not None
        and call is base.call
        and base.dependant is not None
        and scope == "function"
        and name is None
        and own_oauth_scopes is None
        and parent_oauth_scopes is None
        and use_cache
        and concurrency is None
        and frozenset(get_path_param_names(path)) == base.path_param_names
    ):
        # The endpoint of the route being included, for a path with the same parameter names.
        return copy_dependant(base.dependant, path, base.endpoint_dependencies)
    dependant = Dependant(
        call=call,
        name=name,
        path=path,
        use_cache=use_cache,
        scope=scope,
        concurrency=concurrency,
        own_oauth_scopes=own_oauth_scopes,
        parent_oauth_scopes=parent_oauth_scopes,
    )
    current_scopes = (parent_oauth_scopes or []) + (own_oauth_scopes or [])
    path_param_names = get_path_param_names(path)
    for param_name, param in get_typed_signature(call).parameters.items():
        details = analyze_param(
            param_name=param_name,
            annotation=param.annotation,
            value=param.default,
            path_param_names=path_param_names,
        )
        if details.depends is not None:
            _check_scope(dependant, details.depends)
            dependant.dependencies.append(
                _sub_dependant(details.depends, path=path, name=param_name, parent_scopes=current_scopes)
            )
        elif _add_injected_param(param_name, details.type_annotation, dependant):
            assert details.field is None, f"Cannot specify multiple FastAPI annotations for {param_name!r}"
        else:
            assert details.field is not None
            _add_field(details.field, dependant)
    if scope == LIFESPAN:
        check_lifespan_dependant(dependant)
    return dependant


def _sub_dependant(depends: params.Depends, *, path: str, name: str, parent_scopes: list[str]) -> Dependant:
    assert depends.dependency
    own_scopes = list(depends.scopes or []) if isinstance(depends, params.Security) else []
    return get_dependant(
        path=path,
        call=depends.dependency,
        name=name,
        own_oauth_scopes=own_scopes,
        parent_oauth_scopes=parent_scopes,
        use_cache=depends.use_cache,
        scope=depends.scope,
        concurrency=depends._concurrency,
    )


def _check_scope(dependant: Dependant, depends: params.Depends) -> None:
    # A request-scoped yield dependency outlives a function-scoped one: it could not use it safely
    # in its teardown, which runs after the function-scoped one was torn down.
    if dependant.is_yield and dependant.computed_scope == "request" and depends.scope == "function":
        call_name = getattr(dependant.call, "__name__", "<unnamed_callable>")
        raise DependencyScopeError(
            f'The dependency "{call_name}" has a scope of "request", it cannot depend on dependencies '
            'with scope "function".'
        )


def _add_injected_param(param_name: str, annotation: Any, dependant: Dependant) -> bool:
    """Request, WebSocket, Response... parameters: the framework passes its own object."""
    if lenient_issubclass(annotation, Request):
        dependant.request_param_name = param_name
    elif lenient_issubclass(annotation, WebSocket):
        dependant.websocket_param_name = param_name
    elif lenient_issubclass(annotation, HTTPConnection):
        dependant.http_connection_param_name = param_name
    elif lenient_issubclass(annotation, Response):
        dependant.response_param_name = param_name
    elif lenient_issubclass(annotation, StarletteBackgroundTasks):
        dependant.background_tasks_param_name = param_name
    elif lenient_issubclass(annotation, injected_types()[-1]):
        dependant.security_scopes_param_name = param_name
    else:
        return False
    return True


def add_non_field_param_to_dependency(
    *, param_name: str, type_annotation: Any, dependant: Dependant
) -> bool | None:
    """FastAPI's name for recording an injected parameter: True when `type_annotation` is one the
    framework passes (Request, Response...), None otherwise (FastAPI returns no False)."""
    return True if _add_injected_param(param_name, type_annotation, dependant) else None


def _add_field(field: ModelField, dependant: Dependant) -> None:
    if isinstance(field.field_info, params.Body):
        dependant.body_params.append(field)
    else:
        add_param_to_fields(field=field, dependant=dependant)


def add_param_to_fields(*, field: ModelField, dependant: Dependant) -> None:
    """A path, query, header or cookie parameter into the dependant's list for its location."""
    location = getattr(field.field_info, "in_", None)
    if location == params.ParamTypes.path:
        dependant.path_params.append(field)
    elif location == params.ParamTypes.query:
        dependant.query_params.append(field)
    elif location == params.ParamTypes.header:
        dependant.header_params.append(field)
    else:
        assert location == params.ParamTypes.cookie, (
            f"non-body parameters must be in path, query, header or cookie: {field.name}"
        )
        dependant.cookie_params.append(field)


def build_route_dependant(
    *, path: str, call: Callable[..., Any], dependencies: Sequence[params.Depends] = ()
) -> tuple[Dependant, list[ModelField], bool]:
    """A route's dependant: the endpoint (scope "function") with the route's and routers'
    `dependencies=[...]` first; plus its flat body parameters and whether they are embedded.
    """
    dependant = get_dependant(path=path, call=call, scope="function")
    dependant.dependencies[:0] = [get_parameterless_sub_dependant(depends=d, path=path) for d in dependencies]
    body_params = get_flat_body_params(dependant)
    return dependant, body_params, should_embed_body_fields(body_params)


def analyse_override(original: Dependant, override: Callable[..., Any]) -> Dependant:
    """The dependant that runs `override` where `original` was declared.

    Analysed once per place it replaces, then reused by every plan (and overrides version).
    """
    per_original = original.analysed_overrides
    cached = per_original.get(id(override))
    if cached is not None and cached[0] is override:
        return cached[1]
    dependant = get_dependant(
        path=original.path or "",
        call=override,
        name=original.name,
        parent_oauth_scopes=original.oauth_scopes,
        scope=original.scope,
        concurrency=original.concurrency,
    )
    per_original[id(override)] = (override, dependant)
    return dependant
