"""Exceptions a ferroapi app raises and handles; the same names and fields FastAPI's have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from pydantic import BaseModel as BaseModel
from pydantic import create_model as create_model
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.exceptions import WebSocketException as StarletteWebSocketException

__all__ = [
    "DependencyScopeError",
    "EndpointContext",
    "FastAPIDeprecationWarning",
    "FastAPIError",
    "FerroAPIError",
    "HTTPException",
    "PydanticV1NotSupportedError",
    "RequestValidationError",
    "ResponseValidationError",
    "ValidationException",
    "WebSocketException",
    "WebSocketRequestValidationError",
]


class EndpointContext(TypedDict, total=False):
    """Where an endpoint lives, attached to validation errors so logs point at user code."""

    function: str
    path: str
    file: str
    line: int


class HTTPException(StarletteHTTPException):
    """An HTTP error answered with `{"detail": ...}`; `detail` may be any JSON-able value."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)


class WebSocketException(StarletteWebSocketException):
    """Closes a WebSocket with `code` and `reason`."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        super().__init__(code=code, reason=reason)


class FerroAPIError(RuntimeError):
    """A framework usage error (bad declaration, impossible configuration)."""


# FastAPI's name for the same error; apps catching it keep working.
FastAPIError = FerroAPIError


class DependencyScopeError(FerroAPIError):
    """A dependency depends on another one with a narrower scope ("request" on "function")."""


class PydanticV1NotSupportedError(FerroAPIError):
    """A `pydantic.v1` model was used; only pydantic v2 models are supported."""


class FastAPIDeprecationWarning(UserWarning):
    """A deprecation that should be seen (DeprecationWarning is hidden by default)."""


class ValidationException(Exception):
    """Validation errors (pydantic-style dicts) plus the endpoint they were raised for."""

    def __init__(self, errors: Sequence[Any], *, endpoint_ctx: EndpointContext | None = None) -> None:
        self._errors = errors
        self.endpoint_ctx = endpoint_ctx
        ctx: EndpointContext = endpoint_ctx or {}
        self.endpoint_function = ctx.get("function")
        self.endpoint_path = ctx.get("path")
        self.endpoint_file = ctx.get("file")
        self.endpoint_line = ctx.get("line")

    def errors(self) -> Sequence[Any]:
        return self._errors

    def _location(self) -> str:
        if self.endpoint_file and self.endpoint_line and self.endpoint_function:
            where = f'\n  File "{self.endpoint_file}", line {self.endpoint_line}, in {self.endpoint_function}'
            return where + (f"\n    {self.endpoint_path}" if self.endpoint_path else "")
        return f"\n  Endpoint: {self.endpoint_path}" if self.endpoint_path else ""

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'' if count == 1 else 's'}:"]
        lines.extend(f"  {error}" for error in self._errors)
        return ("\n".join(lines) + "\n" + self._location()).rstrip()


class RequestValidationError(ValidationException):
    """The request did not validate: answered 422 with `{"detail": errors}` by default."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        body: Any = None,
        endpoint_ctx: EndpointContext | None = None,
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


class WebSocketRequestValidationError(ValidationException):
    """A WebSocket's parameters did not validate: the socket is closed with 1008 by default."""


class ResponseValidationError(ValidationException):
    """The endpoint returned something its response model rejects: a server error (500)."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        body: Any = None,
        endpoint_ctx: EndpointContext | None = None,
    ) -> None:
        super().__init__(errors, endpoint_ctx=endpoint_ctx)
        self.body = body


# FastAPI's empty models named "Request" and "WebSocket" (nothing in ferroapi or FastAPI uses them any
# more): built on first access, not at import.
_ERROR_MODEL_NAMES = {"RequestErrorModel": "Request", "WebSocketErrorModel": "WebSocket"}


def __getattr__(name: str) -> type[BaseModel]:
    model_name = _ERROR_MODEL_NAMES.get(name)
    if model_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    model: type[BaseModel] = create_model(model_name)
    globals()[name] = model
    return model
