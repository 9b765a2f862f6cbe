"""Request objects: starlette's, under FastAPI's module name."""

from starlette.requests import HTTPConnection as HTTPConnection
from starlette.requests import Request as Request

__all__ = ["HTTPConnection", "Request"]
