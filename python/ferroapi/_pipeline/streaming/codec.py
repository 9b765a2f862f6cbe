"""Stream items to JSON: validated against the declared item type, serialized by pydantic-core.

The validator and serializer are pydantic-core's compiled objects, called directly (no TypeAdapter
bookkeeping per item). An invalid item raises FastAPI's `ResponseValidationError` with the errors
shaped as the route's `ModelField` reports them (`loc` starting with "response") and the endpoint
context. Untyped items are encoded as FastAPI does (`json.dumps` defaults, non-finite floats as null):
JSON-native values in one C-encoder call, anything else through `jsonable_encoder` first. A lone
surrogate in a typed item is written as its `\\uXXXX` escape, as untyped items (ASCII JSON) write it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticSerializationError, SchemaSerializer, SchemaValidator, ValidationError
from starlette.requests import Request

from ferroapi._pipeline.json_text import dump_json_fallback, finite, is_surrogate_error, to_json_escaping
from ferroapi._pipeline.plan import RoutePlan
from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import ResponseValidationError

__all__ = ["Serialize", "dumps_untyped", "item_serializer"]

Serialize = Callable[[Any], bytes]

_encode_ascii = json.encoder.encode_basestring_ascii


def _reject(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)
# json.dumps' defaults (ASCII, ", " and ": "), but NaN/Infinity refused: such values take the slow path.
_chunks: Callable[[Any, int], Any] | None = (
    _C_ENCODER(None, _reject, _encode_ascii, None, ": ", ", ", False, False, False) if _C_ENCODER else None
)


def dumps_untyped(data: Any) -> str:
    """`json.dumps(jsonable_encoder(data))` with non-finite floats as null, as FastAPI frames items."""
    if _chunks is not None:
        try:
            if isinstance(data, str):
                return str(_encode_ascii(data))
            return "".join(_chunks(data, 0))
        except (TypeError, ValueError):
            pass
    # Non-finite floats become null in untyped stream items (JSON has no NaN), as FastAPI does.
    return json.dumps(finite(jsonable_encoder(data)))


def _untyped(item: Any) -> bytes:
    return dumps_untyped(item).encode("utf-8")


def item_serializer(plan: RoutePlan, request: Request) -> Serialize:
    """`item -> JSON bytes` for one stream of this route."""
    field = plan.stream_item_field
    if field is None:
        return _untyped
    adapter = field.type_adapter
    validator, serializer = adapter.validator, adapter.serializer
    options = plan.dump_options

    def invalid(item: Any) -> ResponseValidationError:
        _, errors = field.validate(item, {}, loc=("response",))  # FastAPI's error shapes
        path = plan.dependant.path or ""
        ctx = plan.site.context(request.method, request.scope.get("root_path", ""), path)
        return ResponseValidationError(errors, body=item, endpoint_ctx=ctx)

    if not isinstance(validator, SchemaValidator) or not isinstance(serializer, SchemaSerializer):
        # Forward references not resolved yet: the ModelField resolves them on first use.
        def through_field(item: Any) -> bytes:
            value, errors = field.validate(item, {}, loc=("response",))
            if errors:
                raise invalid(item)
            return to_json_escaping(field.serialize_json, field.serialize, value, options)

        return through_field

    validate, to_json = validator.validate_python, serializer.to_json

    def compiled(item: Any) -> bytes:
        try:
            value = validate(item, from_attributes=True)
        except ValidationError:
            raise invalid(item) from None
        try:
            return to_json(value, **options)
        except PydanticSerializationError as exc:
            if not is_surrogate_error(exc):
                raise
        return dump_json_fallback(serializer.to_python, value, options)

    return compiled
