"""JSON text a client can always be sent, for values that came from the client.

`json.loads` (and so FastAPI, and ferroapi's body decoder) accepts a JSON string holding a lone UTF-16
surrogate (`"\\ud800"`), and accepts `NaN`, `Infinity` and numbers too large for a float (`1e999`). Such
values reach endpoints and validation errors as Python `str`s with a surrogate code point and as
non-finite floats, and the strict rendering of a response cannot write either: a surrogate has no
UTF-8 form (pydantic-core's JSON writer and `str.encode("utf-8")` refuse it) and JSON has no NaN. In
FastAPI each is a 500 when the value is echoed back.

Here a lone surrogate is written as the `\\uXXXX` escape it arrived as (what `json.dumps` writes by
default): the text is valid JSON and decodes to the same string. A non-finite float is written as
null, as pydantic's JSON serializer (and FastAPI's untyped stream items) write it. Both only apply
where the normal rendering failed: any other response keeps its exact bytes.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticSerializationError

__all__ = [
    "dump_json_fallback",
    "escape_surrogates",
    "finite",
    "is_surrogate_error",
    "model_json",
    "to_json_escaping",
    "tolerant_json",
    "utf8",
]

# Surrogate code points: in JSON text made by an encoder they can only sit inside string literals
# (everything outside strings is ASCII), where the escape means the same character.
_SURROGATE = re.compile("[\ud800-\udfff]")
_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_surrogates(text: str) -> str:
    """A JSON text with each lone surrogate written as its `\\uXXXX` escape."""
    return _SURROGATE.sub(_escape, text)


def utf8(text: str) -> bytes:
    """`text` as UTF-8, each lone surrogate of a JSON text written as its `\\uXXXX` escape."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass  # not handled in the except block: nothing here is "during handling" of this error
    return escape_surrogates(text).encode("utf-8")


def finite(data: Any) -> Any:
    """JSON data with each non-finite float (JSON has no NaN or Infinity) replaced by None."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [finite(value) for value in data]
    return data


def tolerant_json(data: Any) -> bytes:
    """Compact JSON of JSON data (what `JSONResponse` renders), non-finite floats as null and lone
    surrogates escaped."""
    return utf8(_COMPACT(finite(data)))


def model_json(model: Any) -> str:
    """`model.model_dump_json()`, with a lone surrogate written as its escape instead of failing."""
    try:
        text: str = model.model_dump_json()
    except PydanticSerializationError as exc:
        if not is_surrogate_error(exc):
            raise
    else:
        return text
    return escape_surrogates(_COMPACT(finite(model.model_dump(mode="json"))))


def is_surrogate_error(exc: PydanticSerializationError) -> bool:
    """Whether pydantic-core's JSON writer failed on a lone surrogate (it has no UTF-8 form)."""
    # pydantic-core reports the UnicodeEncodeError only in its message (no __cause__).
    return "surrogates not allowed" in str(exc)


def to_json_escaping(
    to_json: Callable[..., bytes], to_python: Callable[..., Any], value: Any, options: dict[str, Any]
) -> bytes:
    """`to_json(value, **options)` (pydantic-core's writer), with a lone surrogate written as its escape
    instead of failing. (Per-request and per-item paths keep the `try` inline: one frame less.)"""
    try:
        return to_json(value, **options)
    except PydanticSerializationError as exc:
        if not is_surrogate_error(exc):
            raise
    return dump_json_fallback(to_python, value, options)


def dump_json_fallback(to_python: Callable[..., Any], value: Any, options: dict[str, Any]) -> bytes:
    """What pydantic-core's `to_json` writes, for a value holding a lone surrogate.

    The value is dumped to JSON data by the same serializer (`to_python(mode="json")`, with the same
    include/exclude/alias options) and written here. Non-finite floats become null, pydantic's default
    (`ser_json_inf_nan="null"`); a model configured to write them as constants gets null in this
    fallback too.
    """
    return tolerant_json(to_python(value, mode="json", **options))
