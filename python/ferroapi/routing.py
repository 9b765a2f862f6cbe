"""Routing: FastAPI's `fastapi.routing` names (routes, routers, starlette's Mount/Host re-exported),
FastAPI's private routing helpers, and FastAPI's patch points.

A façade: routes and routers live in `_routing` (route, router, include, included, contexts, frontend,
scope...), the request pipeline in `_pipeline`. FastAPI's private names are aliases of ferroapi's
objects with the same contract; starlette's names are starlette's objects.

Instrumentation replaces `solve_dependencies`, `run_endpoint_function`, `serialize_response` or
`get_request_handler` here and expects the framework to call the replacement: this module's
`__setattr__` (see the end of the file) tells the pipeline when one of the first three is replaced,
and route classes read `get_request_handler` from here when they build a handler.
"""

import importlib
import sys
import types
from typing import Any

from starlette._exception_handler import wrap_app_handling_exceptions as wrap_app_handling_exceptions
from starlette._utils import get_route_path as get_route_path
from starlette._utils import is_async_callable as is_async_callable
from starlette.concurrency import iterate_in_threadpool as iterate_in_threadpool
from starlette.concurrency import run_in_threadpool as run_in_threadpool
from starlette.datastructures import URL as URL
from starlette.datastructures import URLPath as URLPath
from starlette.exceptions import HTTPException as HTTPException
from starlette.middleware import Middleware as Middleware
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY as MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request as Request
from starlette.responses import JSONResponse as JSONResponse
from starlette.responses import PlainTextResponse as PlainTextResponse
from starlette.responses import RedirectResponse as RedirectResponse
from starlette.responses import Response as Response
from starlette.responses import StreamingResponse as StreamingResponse
from starlette.routing import BaseRoute as BaseRoute
from starlette.routing import Host as Host
from starlette.routing import Match as Match
from starlette.routing import Mount as Mount
from starlette.routing import NoMatchFound as NoMatchFound
from starlette.routing import compile_path as compile_path
from starlette.routing import get_name as get_name
from starlette.staticfiles import StaticFiles as StaticFiles
from starlette.types import AppType as AppType
from starlette.types import ASGIApp as ASGIApp
from starlette.types import Lifespan as Lifespan
from starlette.types import Receive as Receive
from starlette.types import Scope as Scope
from starlette.types import Send as Send
from starlette.websockets import WebSocket as WebSocket

