"""When pydantic-core's JSON-mode validation is FastAPI's `json.loads` + python-mode validation.

FastAPI decodes a JSON body with `json.loads` and validates the resulting Python value. Validating the
raw bytes with `validate_json` is one pass instead of two, but JSON mode is not python mode for every
type: in strict mode JSON accepts strings for dates, UUIDs and enums and arrays for tuples and sets
(python mode wants the instances); `Decimal` reads the number's digits (python mode the float
`json.loads` made); `bytes` follows `val_json_bytes`; `coerce_numbers_to_str` keeps the literal's
spelling; a smart union ranks JSON strings as exact for more types than Python strings; and
`json-or-python` / `lax-or-strict` schemas branch on the mode itself.

`json_mode_matches_python(schema)` accepts only a core schema built from nodes whose lax JSON-mode
validation is the python-mode validation of the decoded value, with no strict flag and no
mode-dependent option anywhere. What it accepts is checked value by value in
tests/unit/test_pipeline_body_json_fast.py. One numeric difference remains for accepted schemas: an
integer literal too large for a float (>= 309 digits) becomes `inf` in JSON mode and a validation
error in python mode; `has_huge_integer` finds such literals in the raw bytes.

`calls_user_code(schema)` tells whether validating may run the app's own code (validator functions,
a model's `__init__` or `model_post_init`, default factories). The one-pass validation reads the body
before the route's dependencies and falls back to the two-pass path on any error: code of the app would
run before a dependency could refuse the request, and twice for an invalid body. FastAPI runs it once,
after the dependencies; a schema that calls such code is validated as FastAPI does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ferroapi._ferroapi import has_digit_run

__all__ = ["calls_user_code", "has_huge_integer", "json_mode_matches_python"]

# Leaf schemas: JSON values map to the same Python values json.loads gives, validated the same way.
_LEAVES = frozenset(
    {"any", "none", "bool", "int", "float", "str", "date", "time", "datetime", "timedelta", "uuid", "url"}
)
# Containers: (key holding one sub-schema, ...) checked recursively.
_WRAPPERS = {
    "list": ("items_schema",),
    "set": ("items_schema",),
    "frozenset": ("items_schema",),
    "dict": ("keys_schema", "values_schema"),
    "nullable": ("schema",),
    "default": ("schema",),
    "model": ("schema",),
    "function-after": ("schema",),
}
# Options whose effect differs between the modes, wherever they appear (node or config).
_MODE_DEPENDENT = ("strict", "coerce_numbers_to_str")
_LITERAL_TYPES = (str, int, type(None))


def json_mode_matches_python(schema: Mapping[str, Any]) -> bool:
    """True when `validate_json(raw)` equals `validate_python(json.loads(raw))` for this schema."""
    definitions: dict[str, Mapping[str, Any]] = {}
    return _check(schema, definitions, set())


def _check(schema: Mapping[str, Any], definitions: dict[str, Mapping[str, Any]], seen: set[str]) -> bool:
    if any(schema.get(option) for option in _MODE_DEPENDENT):
        return False
    config = schema.get("config")
    if config is not None and any(config.get(option) for option in _MODE_DEPENDENT):
        return False
    kind = schema.get("type")
    if kind in _LEAVES:
        return True
    if kind == "literal":
        # bool is an int subclass: Literal[1] vs True is not worth proving equal in both modes.
        return all(type(value) in _LITERAL_TYPES for value in schema.get("expected", ()))
    if kind in _WRAPPERS:
        return all(
            _check(schema[key], definitions, seen) for key in _WRAPPERS[kind] if schema.get(key) is not None
        )
    if kind == "definitions":
        for definition in schema["definitions"]:
            definitions[definition["ref"]] = definition
        return _check(schema["schema"], definitions, seen)
    if kind == "definition-ref":
        ref = schema["schema_ref"]
        if ref in seen:
            return True  # a recursive model: the rest of it is being checked
        target = definitions.get(ref)
        return target is not None and _check(target, definitions, seen | {ref})
    return _check_composite(kind, schema, definitions, seen)


def _check_composite(
    kind: Any, schema: Mapping[str, Any], definitions: dict[str, Mapping[str, Any]], seen: set[str]
) -> bool:
    if kind == "model-fields":
        extras = schema.get("extras_schema")
        return _all_fields(schema["fields"].values(), definitions, seen) and (
            extras is None or _check(extras, definitions, seen)
        )
    if kind == "typed-dict":
        return _all_fields(schema["fields"].values(), definitions, seen)
    if kind == "tuple":
        return all(_check(item, definitions, seen) for item in schema.get("items_schema", ()))
    return False


def _all_fields(
    fields: Iterable[Mapping[str, Any]], definitions: dict[str, Mapping[str, Any]], seen: set[str]
) -> bool:
    return all(_check(field["schema"], definitions, seen) for field in fields)


_FUNCTION_VALIDATORS = frozenset({"function-after", "function-before", "function-wrap", "function-plain"})
# Factories that run nothing of the app's (`Field(default_factory=list)`).
_BUILTIN_FACTORIES: tuple[Any, ...] = (list, dict, set, frozenset, tuple, str, bytes, int, float, bool)
# Keys of a schema node that hold no validation schema: serializers and free-form metadata.
_NOT_VALIDATION = frozenset({"serialization", "metadata"})


def calls_user_code(schema: Mapping[str, Any]) -> bool:
    """Whether validating against `schema` may call the app's code (see the module docstring)."""
    pending: list[Any] = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, list | tuple):
            pending.extend(node)
            continue
        if not isinstance(node, Mapping):
            continue
        kind = node.get("type")
        # Only a schema node has a string "type": a mapping of fields keyed by name (a model with a
        # field called `type`) is walked through, not read as a node.
        if isinstance(kind, str):
            if kind in _FUNCTION_VALIDATORS:
                return True
            if kind in ("model", "dataclass") and (node.get("post_init") or node.get("custom_init")):
                return True
            if kind == "default" and node.get("default_factory") not in (None, *_BUILTIN_FACTORIES):
                return True
        pending.extend(value for key, value in node.items() if key not in _NOT_VALIDATION)
    return False


_HUGE_DIGITS = 309  # float(10**308) is finite, float(10**309) overflows


def has_huge_integer(data: bytes) -> bool:
    """Whether `data` holds a run of 309+ digits: an integer no float can hold (or a long string)."""
    return has_digit_run(data, _HUGE_DIGITS)
