"""The default exception handlers a FerroAPI app installs (the same responses FastAPI gives)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.status import WS_1008_POLICY_VIOLATION
from starlette.websockets import WebSocket

from ferroapi.encoders import jsonable_encoder
from ferroapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from ferroapi.utils import is_body_allowed_for_status_code

__all__ = [
    "http_exception_handler",
    "request_validation_exception_handler",
    "websocket_request_validation_exception_handler",
]


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """`{"detail": ...}` with the exception's status and headers; no body where HTTP forbids one."""
    assert isinstance(exc, HTTPException)
    headers = getattr(exc, "headers", None)
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def request_validation_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 with the validation errors as `detail` (also for the real FastAPI's error class, raised by
    an extension that imports `fastapi` itself: anything with `errors()`)."""
    assert isinstance(exc, RequestValidationError) or callable(getattr(exc, "errors", None))
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(exc.errors())})  # type: ignore[attr-defined]


async def websocket_request_validation_exception_handler(websocket: WebSocket, exc: Exception) -> None:
    """Close the socket with 1008 and the errors as the reason."""
    assert isinstance(exc, WebSocketRequestValidationError) or callable(getattr(exc, "errors", None))
    await websocket.close(code=WS_1008_POLICY_VIOLATION, reason=jsonable_encoder(exc.errors()))  # type: ignore[attr-defined]
