"""`ModelField`: one declared value (a parameter, a body, a response) and its compiled validator.

The pydantic `TypeAdapter` is built once, when the route is registered; a request only calls its
validator. Adapters of identical declarations (`q: int = 0` in fifty routes) are shared.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import (
    ConfigDict,
    Field,
    PydanticSchemaGenerationError,
    PydanticUserError,
    TypeAdapter,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic.main import IncEx
from pydantic.warnings import UnsupportedFieldAttributeWarning
from pydantic_core import PydanticUndefined, SchemaSerializer, SchemaValidator

from ferroapi._compat.shared import annotation_is_pydantic_v1, field_annotation_is_sequence
from ferroapi.exceptions import FerroAPIError, PydanticV1NotSupportedError

__all__ = [
    "LARGE_DOCUMENT_BYTES",
    "MAX_REPORTED_ERRORS",
    "ModelField",
    "create_model_field",
    "field_errors",
    "missing_field_error",
    "prefix_errors",
]

Mode = Literal["validation", "serialization"]

# FieldInfo attributes that a TypeAdapter built from `Annotated[type, Field(...)]` carries over.
_ADAPTER_ATTRIBUTES = (
    "default", "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias",
    "title", "field_title_generator", "description", "examples", "exclude", "exclude_if",
    "discriminator", "deprecated", "json_schema_extra", "frozen", "validate_default", "repr", "init",
    "init_var", "kw_only",
)  # fmt: skip

# Annotated subscripted with a runtime tuple (not a type expression mypy could check).
_ANNOTATED: Any = Annotated
_ADAPTERS: dict[Hashable, TypeAdapter[Any]] = {}
_ADAPTER_CACHE_LIMIT = 4096
# A JSON body this large holds many distinct values: `try_validate_json` stops caching strings, and
# the pipeline pauses the cyclic GC while the body's objects live (`_gc_pause.py`).
LARGE_DOCUMENT_BYTES = 64 * 1024


def missing_field_error(loc: tuple[int | str, ...]) -> dict[str, Any]:
    """The error of a required value that was not sent, as FastAPI reports it (`input` is None)."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def prefix_errors(errors: Sequence[Any], loc: tuple[int | str, ...]) -> list[dict[str, Any]]:
    # `{**err, "loc": ...}` keeps the key order pydantic produced (type, loc, msg, input, ctx).
    return [{**error, "loc": loc + tuple(error.get("loc", ()))} for error in errors]


# The errors one value reports at most. A body of a million wrong items would otherwise make a million
# error dicts go through `jsonable_encoder` and into a 130 MB 422 (38 s of CPU). Far above what a
# normal request produces, so those get every error, as in FastAPI.
MAX_REPORTED_ERRORS = 1000


def field_errors(exc: ValidationError, loc: tuple[int | str, ...]) -> list[dict[str, Any]]:
    """`exc`'s errors with `loc` prefixed: the first `MAX_REPORTED_ERRORS`, then one that says how many
    there were in all.

    pydantic-core cannot stop collecting after N errors (`fail_fast` stops at the first) nor list only
    some: its whole list is built, and everything after it (prefixing, encoding, the response) is
    bounded here.
    """
    errors = exc.errors(include_url=False)
    total = len(errors)
    if total <= MAX_REPORTED_ERRORS:
        return prefix_errors(errors, loc)
    del errors[MAX_REPORTED_ERRORS:]  # frees the rest before the prefixed copies are made
    capped = prefix_errors(errors, loc)
    capped.append(too_many_errors(loc, total))
    return capped


def too_many_errors(loc: tuple[int | str, ...], total: int) -> dict[str, Any]:
    """The last entry of a capped error list (the shape of a validation error, so clients that list
    `detail` show it)."""
    return {
        "type": "too_many_errors",
        "loc": loc,
        "msg": f"Too many errors: {total} in all, only the first {MAX_REPORTED_ERRORS} are listed",
        "input": None,
        "ctx": {"error_count": total, "listed": MAX_REPORTED_ERRORS},
    }


def _field_attributes(field_info: FieldInfo) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name in _ADAPTER_ATTRIBUTES:
        value = getattr(field_info, name, PydanticUndefined)
        if value is not PydanticUndefined:
            attributes[name] = value
    return attributes


