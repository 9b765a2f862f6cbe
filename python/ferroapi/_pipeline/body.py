"""Reading the request body: size limit, content-type rules, JSON decoding (native), forms.

Errors are FastAPI's: a JSON syntax error is a 422 `json_invalid` with the character position and the
`json.loads` message; any other decoding failure (too deep, undecodable) is a 400 "There was an error
parsing the body"; a body over the limit is a 413.
"""

from __future__ import annotations

import email.message
import gc
import json
from typing import Any

from pydantic_core import PydanticUndefined
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import ClientDisconnect, Request

from ferroapi import _ferroapi
from ferroapi._compat.json_mode import has_huge_integer
from ferroapi._fields import LARGE_DOCUMENT_BYTES, ModelField
from ferroapi._lifecycle import Lifecycle
from ferroapi._limits.body import defers_to_outer_limit, too_large, warn_default_limit
from ferroapi._limits.forms import request_form_limits
from ferroapi._limits.middleware import limit_error
from ferroapi._pipeline.plan import RoutePlan
from ferroapi.dependencies.body import ValidatedBody
from ferroapi.exceptions import RequestValidationError

__all__ = ["STARLETTE_BODY", "read_body"]

_JSON_TYPES: dict[str, bool] = {}  # content-type header value -> is JSON (bounded memo)
_JSON_TYPES_MAX = 256
_STDLIB_LOADS = json.loads
STARLETTE_BODY = Request.body  # starlette's own reader (a patched one reads through `receive`)
_STARLETTE_JSON = Request.json


def _is_json_content_type(value: str) -> bool:
    known = _JSON_TYPES.get(value)
    if known is not None:
        return known
    message = email.message.Message()
    message["content-type"] = value
    subtype = message.get_content_subtype()
    result = message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )
    if len(_JSON_TYPES) >= _JSON_TYPES_MAX:
        _JSON_TYPES.clear()
    _JSON_TYPES[value] = result
    return result


async def _read_bytes(request: Request, limit: int | None) -> bytes:
    """The whole body, counted against `limit` as it arrives (chunked bodies included)."""
    cached = getattr(request, "_body", None)
    if cached is not None:
        return bytes(cached)
    if getattr(request, "_stream_consumed", False):
        raise RuntimeError("Stream consumed")
    # starlette's Request.stream() without the async generator: the same messages, the same state.
    request._stream_consumed = True
    receive = request.receive
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            total += len(chunk)
            if limit is not None and total > limit:
                warn_default_limit(limit)
                raise too_large()
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            request._is_disconnected = True
            raise ClientDisconnect()
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body  # later `await request.body()` calls (dependencies) get the same bytes
    return body


def _content_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    for key, value in headers:
        if key == b"content-type":
            return value.decode("latin-1")
    return None


def _decode_json(body: bytes) -> Any:
    if json.loads is not _STDLIB_LOADS:
        # The app replaced `json.loads` (FastAPI decodes bodies with it): honour the replacement.
        return json.loads(body)
    try:
        return _ferroapi.decode_json(body)
    except UnicodeDecodeError:
        # json.loads also accepts UTF-16/32 with a BOM; let it decide (and word the error) exactly.
        return json.loads(body)


def _json_error(exc: json.JSONDecodeError, plan: RoutePlan, request: Request) -> RequestValidationError:
    error = {
        "type": "json_invalid",
        "loc": ("body", exc.pos),
        "msg": "JSON decode error",
        "input": {},
        "ctx": {"error": exc.msg},
    }
    ctx = plan.site.context(request.method, request.scope.get("root_path", ""), plan.dependant.path or "")
    return RequestValidationError([error], body=exc.doc, endpoint_ctx=ctx)


def _validate_json(field: ModelField, body: bytes) -> Any:
    """One-pass validation; for a large body, without cyclic-GC passes while its objects are built.

    Normally the request already holds the GC pause (`_gc_pause.py`, see `_json_body`). When it could
    not (no asyncio loop, or the pause is cooling down after its watchdog fired), the GC is paused
    for the validation alone: a JSON document has no reference cycles, yet every ~700 new containers
    would trigger a collection re-scanning the young objects. Left alone when the app disabled the
    GC itself.
    """
    if len(body) < LARGE_DOCUMENT_BYTES or not gc.isenabled():
        return field.try_validate_json(body)
    gc.disable()
    try:
        return field.try_validate_json(body)
    finally:
        gc.enable()


async def read_body(plan: RoutePlan, request: Request, lifecycle: Lifecycle, *, one_pass: bool = True) -> Any:
    """The body handed to dependency solving: form data, decoded JSON, raw bytes, or Undefined (empty).

    With `one_pass`, a body the route validates whole may come back already validated (`ValidatedBody`).
    """
    try:
        if plan.is_form:
            form = await request.form(**request_form_limits(request.scope, plan.form_limits))
            lifecycle.request_stack.push_async_callback(form.close)
            return form
        return await _json_body(plan, request, lifecycle, one_pass)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, plan, request) from exc
    except HTTPException:
        raise
    except Exception as exc:
        # A body limiter's 413 raised through middleware task groups (BaseHTTPMiddleware) arrives
        # wrapped: it stays a 413, not a parsing error.
        error = limit_error(exc) if MAX_BODY_SIZE_SCOPE_KEY in request.scope else None
        if error is not None:
            raise error from exc
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc


async def _json_body(plan: RoutePlan, request: Request, lifecycle: Lifecycle, one_pass: bool) -> Any:
    request_class = type(request)
    if request_class.body is STARLETTE_BODY:
        limit = plan.max_body_size
        body = await _read_bytes(request, None if defers_to_outer_limit(limit, request.scope) else limit)
    else:
        # A Request subclass of a custom route class (a gzip-decoding one...) or a patched
        # Request.body says what the body is, as FastAPI reads it with `await request.body()`.
        body = await request.body()
    if not body:
        return PydanticUndefined
    content_type = _content_type(request.scope["headers"])
    is_json = _is_json_content_type(content_type) if content_type else not plan.strict_content_type
    if not is_json:
        return body
    if request_class.json is not _STARLETTE_JSON:
        return await request.json()  # the subclass decodes its own way
    if len(body) >= LARGE_DOCUMENT_BYTES:
        lifecycle.pause_gc()  # the route app resumes it once done with the request
    fast = plan.json_fast_field if one_pass else None
    if fast is not None and json.loads is _STDLIB_LOADS and not has_huge_integer(body):
        # One pass over the raw bytes; any failure takes the two-pass path below, which words
        # the errors (and their `input` values) exactly as FastAPI does.
        validated = _validate_json(fast, body)
        if validated is not PydanticUndefined:
            return ValidatedBody(fast, validated, body)
    value = _decode_json(body)
    request._json = value
    return value
