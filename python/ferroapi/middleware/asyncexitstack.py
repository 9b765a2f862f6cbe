"""`AsyncExitStackMiddleware`: one `AsyncExitStack` per request, closed after the app answered.

FastAPI's module of the same name (fastapi-lifespan-manager and others import it). ferroapi's own
request lifecycle keeps its exit stacks elsewhere and does not install this middleware; apps and
extensions may.
"""

from contextlib import AsyncExitStack

from starlette.types import ASGIApp as ASGIApp
from starlette.types import Receive as Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send

__all__ = ["AsyncExitStackMiddleware"]


class AsyncExitStackMiddleware:
    """Put a fresh `AsyncExitStack` in `scope[context_name]` for the inner app; close it afterwards
    (whatever was pushed on it, e.g. files to close, is torn down once the app returned or raised)."""

    def __init__(self, app: ASGIApp, context_name: str = "fastapi_middleware_astack") -> None:
        self.app = app
        self.context_name = context_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with AsyncExitStack() as stack:
            scope[self.context_name] = stack
            await self.app(scope, receive, send)
