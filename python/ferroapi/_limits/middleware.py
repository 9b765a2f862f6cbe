"""The body limit as ASGI middleware: around an app's user middleware, and around routes that are not
API routes (FastAPI's `max_body_size` semantics).

A middleware may read the body before the route does, so the app's limit must sit outside it:
starlette's `RequestBodyLimitMiddleware` counts what is received (413 once over the limit) and answers
413 when the declared Content-Length is over it. Errors it raises inside task groups are unwrapped so
they keep their normal handling. Without user middleware the router enforces the same limits itself
(API routes through their plan, other routes through `serve_under_limit`).
"""

from __future__ import annotations

import sys

from starlette.exceptions import HTTPException
from starlette.middleware import body_limit
from starlette.middleware.body_limit import (
    MAX_BODY_SIZE_SCOPE_KEY,
    RequestBodyLimitMiddleware,
    RequestBodyLimitResponder,
)
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferroapi._limits.body import (
    DefaultLimit,
    answer_too_large,
    declared_too_large,
    defers_to_outer_limit,
    warn_default_limit,
)
from ferroapi.exception_handlers import http_exception_handler
from ferroapi.telemetry._asgi import _exception

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]

__all__ = ["AppBodyLimitMiddleware", "BodyLimitMiddleware", "limit_error", "serve_under_limit"]

_SENT = getattr(body_limit, "_RequestBodyLimitResponseSent", None)
_LIMIT_ERRORS: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(body_limit, "_RequestBodyTooLarge", None), _SENT) if cls is not None
)


def limit_error(exc: BaseException) -> BaseException | None:
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


class _DefaultLimitResponder(RequestBodyLimitResponder):
    """starlette's limiter for one request, logging the 413s the built-in default limit gives."""

    async def receive_with_limit(self) -> Message:
        try:
            return await super().receive_with_limit()
        except _LIMIT_ERRORS:
            length = self.content_length
            declared = length if length is not None and length > self.max_body_size else None
            warn_default_limit(self.max_body_size, declared)
            raise

    async def send_with_limit(self, message: Message) -> None:
        length = self.content_length
        if message["type"] == "http.response.start" and length is not None and length > self.max_body_size:
            warn_default_limit(self.max_body_size, length)  # starlette answers 413 in place of it
        await super().send_with_limit(message)


class BodyLimitMiddleware(RequestBodyLimitMiddleware):
    """starlette's `RequestBodyLimitMiddleware`; with the built-in default limit, its first 413 is
    logged (`body.warn_default_limit`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or type(self.max_body_size) is not DefaultLimit:
            await super().__call__(scope, receive, send)
            return
        await _DefaultLimitResponder(self.app, self.max_body_size)(scope, receive, send)


class _Unwrap:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except BaseExceptionGroup as group:
            error = limit_error(group) if scope["type"] == "http" else None
            if error is None:
                raise
            raise error from group


class AppBodyLimitMiddleware:
    """The app's limit around its user middleware; under an enclosing limiter, the mounted app's part.

    Mounted under a limited app (or inclusion), the byte counter is the parent's: an explicit limit of
    this app still replaces the parent's (starlette nests limiters so), the built-in default defers to
    it. The parent's limiter raises its 413 inside this app, where this app's ServerErrorMiddleware
    would answer 500 before the parent saw it: it is answered here, unless a response has begun.
    """

    def __init__(self, app: ASGIApp, max_body_size: int | None) -> None:
        self.inner = app
        self.own_limit = max_body_size is not None and type(max_body_size) is not DefaultLimit
        self.app: ASGIApp = (
            app if max_body_size is None else BodyLimitMiddleware(_Unwrap(app), max_body_size=max_body_size)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or MAX_BODY_SIZE_SCOPE_KEY not in scope:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:
                # This layer sits where FastAPI's ExceptionTelemetryMiddleware does (right inside the
                # server-error layer): an unanswered exception is told to telemetry before the 500.
                _exception(scope=scope, exc=exc)
                raise
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await (self.app if self.own_limit else self.inner)(scope, receive, send_tracked)
        except Exception as exc:
            error = limit_error(exc)
            if started or not isinstance(error, HTTPException):
                _exception(scope=scope, exc=exc)
                raise
            response = await http_exception_handler(Request(scope, receive), error)
            await response(scope, receive, send)


async def serve_under_limit(
    app: ASGIApp, limit: int | None, scope: Scope, receive: Receive, send: Send, *, mounts_apps: bool
) -> None:
    """Serve a route that is not an API route (a mount, a frontend, a starlette route) under `limit`.

    A declared Content-Length over the limit is refused before the route starts a response, unless
    the route holds apps (`mounts_apps`): a mounted app may still raise the limit for its own routes.
    """
    if limit is None or defers_to_outer_limit(limit, scope):
        await app(scope, receive, send)
    elif not mounts_apps and declared_too_large(scope, limit):
        await answer_too_large(scope, receive, send)
    else:
        await BodyLimitMiddleware(app, max_body_size=limit)(scope, receive, send)
