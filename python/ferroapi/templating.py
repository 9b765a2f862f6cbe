"""Jinja2 templates: starlette's, under FastAPI's module name."""

from starlette.templating import Jinja2Templates as Jinja2Templates

__all__ = ["Jinja2Templates"]
