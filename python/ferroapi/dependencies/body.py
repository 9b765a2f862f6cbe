"""Validating body parameters from an already decoded body (JSON value or FormData).

One body parameter that is not embedded receives the whole body; several (or `embed=True`) each
read their key of a JSON object. Form fields are read from FormData: repeated keys as lists, empty
strings and empty file inputs as absent, `bytes` files read without moving the file position.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, Tag
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, UploadFile

from ferroapi import _ferroapi, params
from ferroapi._compat.shared import (
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
    is_union,
    lenient_issubclass,
    sequence_annotation_to_type,
    sequence_types,
)
from ferroapi._fields import ModelField, missing_field_error
from ferroapi.dependencies.extract import FieldReader, _extras, lookup, param_aliases
from ferroapi.dependencies.fieldinfo import is_json_field, model_fields, model_type

__all__ = [
    "BodyReader",
    "ValidatedBody",
    "add_form_union_validators",
    "decoded_body",
    "form_model",
    "form_model_supplied",
    "form_models",
    "form_union_models",
    "should_embed_body_fields",
]

Undefined: Any = PydanticUndefined


class ValidatedBody:
    """A JSON body already validated, in one pass from its bytes, against the route's body field.

    Only the reader of that very field takes `value`; anything else (an override declaring another
    body, an error report) sees the decoded JSON, decoded on first use.
    """

    __slots__ = ("_decoded", "field", "raw", "value")

    def __init__(self, field: ModelField, value: Any, raw: bytes) -> None:
        self.field = field
        self.value = value
        self.raw = raw
        self._decoded: Any = Undefined

    def decoded(self) -> Any:
        if self._decoded is Undefined:
            self._decoded = _ferroapi.decode_json(self.raw)
        return self._decoded


def decoded_body(body: Any) -> Any:
    """The body as FastAPI hands it to errors and readers: the decoded JSON, not a ValidatedBody."""
    return body.decoded() if type(body) is ValidatedBody else body


def form_union_models(annotation: Any) -> list[type[BaseModel]]:
    """The models of `A | B (| None)` (each possibly Annotated), when there are at least two."""
    if not is_union(annotation):
        return []
    models: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        if arg is type(None):
            continue
        if get_origin(arg) is Annotated:
            arg = get_args(arg)[0]
        if not lenient_issubclass(arg, BaseModel):
            return []
        models.append(arg)
    return models if len(models) > 1 else []  # `Model | None` is the plain form-model case


def form_models(field: ModelField) -> list[type[BaseModel]]:
    """The model(s) whose fields are the form's fields (`Annotated[Model, Form()]`, or a union)."""
    info = field.field_info
    if not isinstance(info, params.Form) or info.embed or is_json_field(field):
        return []
    model = model_type(info.annotation)
    return [model] if model is not None else form_union_models(info.annotation)


def form_model(field: ModelField) -> type[BaseModel] | None:
    """The one model of a form-model parameter, else None (also for unions)."""
    models = form_models(field)
    return models[0] if len(models) == 1 else None


def add_form_union_validators(annotation: Any) -> Any:
    """Let each branch of a union of form models pick its own fields out of the raw form items."""
    choices: list[Any] = []
    for choice in get_args(annotation):
        if choice is type(None):
            choices.append(choice)
            continue
        model, *metadata = get_args(choice) if get_origin(choice) is Annotated else (choice,)
        # A tag names the branch in errors: keep the user's, else the model name.
        tag = next((m for m in reversed(metadata) if isinstance(m, Tag)), Tag(model.__name__))
        normalize = BeforeValidator(partial(_normalize_form_branch, model=model))
        choices.append(Annotated[choice, normalize, tag])
    return Union[tuple(choices)]  # noqa: UP007  (built at runtime from a tuple)


