"""Reading path, query, header and cookie parameters out of a request, and validating them.

Everything a request does not change (which key to look up, whether to read every repeated value,
the error location, whether the default needs copying) is decided when the reader is built, at
registration; `read` only looks up, validates and records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from copy import deepcopy
from enum import Enum
from typing import Any, cast

from pydantic import AliasChoices, AliasPath, BaseModel, ValidationError
from pydantic_core import PydanticUndefined
from starlette.datastructures import Headers, ImmutableMultiDict, QueryParams, UploadFile

from ferroapi import params
from ferroapi._fields import ModelField, field_errors, missing_field_error
from ferroapi.dependencies.fieldinfo import is_json_field, model_fields, param_model

__all__ = ["FieldReader", "ModelReader", "ParamReader", "lookup", "make_param_reader", "param_aliases"]

Undefined: Any = PydanticUndefined
# Defaults of these types are never mutated in place: handing out the same object is safe.
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, frozenset, Enum)


class FieldReader:
    """Validation of one field once its raw value was found (or not): defaults, missing errors."""

    __slots__ = ("copy_default", "default", "field", "has_factory", "name", "required", "validate_default")

    def __init__(self, field: ModelField) -> None:
        info = field.field_info
        self.field = field
        self.name = field.name
        self.required = info.is_required()
        self.has_factory = info.default_factory is not None
        self.default = None if self.required or self.has_factory else info.default
        self.copy_default = not isinstance(self.default, _IMMUTABLE) or (
            isinstance(self.default, tuple) and any(not isinstance(v, _IMMUTABLE) for v in self.default)
        )
        self.validate_default = bool(info.validate_default)

    def finish(self, value: Any, loc: tuple[int | str, ...], errors: list[Any]) -> Any:
        """The validated value (the default when `value` is Undefined); failures go to `errors`."""
        if value is Undefined:
            if self.required:
                errors.append(missing_field_error(loc))
                return None
            if self.has_factory:
                value = deepcopy(self.field.get_default())
            else:
                value = deepcopy(self.default) if self.copy_default else self.default
            if not self.validate_default:
                return value
        result, field_errors = self.field.validate(value, loc=loc)
        if field_errors:
            errors.extend(field_errors)
        return result


def param_aliases(field: ModelField, *, convert_underscores: bool = False) -> list[tuple[str, str]]:
    """(validation alias, request key) pairs in the order they are tried."""
    alias = field.validation_alias or field.alias
    request_key = alias.replace("_", "-") if convert_underscores and alias == field.name else alias
    validation_alias = field.field_info.validation_alias
    if isinstance(field.field_info, params.Path) or isinstance(validation_alias, AliasPath):
        return [(alias, request_key)]
    pairs = [(alias, request_key)]
    if isinstance(validation_alias, AliasChoices):
        if any(isinstance(choice, AliasPath) for choice in validation_alias.choices):
            return pairs
        # Explicit choices are literal request keys, underscores included.
        pairs = [(choice, choice) for choice in cast(list[str], validation_alias.choices)]
    config = field.config or {}
    by_alias = config.get("validate_by_alias")
    if by_alias is False or config.get("validate_by_name", config.get("populate_by_name", False)):
        name_key = field.name.replace("_", "-") if convert_underscores else field.name
        if by_alias is False:
            return [(field.name, name_key)]
        if field.name not in [a for a, _ in pairs]:
            pairs.append((field.name, name_key))
    return pairs


def lookup(source: Any, key: str, *, as_list: bool, is_sequence: bool, is_form: bool) -> Any:
    """The raw value under `key`, or Undefined when absent (or empty, for lists and form fields)."""
    if as_list:
        value: Any = source.getlist(key)
        if is_form:
            value = [item for item in value if not _is_empty_upload(item)]
    else:
        value = source.get(key)
    if value is None:
        return Undefined
    if is_form and ((isinstance(value, str) and value == "") or _is_empty_upload(value)):
        return Undefined
    if is_sequence and len(value) == 0:
        return Undefined
    return value


def _is_empty_upload(value: Any) -> bool:
    # What a browser sends for a file input left empty.
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


class ParamReader(FieldReader):
    """One path/query/header/cookie parameter."""

    __slots__ = (
        "as_list",
        "header_key",
        "is_sequence",
        "keys",
        "loc",
        "location",
        "multi_key",
        "validate_python",
    )

    def __init__(self, field: ModelField, location: str, *, multidict: bool) -> None:
        super().__init__(field)
        self.location = location
        self.keys = [key for _, key in param_aliases(field)]
        self.loc: tuple[str, ...] = (location, self.keys[0])
        self.is_sequence = field.is_sequence
        self.as_list = multidict and field.is_sequence and not is_json_field(field)
        self.multi_key = len(self.keys) > 1
        self.validate_python = field._validate
        # A single header looked up in starlette's raw header list directly, as `Headers.get` does.
        self.header_key = (
            _raw_header_key(self.keys[0]) if location == "header" and not self.multi_key else None
        )

    def read(self, source: Any, values: dict[str, Any], errors: list[Any]) -> bool:
        # The hot path of every parameter: `lookup` and `finish` inlined for the common cases.
        key = self.keys[0]
        loc = self.loc
        if self.multi_key:
            key = next((k for k in self.keys if k in source), key)
            loc = (self.location, key)
        if self.as_list:
            value = source.getlist(key) or Undefined
        elif self.header_key is not None and type(source) is Headers:
            value = _header_value(source, self.header_key)
            if value is None or (self.is_sequence and len(value) == 0):
                value = Undefined
        else:
            # QueryParams.get is collections.abc's Mapping.get (two Python frames): its dict directly.
            value = (source._dict if type(source) is QueryParams else source).get(key)
            if value is None or (self.is_sequence and len(value) == 0):
                value = Undefined
        if value is Undefined:
            start = len(errors)
            result = self.finish(value, loc, errors)
            if len(errors) > start:
                return False
            values[self.name] = result
            return True
        try:
            values[self.name] = self.validate_python(value, from_attributes=True)
        except ValidationError as exc:
            errors.extend(field_errors(exc, loc))
            return False
        return True


def _raw_header_key(key: str) -> bytes | None:
    try:
        return key.lower().encode("latin-1")
    except UnicodeEncodeError:
        return None  # `Headers.get` raises it per request: left to it


def _header_value(headers: Headers, raw_key: bytes) -> str | None:
    """`headers.get(key)`: the first value sent under `key`, without the Mapping.get frames."""
    for header_key, header_value in headers._list:
        if header_key == raw_key:
            return header_value.decode("latin-1")
    return None


class _ModelFieldKeys:
    __slots__ = ("alias", "as_list", "is_sequence", "pairs")

    def __init__(self, field: ModelField, *, headers: bool, default_convert: bool, multidict: bool) -> None:
        convert = headers and getattr(field.field_info, "convert_underscores", default_convert)
        self.pairs = param_aliases(field, convert_underscores=convert)
        self.alias = self.pairs[0][0]
        self.is_sequence = field.is_sequence
        self.as_list = multidict and field.is_sequence and not is_json_field(field)


class ModelReader(FieldReader):
    """A grouped parameter: a model whose fields are query parameters, headers or cookies."""

    __slots__ = (
        "headers",
        "keys",
        "loc",
        "model",
        "multidict",
        "optional_model",
        "own_names",
        "strict_extra",
    )

    def __init__(self, field: ModelField, model: type[BaseModel], location: str, *, multidict: bool) -> None:
        super().__init__(field)
        self.model = model
        self.headers = location == "header"
        self.multidict = multidict
        self.loc: tuple[str, ...] = (location,)
        default_convert = getattr(field.field_info, "convert_underscores", True)
        self.keys = [
            (
                f,
                _ModelFieldKeys(
                    f, headers=self.headers, default_convert=default_convert, multidict=multidict
                ),
            )
            for f in model_fields(model)
        ]
        self.own_names = {
            name.lower() if self.headers else name for _, keys in self.keys for _, name in keys.pairs
        }
        self.optional_model = field.field_info.annotation is not model
        self.strict_extra = model.model_config.get("extra") in ("allow", "forbid")

    def read(self, source: Any, values: dict[str, Any], errors: list[Any]) -> bool:
        collected, processed, header_keys = self._collect(source)
        collected.update(_extras(source, processed))
        value: Any = collected
        if self.optional_model and not (
            self.own_names.intersection(source) or (self.strict_extra and collected)
        ):
            value = Undefined  # `filters: Filters | None = None` and nothing of it was sent
        start = len(errors)
        result = self.finish(value, self.loc, errors)
        if header_keys and self.model.model_config.get("loc_by_alias", True):
            _relabel_header_errors(errors, start, header_keys)
        if len(errors) > start:
            return False
        values[self.name] = result
        return True

    def _collect(self, source: Any) -> tuple[dict[str, Any], set[str], dict[str, str]]:
        collected: dict[str, Any] = {}
        processed: set[str] = set()
        header_keys: dict[str, str] = {}
        for field, keys in self.keys:
            alias, request_key = next((pair for pair in keys.pairs if pair[1] in source), keys.pairs[0])
            value = lookup(
                source, request_key, as_list=keys.as_list, is_sequence=keys.is_sequence, is_form=False
            )
            if value is not Undefined:
                collected[alias] = value
            if self.headers:
                processed.add(request_key.lower())
                # The unconverted field name must not sneak in as an "extra" header.
                processed.update(a.lower() for a, k in keys.pairs if a != k)
                if alias != request_key:
                    header_keys[field.name] = request_key
            else:
                processed.add(request_key)
        return collected, processed, header_keys


def _relabel_header_errors(errors: list[Any], start: int, header_keys: dict[str, str]) -> None:
    # Report the header a client must send (`x-token`), not the model field name.
    for error in errors[start:]:
        loc = error["loc"]
        if len(loc) > 1 and loc[1] in header_keys:
            error["loc"] = (loc[0], header_keys[loc[1]], *loc[2:])


def _extras(source: Mapping[str, Any], processed: set[str]) -> Iterator[tuple[str, Any]]:
    """Values no model field claimed: the model's `extra` policy decides about them."""
    if isinstance(source, (ImmutableMultiDict, Headers)):
        items = source.multi_items() if isinstance(source, ImmutableMultiDict) else source.items()
        grouped: dict[str, list[Any]] = {}
        for key, value in items:
            if key not in processed:
                grouped.setdefault(key, []).append(value)
        for key, group in grouped.items():
            yield key, group[0] if len(group) == 1 else group
        return
    for key in source:
        if key not in processed:
            yield key, source.get(key)


def make_param_reader(field: ModelField, location: str) -> ParamReader | ModelReader:
    multidict = location in ("query", "header")
    model = param_model(field)
    if model is not None:
        return ModelReader(field, model, location, multidict=multidict)
    return ParamReader(field, location, multidict=multidict)
