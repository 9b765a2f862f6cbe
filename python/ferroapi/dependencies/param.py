"""One signature parameter, classified: a dependency (`Depends`), an object the framework injects
(Request, Response, BackgroundTasks...), or a validated field (path, query, header, cookie, body,
form, file) with its declaration merged from `Annotated[...]`, the default and the inferred location.
"""

from __future__ import annotations

import dataclasses
import inspect
from copy import copy
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, get_args, get_origin

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
from ferroapi._foreign import adopt_declaration
from ferroapi.dependencies.body import add_form_union_validators, form_union_models
from ferroapi.dependencies.fieldinfo import ensure_multipart_is_installed, merge_annotated, model_type

__all__ = ["ParamDetails", "analyze_param", "injected_types"]


@cache
def injected_types() -> tuple[type[Any], ...]:
    # Imported on first use: the security package loads the OpenAPI models, a start-up cost.
    from ferroapi.security.oauth2 import SecurityScopes

    return (Request, WebSocket, HTTPConnection, Response, StarletteBackgroundTasks, SecurityScopes)


@dataclass(slots=True)
class ParamDetails:
    type_annotation: Any
    depends: params.Depends | None
    field: ModelField | None


def _declaration_in_annotated(annotation: Any) -> FieldInfo | params.Depends | None:
    """The last ferroapi declaration (Query(), Body(), Depends()...) inside `Annotated[...]`."""
    found = [
        arg
        for arg in map(adopt_declaration, get_args(annotation)[1:])
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
    value = adopt_declaration(value)  # a real-FastAPI `Depends()`/`Query()` means the same here
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
    if depends is None and lenient_issubclass(type_annotation, injected_types()):
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
