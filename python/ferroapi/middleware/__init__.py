"""Middleware: starlette's `Middleware` wrapper and the bundled middlewares by FastAPI's module names."""

from starlette.middleware import Middleware as Middleware

__all__ = ["Middleware"]
