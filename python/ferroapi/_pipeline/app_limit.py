"""The app-wide body limit when user middleware runs first (FastAPI's `max_body_size` semantics).

A middleware may read the body before the route does, so the limit must sit outside it: starlette's
`RequestBodyLimitMiddleware` counts what is received (413 once over the limit) and answers 413 when the
declared Content-Length is over it. Errors it raises inside task groups are unwrapped so they keep their
normal handling. Without user middleware the router enforces the same limits itself.
"""

from __future__ import annotations

import sys

from starlette.middleware import body_limit
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]

__all__ = ["AppBodyLimitMiddleware"]

_SENT = getattr(body_limit, "_RequestBodyLimitResponseSent", None)
_LIMIT_ERRORS: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(body_limit, "_RequestBodyTooLarge", None), _SENT) if cls is not None
)


def _limit_error(exc: BaseException) -> BaseException | None:
    """The limiter's own error inside `exc`, when every error in a group is one of its errors."""
    if isinstance(exc, BaseExceptionGroup):
        _, other = exc.split(_LIMIT_ERRORS)
        if other is not None:
            return None
        if _SENT is not None:
            exc = exc.subgroup(_SENT) or exc
        while isinstance(exc, BaseExceptionGroup):
            exc = exc.exceptions[0]
    return exc if isinstance(exc, _LIMIT_ERRORS) else None


class _Unwrap:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except BaseExceptionGroup as group:
            error = _limit_error(group) if scope["type"] == "http" else None
            if error is None:
                raise
            raise error from group


class AppBodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_size: int | None) -> None:
        self.app: ASGIApp = (
            app
            if max_body_size is None
            else RequestBodyLimitMiddleware(_Unwrap(app), max_body_size=max_body_size)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