def _normalize_form_branch(value: Any, *, model: type[BaseModel]) -> Any:
    if not isinstance(value, dict):
        return value
    form = FormData(
        [
            (key, item)
            for key, items in value.items()
            for item in (items if isinstance(items, list) else [items])
        ]
    )
    keys = [_FormKeys(f) for f in model_fields(model)]
    normalized = {alias: item for alias, item, _ in _form_items(keys, form)}
    # None and [] cannot come from a browser form, but a validator upstream may have produced them.
    for key, item in value.items():
        if item is None or (isinstance(item, list) and not item):
            normalized[key] = item
    return normalized


def should_embed_body_fields(fields: list[ModelField]) -> bool:
    """Whether body values are read as keys of the body (True) or the body is the one value."""
    if not fields:
        return False
    # The same parameter declared by several dependencies is still one body value.
    if len({field.name for field in fields}) > 1:
        return True
    first = fields[0]
    first_models = form_models(first)
    if first_models and any(
        not form_models(f) or f.field_info.annotation is not first.field_info.annotation for f in fields[1:]
    ):
        return True
    if getattr(first.field_info, "embed", None):
        return True
    # A lone form field that is not a model is still one key of the form.
    return (
        isinstance(first.field_info, params.Form)
        and not lenient_issubclass(first.field_info.annotation, BaseModel)
        and not first_models
    )


class _FormKeys:
    """How one field is found in FormData."""

    __slots__ = ("aliases", "as_list", "field", "is_sequence", "read_bytes", "read_bytes_list")

    def __init__(self, field: ModelField) -> None:
        self.field = field
        self.aliases = [alias for alias, _ in param_aliases(field)]
        self.is_sequence = field.is_sequence
        self.as_list = field.is_sequence and not is_json_field(field)
        annotation = field.field_info.annotation
        is_file = isinstance(field.field_info, params.File)
        self.read_bytes = is_file and is_bytes_or_nonable_bytes_annotation(annotation)
        self.read_bytes_list = is_file and is_bytes_sequence_annotation(annotation)


class _BodyField(FieldReader):
    __slots__ = ("aliases", "form", "form_models", "loc", "optional_form_model")

    def __init__(self, field: ModelField) -> None:
        super().__init__(field)
        self.aliases = [alias for alias, _ in param_aliases(field)]
        self.loc: tuple[str, ...] = ("body", self.aliases[0])
        self.form_models = form_models(field)
        self.optional_form_model = type(None) in get_args(field.field_info.annotation)
        self.form = _FormKeys(field) if not self.form_models else None