from ferroapi._compat import Undefined as Undefined
from ferroapi._compat.shared import lenient_issubclass as lenient_issubclass
from ferroapi._fields import ModelField as ModelField
from ferroapi._fields import create_model_field as create_model_field
from ferroapi._limits import body as _body_limits
from ferroapi._limits import forms as _form_limits
from ferroapi._limits import middleware as _limit_middleware
from ferroapi._pipeline import hooks as _hooks
from ferroapi._pipeline import json_text as _json_text
from ferroapi._pipeline.handler import RouteApp
from ferroapi._pipeline.hooks import run_endpoint_function, serialize_response
from ferroapi._pipeline.render import json_response
from ferroapi._pipeline.websocket import get_websocket_app, websocket_session
from ferroapi._routing import annotations as _annotations
from ferroapi._routing import contexts as _contexts
from ferroapi._routing import handler_parts as _handler_parts
from ferroapi._routing import lifespan as _lifespan
from ferroapi._routing import options as _options
from ferroapi._routing import route as _route
from ferroapi._routing import route_state as _route_state
from ferroapi._routing import scope as _scope
from ferroapi._routing.contexts import RouteContext, iter_route_contexts
from ferroapi._routing.inclusion import inherit as _include
from ferroapi._routing.inclusion.entry import IncludedRouter
from ferroapi._routing.lifespan import _T as _T
from ferroapi._routing.options import RouteOptions
from ferroapi._routing.request_handler import get_request_handler, request_response
from ferroapi._routing.route import APIRoute, APIWebSocketRoute
from ferroapi._routing.router import APIRouter
from ferroapi._routing.static_frontend import files as _frontend_files
from ferroapi._routing.static_frontend import routes as _frontend
from ferroapi.datastructures import Default as Default
from ferroapi.datastructures import DefaultPlaceholder as DefaultPlaceholder
from ferroapi.dependencies import body as _body
from ferroapi.dependencies.models import Dependant as Dependant
from ferroapi.dependencies.models import _is_async_gen_callable as _is_async_gen_callable
from ferroapi.dependencies.models import _is_coroutine_callable as _is_coroutine_callable
from ferroapi.dependencies.models import _is_gen_callable as _is_gen_callable
from ferroapi.dependencies.signature import get_typed_return_annotation as get_typed_return_annotation
from ferroapi.dependencies.solved import SolvedDependency, solve_dependencies
from ferroapi.encoders import jsonable_encoder as jsonable_encoder
from ferroapi.exceptions import EndpointContext as EndpointContext
from ferroapi.exceptions import FastAPIError as FastAPIError
from ferroapi.exceptions import RequestValidationError as RequestValidationError
from ferroapi.exceptions import ResponseValidationError as ResponseValidationError
from ferroapi.exceptions import WebSocketRequestValidationError as WebSocketRequestValidationError
from ferroapi.sse import DEFAULT_PING_INTERVAL
from ferroapi.sse import KEEPALIVE_COMMENT as KEEPALIVE_COMMENT
from ferroapi.sse import EventSourceResponse as EventSourceResponse
from ferroapi.sse import ServerSentEvent as ServerSentEvent
from ferroapi.sse import format_sse_event as format_sse_event
from ferroapi.telemetry._api import _operation as _operation
from ferroapi.telemetry._api import _route_selected as _route_selected
from ferroapi.telemetry._api import _run_sync_endpoint as _run_sync_endpoint
from ferroapi.telemetry._api import _validation_failed as _validation_failed
from ferroapi.telemetry._api import get_telemetry_data as get_telemetry_data
from ferroapi.types import DecoratedCallable as DecoratedCallable
from ferroapi.types import IncEx as IncEx
from ferroapi.utils import generate_unique_id as generate_unique_id
from ferroapi.utils import get_value_or_default as get_value_or_default
from ferroapi.utils import is_body_allowed_for_status_code as is_body_allowed_for_status_code

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
    "RouteContext",
    "RouteOptions",
    "SolvedDependency",
    "compile_path",
    "get_name",
    "get_request_handler",
    "get_websocket_app",
    "iter_route_contexts",
    "json_response",
    "request_response",
    "run_endpoint_function",
    "serialize_response",
    "solve_dependencies",
    "websocket_session",
]

# FastAPI's private name for the entry `include_router` leaves in the parent's routes.
_IncludedRouter = IncludedRouter
# FastAPI's SSE keepalive interval lives here too; tests monkeypatch it (the streaming lane reads it).
_PING_INTERVAL: float = DEFAULT_PING_INTERVAL

# FastAPI's names (public and private) for ferroapi's objects of the same contract.
get_stream_item_type = _annotations.stream_item_type
get_body_size_limit = _body_limits.first_limit
get_body_limit_error = _limit_middleware.limit_error
validate_max_body_size = _body_limits.validate_max_body_size
_FormLimits = _options.FormLimits
_validate_form_limits = _form_limits.validate_form_limits
_should_embed_body_fields = _body.should_embed_body_fields
_normalize_non_finite_floats = _json_text.finite
_DefaultLifespan = _lifespan.DefaultLifespan
_merge_lifespan_context = _lifespan.merge_lifespans
_AsyncLiftContextManager = _lifespan._SyncAsAsync
_wrap_gen_lifespan_context = _lifespan._from_generator
_effective_route_context_var = _route.effective_route_context_var
_endpoint_context_cache = _handler_parts.endpoint_context_cache
_extract_endpoint_context = _handler_parts.extract_endpoint_context
_build_response_args = _handler_parts.build_response_args
_APIRouteLike = _route_state.APIRouteLike
_RouteWithPath = _route_state.RouteWithPath
_populate_api_route_state = _route_state.populate_api_route_state
_RouterIncludeContext = _include.IncludeContext
_iter_routes_with_context = _contexts.iter_routes_with_context
_iter_included_route_candidates = _contexts.iter_included_route_candidates

