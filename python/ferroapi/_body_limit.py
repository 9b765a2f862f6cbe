"""`fastapi._body_limit`: the request body limit helpers, under FastAPI's module and names.

ferroapi enforces `max_body_size` in its router and, around user middleware, with
`ferroapi._limits.middleware` (starlette's `RequestBodyLimitMiddleware`, errors unwrapped from task
groups). This module only gives those pieces FastAPI's names; nothing imports it at start-up.
"""

from starlette.exceptions import HTTPException as HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY as MAX_BODY_SIZE_SCOPE_KEY
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request as Request
from starlette.types import ASGIApp as ASGIApp
from starlette.types import Message as Message
from starlette.types import Receive as Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send

from ferroapi._limits import middleware as app_limit
from ferroapi._limits.body import first_limit, validate_max_body_size
from ferroapi._limits.middleware import AppBodyLimitMiddleware as AppBodyLimitMiddleware
from ferroapi.exception_handlers import http_exception_handler as http_exception_handler

__all__ = [
    "AppBodyLimitMiddleware",
    "get_body_limit_error",
    "get_body_size_limit",
    "validate_max_body_size",
    "wrap_app_with_body_limit",
]

# starlette's private signals of the limiter (its "too large" error, and "413 already sent").
_response_sent = app_limit._SENT or ()
_body_limit_errors = app_limit._LIMIT_ERRORS
# Re-raises the limiter's error when it arrives wrapped in an exception group.
_BodyLimitExceptionMiddleware = app_limit._Unwrap

get_body_size_limit = first_limit
get_body_limit_error = app_limit.limit_error


def wrap_app_with_body_limit(app: ASGIApp, max_body_size: int | None) -> ASGIApp:
    """`app` behind a limiter of `max_body_size` bytes (413 over it); `app` itself without a limit."""
    if max_body_size is None:
        return app
    return RequestBodyLimitMiddleware(_BodyLimitExceptionMiddleware(app), max_body_size=max_body_size)
