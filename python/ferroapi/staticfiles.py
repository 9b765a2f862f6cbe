"""Static files: starlette's, under FastAPI's module name."""

from starlette.staticfiles import StaticFiles as StaticFiles

__all__ = ["StaticFiles"]