# Frontends (`frontend()`): the route group, its routes and files, and their path rules.
_FrontendRouteGroup = _frontend.FrontendRouteGroup
_FrontendRoute = _frontend.FrontendRoute
_FrontendStaticFiles = _frontend_files.FrontendStaticFiles
_frontend_dependency_endpoint = _frontend._frontend_endpoint
_normalize_frontend_path = _frontend.normalize_frontend_path
_join_frontend_paths = _frontend.join_frontend_paths
_frontend_path_specificity = _frontend._specificity
_get_resolved_absolute_path = _frontend_files._absolute
_resolve_frontend_check_dir = _frontend_files.resolve_check_dir
_iter_accept_media_types = _frontend_files._accepted_types
_is_frontend_navigation_request = _frontend_files.is_navigation_request

# FastAPI's private per-request dict (`_routing.scope`).
_FASTAPI_EFFECTIVE_ROUTE_CONTEXT_KEY = _route.EFFECTIVE_ROUTE_CONTEXT
_FASTAPI_FRONTEND_PATH_KEY = _frontend_files.PATH_KEY
_FASTAPI_FRONTEND_SPECIFICITY_KEY = _frontend.SPECIFICITY_KEY
_get_fastapi_scope = _scope.fastapi_scope
_update_scope = _frontend.update_scope
_get_scope_effective_route_context = _route.scope_effective_route
_frontend_scope_specificity = _frontend.frontend_specificity
_FASTAPI_SCOPE_KEY = _scope.SCOPE_KEY
_FASTAPI_FORM_LIMITS_KEY = _scope.FORM_LIMITS_KEY
_FASTAPI_INCLUDED_ROUTER_KEY = _scope.INCLUDED_ROUTER_KEY
_SCOPE_MISSING = _scope.SCOPE_MISSING
_restore_fastapi_scope_key = _scope.restore_fastapi_scope_key
_resolve_form_limits = _scope.resolve_form_limits
_apply_router_form_limits = _scope.apply_router_form_limits
_get_scope_included_router = _scope.get_scope_included_router

# Names of modules `import ferroapi` does not load: the dependency analysis (loaded with the first
# route; tens of milliseconds), `_body_limit`, and the effective route context class (milliseconds to
# create). Resolved on first access (`__getattr__`).
_LAZY = {
    "_EffectiveRouteContext": ("ferroapi._routing.effective_context", "EffectiveRouteContext"),
    "get_dependant": ("ferroapi.dependencies.analyze", "get_dependant"),
    "get_parameterless_sub_dependant": ("ferroapi.dependencies.analyze", "get_parameterless_sub_dependant"),
    "_build_dependant_with_parameterless_dependencies": (
        "ferroapi.dependencies.analyze",
        "build_route_dependant",
    ),
    "_get_body_field": ("ferroapi.dependencies.flat", "get_body_field"),
    "_get_flat_body_params": ("ferroapi.dependencies.flat", "get_flat_body_params"),
    "wrap_app_with_body_limit": ("ferroapi._body_limit", "wrap_app_with_body_limit"),
}


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = target
    value = globals()[name] = getattr(importlib.import_module(module_name), attribute)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _RoutingModule(types.ModuleType):
    """This module's type: assigning a patch point switches the pipeline to FastAPI's calls."""

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in _hooks.PATCHABLE:
            _hooks.update(self)

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        if name in _hooks.PATCHABLE:
            _hooks.update(self)


sys.modules[__name__].__class__ = _RoutingModule
