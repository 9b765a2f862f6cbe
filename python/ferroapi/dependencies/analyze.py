"""Dependency analysis, done once per route: which parameter comes from where, and the graph of
sub-dependencies with their flags, scopes and cache keys.

The rules are FastAPI's: a name in the path template is a path parameter; a scalar is a query
parameter, a sequence of scalars a repeated query parameter; a model (or any other complex type) is
the body; `Query()/Header()/Cookie()` over a model groups several parameters; Request, Response,
BackgroundTasks, SecurityScopes... are injected; `Depends`/`Security` are sub-dependencies.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from typing_inspection.typing_objects import is_typealiastype

from ferroapi import params
from ferroapi._compat.shared import (
    field_annotation_is_scalar,
    field_annotation_is_scalar_sequence,
    is_uploadfile_or_nonable_uploadfile_annotation,
    is_uploadfile_sequence_annotation,
    lenient_issubclass,
)
from ferroapi._fields import ModelField, create_model_field
from ferroapi.dependencies.body import add_form_union_validators, form_union_models
from ferroapi.dependencies.fieldinfo import ensure_multipart_is_installed, merge_annotated, model_type
from ferroapi.dependencies.models import Dependant, SecurityRequirement
from ferroapi.dependencies.signature import (
    get_typed_signature,
    is_async_gen_callable,
    is_coroutine_callable,
    is_gen_callable,
    unwrap_call,
)
from ferroapi.exceptions import DependencyScopeError

__all__ = [
    "ParamDetails",
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
    "refresh",
    "should_embed_body_fields",
]

_PATH_PARAM = re.compile("{(.*?)}")


def get_path_param_names(path: str) -> set[str]:
    return set(_PATH_PARAM.findall(path))


@cache
def _injected_types() -> tuple[type[Any], ...]:
    # Imported late: ferroapi.security imports the parameter functions this package sits beside.
    from ferroapi.security.oauth2 import SecurityScopes

    return (Request, WebSocket, HTTPConnection, Response, StarletteBackgroundTasks, SecurityScopes)


@cache
def _security_base() -> type[Any]:
    from ferroapi.security.base import SecurityBase

    return SecurityBase


@dataclass(slots=True)
class ParamDetails:
    type_annotation: Any
    depends: params.Depends | None
    field: ModelField | None


def get_parameterless_sub_dependant(*, depends: params.Depends, path: str) -> Dependant:
    """A dependant for `dependencies=[Depends(...)]` of a route or router: called, value unused."""
    assert callable(depends.dependency), "A parameter-less dependency must have a callable dependency"
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
    scope: Literal["function", "request"] | None = None,
    concurrency: Any = None,
) -> Dependant:
    """Analyse `call` and, recursively, its dependencies."""
    is_coroutine = is_coroutine_callable(call)
    is_gen = is_gen_callable(call)
    is_async_gen = is_async_gen_callable(call)
    dependant = Dependant(
        call=call,
        name=name,
        path=path,
        use_cache=use_cache,
        scope=scope,
        concurrency=concurrency,
        own_oauth_scopes=own_oauth_scopes,
        parent_oauth_scopes=parent_oauth_scopes,
        is_coroutine=is_coroutine,
        is_gen=is_gen,
        is_async_gen=is_async_gen,
        is_security_scheme=isinstance(unwrap_call(call), _security_base()),
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
    _finish(dependant)
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


def _finish(dependant: Dependant) -> None:
    """Compute what depends on the whole subtree: scopes, cache key, security requirements."""
    scopes = list(dependant.parent_oauth_scopes or [])
    scopes.extend(s for s in dependant.own_oauth_scopes or [] if s not in scopes)
    dependant.oauth_scopes = scopes
    dependant.uses_scopes = bool(
        dependant.own_oauth_scopes
        or dependant.security_scopes_param_name is not None
        or dependant.is_security_scheme
        or any(sub.uses_scopes for sub in dependant.dependencies)
    )
    cache_scopes = tuple(sorted(set(scopes))) if dependant.uses_scopes else ()
    dependant.cache_key = (dependant.call, cache_scopes, dependant.computed_scope or "")
    dependant.security_requirements = [
        SecurityRequirement(unwrap_call(sub.call), sub.oauth_scopes)
        for sub in dependant.dependencies
        if sub.is_security_scheme
    ]


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
    elif lenient_issubclass(annotation, _injected_types()[-1]):
        dependant.security_scopes_param_name = param_name
    else:
        return False
    return True


def _add_field(field: ModelField, dependant: Dependant) -> None:
    info = field.field_info
    if isinstance(info, params.Body):
        dependant.body_params.append(field)
        return
    location = getattr(info, "in_", None)
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


# --- one parameter -------------------------------------------------------------------------------


def _declaration_in_annotated(annotation: Any) -> FieldInfo | params.Depends | None:
    """The last ferroapi declaration (Query(), Body(), Depends()...) inside `Annotated[...]`."""
    found = [
        arg
        for arg in get_args(annotation)[1:]
        if isinstance(arg, (params.Param, params.Body, params.Depends))
    ]
    return found[-1] if found else None


def _annotated_field_info(
    declared: FieldInfo, annotation: Any, value: Any, *, param_name: str, is_path: bool
) -> FieldInfo:
    field_info = merge_annotated(declared, annotation)
    assert field_info.default in (PydanticUndefined, Ellipsis), (
        f"`{field_info.__class__.__name__}` default value cannot be set in"
        f" `Annotated` for {param_name!r}. Set the default value with `=` instead."
    )
    if value is not inspect.Signature.empty:
        assert not is_path, "Path parameters cannot have default values"
        field_info.default = value
    else:
        field_info.default = PydanticUndefined
    return field_info


def analyze_param(
    *, param_name: str, annotation: Any, value: Any, path_param_names: set[str]
) -> ParamDetails:
    """Classify one signature parameter: a dependency, an injected object, or a validated field."""
    is_path = param_name in path_param_names
    if is_typealiastype(annotation):
        annotation = annotation.__value__  # PEP 695 `type X = ...`
    use_annotation: Any = Any if annotation is inspect.Signature.empty else annotation
    type_annotation = use_annotation
    field_info: FieldInfo | None = None
    depends: params.Depends | None = None
    if get_origin(use_annotation) is Annotated:
        type_annotation = get_args(use_annotation)[0]
        declared = _declaration_in_annotated(use_annotation)
        if isinstance(declared, FieldInfo):
            field_info = _annotated_field_info(
                declared, use_annotation, value, param_name=param_name, is_path=is_path
            )
        elif isinstance(declared, params.Depends):
            depends = declared
    if isinstance(value, params.Depends):
        assert depends is None, (
            f"Cannot specify `Depends` in `Annotated` and default value together for {param_name!r}"
        )
        assert field_info is None, (
            "Cannot specify a FastAPI annotation in `Annotated` and `Depends` as a"
            f" default value together for {param_name!r}"
        )
        depends = value
    elif isinstance(value, FieldInfo):
        assert field_info is None, (
            f"Cannot specify FastAPI annotations in `Annotated` and default value together for {param_name!r}"
        )
        # A copy: the same declaration object may be the default of parameters of other functions.
        field_info = copy(value)
        field_info.annotation = type_annotation
    if depends is not None and depends.dependency is None:
        # `x: Annotated[Thing, Depends()]`: the annotation is the dependency.
        depends = dataclasses.replace(depends, dependency=type_annotation)
    if depends is None and lenient_issubclass(type_annotation, _injected_types()):
        assert field_info is None, f"Cannot specify FastAPI annotation for type {type_annotation!r}"
    elif field_info is None and depends is None:
        field_info = _inferred_field_info(use_annotation, type_annotation, value, is_path=is_path)
    field = None
    if field_info is not None:
        field = _make_field(param_name, field_info, use_annotation, path_param_names, is_path=is_path)
    return ParamDetails(type_annotation=type_annotation, depends=depends, field=field)


def _inferred_field_info(
    use_annotation: Any, type_annotation: Any, value: Any, *, is_path: bool
) -> FieldInfo:
    """No explicit declaration: the location follows from the name and the type."""
    default = PydanticUndefined if value is inspect.Signature.empty else value
    field_info: FieldInfo
    if is_path:
        # Not asserting "no default": the same function may serve routes with and without it.
        field_info = params.Path(annotation=use_annotation)
    elif is_uploadfile_or_nonable_uploadfile_annotation(type_annotation) or is_uploadfile_sequence_annotation(
        type_annotation
    ):
        field_info = params.File(default, annotation=use_annotation)
    elif not field_annotation_is_scalar(type_annotation):
        field_info = params.Body(default, annotation=use_annotation)
    else:
        field_info = params.Query(default, annotation=use_annotation)
    if get_origin(use_annotation) is Annotated:
        inferred_default = field_info.default
        field_info = merge_annotated(field_info, use_annotation)
        field_info.default = inferred_default
        if is_path:
            field_info.default_factory = None  # a path value is always present
    return field_info


def _make_field(
    param_name: str, field_info: FieldInfo, use_annotation: Any, path_param_names: set[str], *, is_path: bool
) -> ModelField:
    if is_path:
        assert isinstance(field_info, params.Path), (
            f"Cannot use `{field_info.__class__.__name__}` for path param {param_name!r}"
        )
    elif isinstance(field_info, params.Param) and getattr(field_info, "in_", None) is None:
        field_info.in_ = params.ParamTypes.query
    if isinstance(field_info, params.Form):
        ensure_multipart_is_installed()
        if form_union_models(field_info.annotation):
            field_info.annotation = add_form_union_validators(field_info.annotation)
    choices = field_info.validation_alias
    if isinstance(field_info, params.Path) and isinstance(choices, AliasChoices):
        # The route's own name among the choices is the one the router fills in.
        picked = next((c for c in choices.choices if isinstance(c, str) and c in path_param_names), None)
        if picked is not None and all(isinstance(c, str) for c in choices.choices):
            field_info = copy(field_info)
            field_info.validation_alias = picked
    if not field_info.alias and getattr(field_info, "convert_underscores", None):
        alias = param_name.replace("_", "-")
    else:
        alias = field_info.alias or param_name
    field_info.alias = alias
    field = create_model_field(
        param_name, use_annotation, field_info=field_info, alias=alias, default=field_info.default
    )
    if is_path:
        assert _is_scalar_field(field), "Path params must be of one of the supported types"
    elif isinstance(field_info, params.Query):
        annotation = field_info.annotation
        assert (
            _is_scalar_field(field)
            or field_annotation_is_scalar_sequence(annotation)
            or model_type(annotation) is not None
        ), f"Query parameter {param_name!r} must be one of the supported types"
    return field


def _is_scalar_field(field: ModelField) -> bool:
    return field_annotation_is_scalar(field.field_info.annotation) and not isinstance(
        field.field_info, params.Body
    )


def refresh(dependant: Dependant) -> None:
    """Recompute what depends on the subtree after `dependencies` was changed in place."""
    _finish(dependant)


def build_route_dependant(
    *, path: str, call: Callable[..., Any], dependencies: Sequence[params.Depends] = ()
) -> tuple[Dependant, list[ModelField], bool]:
    """A route's dependant: the endpoint (scope "function") with the route's and routers'
    `dependencies=[...]` first; plus its flat body parameters and whether they are embedded.
    """
    dependant = get_dependant(path=path, call=call, scope="function")
    dependant.dependencies[:0] = [get_parameterless_sub_dependant(depends=d, path=path) for d in dependencies]
    _finish(dependant)
    body_params = get_flat_body_params(dependant)
    return dependant, body_params, should_embed_body_fields(body_params)


# The whole-graph helpers are part of this module's interface (docs/contracts.md).
from ferroapi.dependencies.flat import (  # noqa: E402
    get_body_field,
    get_flat_body_params,
    get_flat_dependant,
    get_flat_params,
    is_form_body,
    should_embed_body_fields,
)