class BodyReader:
    """The body parameters of one dependant."""

    __slots__ = ("fields", "form_fields", "model_keys", "single")

    def __init__(self, fields: list[ModelField]) -> None:
        self.fields = [_BodyField(field) for field in fields]
        # One parameter receiving the whole body, unless the route embeds (decided per request).
        self.single = len(fields) == 1 and not should_embed_body_fields(fields) and not form_models(fields[0])
        self.form_fields = [f.form for f in self.fields if f.form is not None]
        # A single form model's own fields; a union's branches pick theirs in their validators.
        self.model_keys = {
            id(f): [_FormKeys(mf) for mf in model_fields(f.form_models[0])] if len(f.form_models) == 1 else []
            for f in self.fields
            if f.form_models
        }

    def read_json(self, body: Any, embed: bool, values: dict[str, Any], errors: list[Any]) -> bool:
        if type(body) is ValidatedBody:
            first = self.fields[0]
            if self.single and not embed and body.field is first.field:
                values[first.name] = body.value
                return True
            body = body.decoded()
        start = len(errors)
        if self.single and not embed:
            first = self.fields[0]
            values[first.name] = first.finish(body, ("body",), errors)
            return len(errors) == start
        for field in self.fields:
            value, loc = Undefined, field.loc
            if body is not Undefined and not isinstance(body, bytes):
                try:
                    for alias in field.aliases:
                        value = body.get(alias, Undefined)
                        if value is not Undefined:
                            loc = ("body", alias)
                            break
                except AttributeError:
                    # Embedded values need a JSON object: a list, a scalar or null has none of them.
                    errors.append(missing_field_error(loc))
                    continue
            self._finish(field, value, loc, values, errors)
        return len(errors) == start

    async def read_form(self, form: FormData, embed: bool, values: dict[str, Any], errors: list[Any]) -> bool:
        start = len(errors)
        extracted: dict[str, Any] = {}
        chosen: dict[str, tuple[str, Any]] = {}
        if self.form_fields:
            async for key, item, keys in _read_form(self.form_fields, form):
                extracted[key] = item
                if keys is not None:
                    chosen[keys.field.name] = (key, item)
        if self.single and not embed:
            first = self.fields[0]
            values[first.name] = first.finish(extracted, ("body",), errors)
            return len(errors) == start
        for field in self.fields:
            if field.form_models:
                value = await self._form_model_value(field, form)
                loc: tuple[str, ...] = ("body",)
            else:
                alias, found = chosen.get(field.name, (field.aliases[0], Undefined))
                value, loc = found, ("body", alias)
            self._finish(field, value, loc, values, errors)
        return len(errors) == start

    @staticmethod
    def _finish(
        field: _BodyField, value: Any, loc: tuple[str, ...], values: dict[str, Any], errors: list[Any]
    ) -> None:
        before = len(errors)
        result = field.finish(value, loc, errors)
        if len(errors) == before:
            values[field.name] = result

    async def _form_model_value(self, field: _BodyField, form: FormData) -> Any:
        keys = self.model_keys[id(field)]
        if field.optional_form_model and not _form_model_supplied(field, form):
            return Undefined
        return {alias: value async for alias, value, _ in _read_form(keys, form)}


def _form_model_supplied(field: _BodyField, form: FormData) -> bool:
    """Whether anything of one of the models was sent (checked on raw keys, empty values count)."""
    return any(form_model_supplied(model, form) for model in field.form_models)


def form_model_supplied(model: type[BaseModel], form: FormData) -> bool:
    """Whether the form holds a key of `model` (or any key, when the model's `extra` claims them)."""
    names = {alias for f in model_fields(model) for alias, _ in param_aliases(f)}
    strict_extra = model.model_config.get("extra") in ("allow", "forbid")
    return bool(names.intersection(form) or (strict_extra and form))


def _form_items(fields: list[_FormKeys], form: FormData) -> Iterator[tuple[str, Any, _FormKeys | None]]:
    claimed: set[str] = set()
    for keys in fields:
        for alias in keys.aliases:
            claimed.add(alias)
            value = lookup(form, alias, as_list=keys.as_list, is_sequence=keys.is_sequence, is_form=True)
            if value is not Undefined:
                yield alias, value, keys
                break  # later aliases stay available to other fields or as extras
    for key, value in _extras(form, claimed):
        yield key, value, None


async def _read_form(fields: list[_FormKeys], form: FormData) -> Any:
    """Form items with `bytes` files read into bytes (an async generator)."""
    for alias, value, keys in _form_items(fields, form):
        if keys is not None and keys.read_bytes and isinstance(value, UploadFile):
            value = await read_upload(value)
        elif keys is not None and keys.read_bytes_list and isinstance(value, sequence_types):
            read = [await read_upload(item) if isinstance(item, UploadFile) else item for item in value]
            value = _rebuild_sequence(keys.field, read)
        yield alias, value, keys


async def read_upload(file: UploadFile) -> bytes:
    # Another parameter may read the same upload: leave the position where it was.
    position = file.file.tell()
    try:
        return await file.read()
    finally:
        await file.seek(position)


def _rebuild_sequence(field: ModelField, items: list[Any]) -> Any:
    annotation = field.field_info.annotation
    for arg in (annotation, *get_args(annotation)):
        origin = getattr(arg, "__origin__", None) or arg
        if origin in sequence_annotation_to_type:
            return sequence_annotation_to_type[origin](items)
    return items
