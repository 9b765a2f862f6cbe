"""The `max_body_size` setting: its values, which one is in force, and the 413 when a body is over it.

FastAPI 0.165's rules: the most specific setting wins (route, then the routers and inclusions it sits
in, then the app), and a sub-application mounted under a limited app or inclusion inherits the limit it
is reached through. ferroapi's apps have a built-in default (16 MiB; FastAPI has none): a
`DefaultLimit`, an int that remembers nobody chose it. It applies where no outer limit exists, and
defers to one that does (a mounted `FerroAPI()` is as limited as the path that reaches it).

The first 413 the built-in default gives is logged as a warning (once per process): an app ported
from FastAPI had no limit, and a client's 413 would otherwise be the only sign of one. A limit the
user set is never logged.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.middleware import body_limit as _starlette_body_limit
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from ferroapi.logger import logger

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "BodyTooLarge",
    "DefaultLimit",
    "answer_too_large",
    "declared_length",
    "declared_too_large",
    "defers_to_outer_limit",
    "first_limit",
    "route_body_limit",
    "too_large",
    "validate_max_body_size",
    "warn_default_limit",
    "with_body_limit",
]

# starlette's own 413 exception (an HTTPException subclass) when it has one, so handlers see the same type.
BodyTooLarge: type[HTTPException] = getattr(_starlette_body_limit, "_RequestBodyTooLarge", HTTPException)
# The body limit of a route that is not an API route (a mount, a frontend, a starlette route) reached
# through an inclusion: the inclusion's, read by the dispatcher. API routes carry `max_body_size`.
_ROUTE_LIMIT_ATTRIBUTE = "_ferroapi_body_limit"


class DefaultLimit(int):
    """The built-in body limit: in force only where no enclosing app or inclusion set one."""

    def __repr__(self) -> str:
        return f"DefaultLimit({int(self)})"


DEFAULT_MAX_BODY_SIZE = DefaultLimit(16 * 1024 * 1024)

# Whether the default limit's first 413 was logged (a list: set from request handling, no `global`).
_DEFAULT_LIMIT_LOGGED: list[bool] = [False]


def warn_default_limit(limit: int | None, declared: int | None = None) -> None:
    """Log the first 413 of the built-in `max_body_size` default, once per process.

    `declared` is the Content-Length that was over the limit; None when the body was counted as it
    arrived (reading stopped once past the limit, so its full size is unknown).
    """
    if type(limit) is not DefaultLimit or _DEFAULT_LIMIT_LOGGED[0]:
        return
    _DEFAULT_LIMIT_LOGGED[0] = True
    size = f"{declared} bytes (Content-Length)" if declared is not None else f"more than {int(limit)} bytes"
    logger.warning(
        "A request body of %s was refused with 413 Content Too Large: ferroapi's default "
        "max_body_size is %d bytes (16 MiB; FastAPI has no limit). To accept larger bodies, pass "
        "max_body_size=<bytes> (None: no limit) to FerroAPI(), APIRouter(), include_router() or the "
        "route decorator. This warning is logged once per process; a limit you set is never logged.",
        size,
        int(limit),
    )


def validate_max_body_size(max_body_size: int | None) -> None:
    if max_body_size is None:
        return
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 0:
        raise ValueError("max_body_size must be a non-negative integer or None")


def first_limit(*limits: int | None) -> int | None:
    """The first configured body-size limit (the most specific one is passed first)."""
    for limit in limits:
        if limit is not None:
            return limit
    return None


def defers_to_outer_limit(limit: int | None, scope: Scope) -> bool:
    """Whether `limit` is the built-in default and an enclosing limiter already counts this body."""
    return type(limit) is DefaultLimit and MAX_BODY_SIZE_SCOPE_KEY in scope


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length header as an int (None when absent or not a number)."""
    for key, value in headers:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def declared_too_large(scope: Scope, limit: int | None) -> bool:
    """Whether the request declares a Content-Length over `limit` (then its 413 is answered at once,
    before anything reads the body; the first 413 of the built-in default is logged here)."""
    if limit is None or scope["type"] != "http":
        return False
    length = declared_length(scope["headers"])
    if length is None or length <= limit or defers_to_outer_limit(limit, scope):
        return False
    warn_default_limit(limit, length)
    return True


def too_large() -> HTTPException:
    """The 413 raised when a body counted as it arrives goes over its limit."""
    if BodyTooLarge is HTTPException:
        return HTTPException(status_code=413, detail="Content Too Large")
    return BodyTooLarge()  # type: ignore[call-arg]  # starlette's subclass takes no arguments


async def answer_too_large(scope: Scope, receive: Receive, send: Send) -> None:
    """What starlette's body limiter answers when the declared length is over the limit."""
    await PlainTextResponse("Content Too Large", status_code=413)(scope, receive, send)


def with_body_limit(route: BaseRoute, limit: int | None) -> BaseRoute:
    """`route` (not an API route) as an inclusion serves it: under the inclusion's limit."""
    setattr(route, _ROUTE_LIMIT_ATTRIBUTE, limit)
    return route


def route_body_limit(route: BaseRoute, router_limit: int | None) -> int | None:
    """The limit a route that is not an API route is served under: its inclusion's, else its router's."""
    limit: int | None = getattr(route, _ROUTE_LIMIT_ATTRIBUTE, router_limit)
    return limit
