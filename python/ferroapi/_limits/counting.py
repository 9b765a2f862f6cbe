"""Counting a request body against its limit as `receive` delivers it, whoever reads it.

The pipeline's own body reader counts inline (`_pipeline.body`); this wrapper is for everything else:
`request.form()`, an endpoint reading `await request.body()` itself, a custom route handler. Under
starlette's (or the app's) `RequestBodyLimitMiddleware` the enclosing limiter counts instead, and a
route's own limit replaces its limit, as a nested limiter does in FastAPI.
"""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from ferroapi._limits.body import DefaultLimit, too_large, warn_default_limit

__all__ = ["LIMITER_SCOPE_KEY", "CountingReceive", "limited_receive"]

# starlette's RequestBodyLimitMiddleware records its active limiter here (nested limiters defer to it).
LIMITER_SCOPE_KEY = "starlette._body_limit_responder"


class CountingReceive:
    """`receive` counting the body against the route's limit, however it is read: by the pipeline,
    by `request.form()`, or by the endpoint itself (`await request.body()`, chunked, no Content-Length).
    """

    __slots__ = ("limit", "receive", "total")

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.total = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self.limit:
                warn_default_limit(self.limit)
                raise too_large()
        return message


def limited_receive(scope: Scope, receive: Receive, limit: int, *, counting: bool) -> Receive:
    active = scope.get(LIMITER_SCOPE_KEY)
    if active is None:
        return CountingReceive(receive, limit) if counting else receive
    if type(limit) is DefaultLimit:
        return receive  # nobody chose this limit: the enclosing app's (or inclusion's) stays in force
    # starlette's body limiter (the app's, under user middleware) already counts this request: the
    # route's own limit replaces its limit, as a nested RequestBodyLimitMiddleware does in FastAPI.
    active.max_body_size = limit
    if active.total_size > limit:
        raise too_large()
    return receive
