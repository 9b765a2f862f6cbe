"""Routing: FastAPI's `fastapi.routing` names (routes, routers, starlette's Mount/Host re-exported)."""

from starlette.routing import BaseRoute as BaseRoute
from starlette.routing import Host as Host
from starlette.routing import Match as Match
from starlette.routing import Mount as Mount
from starlette.routing import NoMatchFound as NoMatchFound
from starlette.routing import compile_path as compile_path
from starlette.routing import get_name as get_name

from ferroapi._pipeline.handler import RouteApp
from ferroapi._pipeline.render import json_response
from ferroapi._routing.include import IncludedRouter
from ferroapi._routing.options import RouteOptions
from ferroapi._routing.route import APIRoute, APIWebSocketRoute
from ferroapi._routing.router import APIRouter
from ferroapi.sse import _PING_INTERVAL as _PING_INTERVAL  # FastAPI's tests monkeypatch it here

__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BaseRoute",
    "Host",
    "IncludedRouter",
    "Match",
    "Mount",
    "NoMatchFound",
    "RouteApp",
    "RouteOptions",
    "compile_path",
    "get_name",
    "iter_route_contexts",
    "json_response",
]


def iter_route_contexts(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes with included routers flattened into their effective routes (dispatch order)."""
    flat: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, IncludedRouter):
            flat.extend(route.effective_routes())
        else:
            flat.append(route)
    return flat
