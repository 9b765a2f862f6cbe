"""The default exception handlers a FerroAPI app installs (the same responses FastAPI gives).

An error body may echo what the client sent: a validation error's `input` can be a float NaN or
Infinity (`NaN` or `1e999` sent for an int) or a string with a lone surrogate (`"\\ud800"`), which
JSONResponse's strict rendering refuses (FastAPI answers 500). Here such a body is still the 4xx with
FastAPI's shape: NaN/Infinity written as null (as pydantic writes non-finite floats), a lone surrogate
as its `\\uXXXX` escape. Any other body keeps JSONResponse's exact bytes.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.websockets import WebSocket

from ferroapi._pipeline.json_text import tolerant_json
from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from ferroapi.utils import is_body_allowed_for_status_code

__all__ = [
    "http_exception_handler",
    "request_validation_exception_handler",
    "websocket_request_validation_exception_handler",
]


class _EchoingJSONResponse(JSONResponse):
    """JSONResponse for error bodies that may echo client input it cannot render strictly."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except ValueError:  # a non-finite float, or UnicodeEncodeError (a lone surrogate)
            pass  # rendered below, outside this block: no chained context if that failed too
        return tolerant_json(content)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """`{"detail": ...}` with the exception's status and headers; no body where HTTP forbids one."""
    assert isinstance(exc, HTTPException)
    headers = getattr(exc, "headers", None)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    return _EchoingJSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def request_validation_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with the validation errors as `detail` (also for the real FastAPI's error class, raised by
    an extension that imports `fastapi` itself: anything with `errors()`)."""
    assert isinstance(exc, RequestValidationError) or callable(getattr(exc, "errors", None))
    errors = exc.errors()  # type: ignore[attr-defined]
    return _EchoingJSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


async def websocket_request_validation_exception_handler(websocket: WebSocket, exc: Exception) -> None:
    """Close the socket with 1008 and the errors as the reason."""
    assert isinstance(exc, WebSocketRequestValidationError) or callable(getattr(exc, "errors", None))
    await websocket.close(code=WS_1008_POLICY_VIOLATION, reason=jsonable_encoder(exc.errors()))  # type: ignore[attr-defined]