def _adapter_key(field_info: FieldInfo, attributes: dict[str, Any], config: Any) -> Hashable | None:
    """A key for sharing adapters, or None when a part of the declaration is not hashable."""
    if config is not None:
        return None
    # The value's type is part of the key: 0, 0.0 and False are equal and hash alike.
    items = tuple((name, type(value), value) for name, value in attributes.items())
    key = (field_info.annotation, tuple(field_info.metadata), items)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _new_adapter(field_info: FieldInfo, config: ConfigDict | None) -> TypeAdapter[Any]:
    # Field-only options (alias, default) mean nothing to a bare TypeAdapter and pydantic warns about
    # them; they are carried for the JSON Schema, which reads them from the core schema metadata.
    attributes = _field_attributes(field_info)
    annotated = _ANNOTATED[tuple([field_info.annotation, *field_info.metadata, Field(**attributes)])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
        return TypeAdapter(cast(Any, annotated), config=config)


def _build_adapter(field_info: FieldInfo, config: ConfigDict | None) -> TypeAdapter[Any]:
    key = _adapter_key(field_info, _field_attributes(field_info), config)
    if key is not None and (cached := _ADAPTERS.get(key)) is not None:
        return cached
    adapter = _new_adapter(field_info, config)
    if key is not None and len(_ADAPTERS) < _ADAPTER_CACHE_LIMIT:
        _ADAPTERS[key] = adapter
    return adapter


def _large_document_validator(field_info: FieldInfo, config: ConfigDict | None) -> Any:
    """`validate_json` for large documents, or None when the field's own one must be used.

    The same validation, with pydantic-core's string cache limited to object keys. The cache
    (16k entries, process-wide) pays off for strings that repeat across documents; the values of
    large bodies are mostly distinct (names, ids, emails): each costs a hash and a cache write, and
    a 1 MB body evicts the whole table. Measured on a 1 MB list of models with a different body per
    request: ~12% less time. Only for fields without a config of their own (pydantic refuses a
    config for a model type, which carries its own).
    """
    if config is not None:
        return None
    try:
        adapter = _new_adapter(field_info, ConfigDict(cache_strings="keys"))
    except PydanticUserError:
        return None  # "cannot use config with a BaseModel": a model type brings its own config
    validator = adapter.validator
    return validator.validate_json if isinstance(validator, SchemaValidator) else None


@dataclass(eq=False, repr=False)
class ModelField:
    """A named, declared value with its validator and serializer built once.

    A dataclass of FastAPI's four fields, as FastAPI's `ModelField` is (`dataclasses.replace(field,
    mode=...)` rebuilds the validator; other attributes may be set on it). Each field is its own
    identity (equality and hash), which the OpenAPI generator's field -> schema mapping relies on.
    """

    field_info: FieldInfo
    name: str
    mode: Mode = "validation"
    config: ConfigDict | None = None

    def __post_init__(self) -> None:
        self._type_adapter: TypeAdapter[Any] = _build_adapter(self.field_info, self.config)
        validator = self._type_adapter.validator
        # The compiled validator's bound method skips TypeAdapter's per-call bookkeeping. A type
        # with unresolved forward references has no validator yet: go through the adapter, which
        # resolves them (or explains what is missing) on first use, as FastAPI does.
        self._validate: Any = (
            validator.validate_python
            if isinstance(validator, SchemaValidator)
            else self._type_adapter.validate_python
        )
        self._validate_json: Any = (
            validator.validate_json
            if isinstance(validator, SchemaValidator)
            else self._type_adapter.validate_json
        )
        self._validate_large_json: Any = None  # built on the first large document
        self.is_sequence = field_annotation_is_sequence(self.field_info.annotation)

    # --- declaration ------------------------------------------------------------------------------
    @property
    def alias(self) -> str:
        alias = self.field_info.alias
        return alias if alias is not None else self.name

    @property
    def validation_alias(self) -> str | None:
        alias = self.field_info.validation_alias
        return alias if isinstance(alias, str) and alias else None

    @property
    def serialization_alias(self) -> str | None:
        return self.field_info.serialization_alias or None

    @property
    def annotation(self) -> Any:
        return self.field_info.annotation

    @property
    def type_(self) -> Any:
        return self.field_info.annotation

    @property
    def required(self) -> bool:
        return self.field_info.is_required()

    @property
    def default(self) -> Any:
        return self.get_default()

    @property
    def type_adapter(self) -> TypeAdapter[Any]:
        return self._type_adapter

    @property
    def core_schema(self) -> Any:
        return self._type_adapter.core_schema

    def get_default(self) -> Any:
        if self.field_info.is_required():
            return PydanticUndefined
        return self.field_info.get_default(call_default_factory=True)

    # --- validation -------------------------------------------------------------------------------
    def validate(
        self, value: Any, values: dict[str, Any] | None = None, *, loc: tuple[int | str, ...] = ()
    ) -> tuple[Any, list[dict[str, Any]]]:
        """Validate a Python value; errors come back with `loc` prefixed, never raised."""
        try:
            return self._validate(value, from_attributes=True), []
        except ValidationError as exc:
            return None, field_errors(exc, loc)

    def python_validator(self) -> Callable[[Any], Any]:
        """`validate` as one C call that raises `ValidationError` (for a caller building its errors)."""
        return functools.partial(self._validate, from_attributes=True)

    def validate_json(
        self, data: bytes | str, *, loc: tuple[int | str, ...] = ()
    ) -> tuple[Any, list[dict[str, Any]]]:
        """Parse and validate raw JSON in one pass."""
        try:
            return self._type_adapter.validate_json(data), []
        except ValidationError as exc:
            return None, field_errors(exc, loc)

    def try_validate_json(self, data: bytes) -> Any:
        """`data` parsed and validated in one pass, or PydanticUndefined (no error list is built).

        Any failure gives Undefined, also an exception a user validator raised: the caller's
        two-pass path then raises it where FastAPI would (while solving, not while reading the body).
        """
        validate = self._validate_json
        if len(data) >= LARGE_DOCUMENT_BYTES:
            validate = self._validate_large_json
            if validate is None:
                validate = _large_document_validator(self.field_info, self.config) or self._validate_json
                self._validate_large_json = validate
        try:
            return validate(data)
        except Exception:
            return PydanticUndefined

    # --- serialization ----------------------------------------------------------------------------
    def serialize(
        self,
        value: Any,
        *,
        mode: Literal["json", "python"] = "json",
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        by_alias: bool = True,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
    ) -> Any:
        return self._type_adapter.dump_python(
            value,
            mode=mode,
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    def serialize_json(
        self,
        value: Any,
        *,
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        by_alias: bool = True,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
    ) -> bytes:
        return self._type_adapter.dump_json(
            value,
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )

    def json_serializer(self, **options: Any) -> Callable[[Any], bytes]:
        """`serialize_json` with `options` bound: one C call per value once the schema is built."""
        serializer = self._type_adapter.serializer
        if isinstance(serializer, SchemaSerializer):
            return functools.partial(serializer.to_json, **options)
        return functools.partial(self.serialize_json, **options)  # forward references: resolved later

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return (
            f"ModelField(name={self.name!r}, annotation={self.field_info.annotation!r}, mode={self.mode!r})"
        )


# FastAPI's message for a type pydantic cannot build a field of (`{type_}` is filled in).
_invalid_args_message = (
    "Invalid args for response field! Hint: check that {type_} is a valid Pydantic field type. If you are "
    "using a return type annotation that is not a valid Pydantic field (e.g. Union[Response, dict, None]) "
    "you can disable generating the response model from the type annotation with the path operation "
    "decorator parameter response_model=None. Read more: https://fastapi.tiangolo.com/tutorial/response-model/"
)


def create_model_field(
    name: str,
    type_: Any,
    default: Any | None = PydanticUndefined,
    field_info: FieldInfo | None = None,
    alias: str | None = None,
    mode: Mode = "validation",
    *,
    config: ConfigDict | None = None,
) -> ModelField:
    """A `ModelField` for `type_` (FastAPI's `fastapi.utils.create_model_field`, plus `config`); a type
    pydantic cannot handle is a FerroAPIError naming it."""
    if annotation_is_pydantic_v1(type_):
        raise PydanticV1NotSupportedError(
            "pydantic.v1 models are no longer supported by FastAPI."
            f" Please update the response model {type_!r}."
        )
    field_info = field_info or FieldInfo(annotation=type_, default=default, alias=alias)
    try:
        return ModelField(field_info, name, mode, config)
    except PydanticSchemaGenerationError:
        raise FerroAPIError(_invalid_args_message.format(type_=type_)) from None
