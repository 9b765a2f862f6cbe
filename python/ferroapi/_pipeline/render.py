"""Turning an endpoint's return value into a response.

A `Response` is returned as is. Otherwise the value is validated against the response model (when
there is one) and serialized by pydantic-core; without a model, JSON-native values are encoded in one C
call (the same bytes `JSONResponse` renders) and anything else goes through `jsonable_encoder` first,
as in FastAPI.

A string holding a lone surrogate (`"\\ud800"` in a request body, echoed back) is written as its
`\\uXXXX` escape instead of failing the response (`json_text`); every other response keeps its bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ferroapi._fields import field_errors
from ferroapi._pipeline.json_text import dump_json_fallback, is_surrogate_error, utf8
from ferroapi._pipeline.plan import RoutePlan
from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import ResponseValidationError
from ferroapi.utils import is_body_allowed_for_status_code

__all__ = ["json_response", "render_value", "response_status"]

# JSONResponse.render's settings (json.dumps(ensure_ascii=False, allow_nan=False, separators=(",", ":"))),
# built once: one C-encoder call per response. Values json cannot encode raise TypeError.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)


def _reject(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


if _C_ENCODER is not None:
    # No circular-reference markers: a shared markers dict could keep stale ids after an error; a
    # cycle still fails (RecursionError -> 500), as jsonable_encoder does in FastAPI.
    _encode_chunks = _C_ENCODER(
        None, _reject, json.encoder.encode_basestring, None, ":", ",", False, False, False
    )

    def _c_encode(value: Any) -> str:
        if isinstance(value, str):
            return _ENCODER.encode(value)
        return "".join(_encode_chunks(value, 0))

    _encode: Callable[[Any], str] = _c_encode
else:  # pragma: no cover - interpreters without the C accelerator
    _encode = _ENCODER.encode
_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


def json_response(body: bytes, status_code: int, background: BackgroundTask | None) -> Response:
    """A `JSONResponse` over already-rendered bytes, with the headers starlette would compute.

    As in FastAPI, a status that forbids a body (1xx, 204, 205, 304) sends none; the headers are
    computed before that, like starlette's `init_headers` does.
    """
    response = JSONResponse.__new__(JSONResponse)
    response.status_code = status_code
    response.background = background
    if status_code < 200 or status_code in (204, 304):
        response.raw_headers = [_JSON_CONTENT_TYPE]
        response.body = b""
    else:
        response.raw_headers = [(b"content-length", str(len(body)).encode("latin-1")), _JSON_CONTENT_TYPE]
        response.body = b"" if status_code == 205 else body
    return response


def encode_plain(value: Any) -> bytes:
    """What `JSONResponse(jsonable_encoder(value)).body` would be, without the encoder when possible."""
    text: str | None
    try:
        text = _encode(value)
    except TypeError:
        # Not JSON-native: encoded after `jsonable_encoder`, outside this block, so an error of that
        # second attempt is reported alone (not "during handling of" this expected TypeError).
        text = None
    if text is None:
        text = _encode(jsonable_encoder(value))
    return utf8(text)


def response_status(plan: RoutePlan, sub_response: Response | None) -> int | None:
    """The injected `Response`'s status when set, else the route's, else the class default."""
    status = getattr(sub_response, "status_code", None)
    return status if status else plan.status_code


def validate_response(plan: RoutePlan, value: Any, request: Request) -> Any:
    field = plan.response_field
    assert field is not None
    validated, errors = field.validate(value, {}, loc=("response",))
    if errors:
        raise _invalid_response(plan, errors, value, request)
    return validated


def _invalid_response(
    plan: RoutePlan, errors: list[dict[str, Any]], value: Any, request: Request
) -> ResponseValidationError:
    ctx = plan.site.context(request.method, request.scope.get("root_path", ""), plan.dependant.path or "")
    return ResponseValidationError(errors, body=value, endpoint_ctx=ctx)


def render_value(
    plan: RoutePlan, value: Any, request: Request, sub_response: Response | None, background: Any
) -> Response:
    status = getattr(sub_response, "status_code", None) or plan.status_code  # `response_status`
    validate = plan.response_validate
    if validate is not None:
        # A response model, the default class: validated and written by pydantic-core, a C call each.
        errors = None
        try:
            validated = validate(value)
        except ValidationError as exc:
            errors = field_errors(exc, ("response",))
        if errors is not None:  # raised outside the handler: not "during handling of" pydantic's error
            raise _invalid_response(plan, errors, value, request)
        try:
            body = plan.response_json(validated)  # type: ignore[misc]  # set with response_validate
        except PydanticSerializationError as exc:
            body = _surrogate_fallback(plan, validated, exc)
        response = json_response(body, status or 200, background)
    elif plan.response_field is not None:
        validated = validate_response(plan, value, request)
        content = plan.response_field.serialize(validated, **plan.dump_options)
        try:
            # An explicit JSONResponse renders through its own render() (json.dumps), as in
            # FastAPI, where tests and agents patch it.
            response = _with_class(plan, content, status, background)
        except UnicodeEncodeError:
            if not plan.fast_json:
                raise
            # A lone surrogate echoed from the request: its escape instead of a 500.
            response = json_response(encode_plain(content), status or 200, background)
    elif plan.fast_json:
        response = json_response(encode_plain(value), status or 200, background)
    else:
        response = _with_class(plan, jsonable_encoder(value), status, background)
    if sub_response is not None and sub_response.raw_headers:
        response.raw_headers.extend(sub_response.raw_headers)
    return response


def _surrogate_fallback(plan: RoutePlan, validated: Any, exc: PydanticSerializationError) -> bytes:
    """The body when pydantic-core could not write it: a lone surrogate is written as its escape."""
    field = plan.response_field
    if field is None or not is_surrogate_error(exc):
        raise exc
    return dump_json_fallback(field.serialize, validated, plan.dump_options)


def _with_class(plan: RoutePlan, content: Any, status: int | None, background: Any) -> Response:
    if status is None:
        response = plan.response_class(content, background=background)
    else:
        response = plan.response_class(content, status_code=status, background=background)
    if not is_body_allowed_for_status_code(response.status_code):
        response.body = b""
    return response
