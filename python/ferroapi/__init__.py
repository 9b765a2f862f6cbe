"""ferroapi: a FastAPI-compatible web framework whose hot paths run in Rust.

Move a FastAPI app over by renaming imports: `fastapi` -> `ferroapi`, `FastAPI` -> `FerroAPI`
(`ferroapi.FastAPI` is the same class). Or keep the app unchanged: `ferroapi.install_as_fastapi()`
before anything imports `fastapi` (or `ferroapi run main.py`) makes `fastapi` resolve to ferroapi.

The public names are imported on first access (PEP 562): `import ferroapi._alias` and the pytest
plugin must not import starlette, anyio or pydantic, because they run before pytest installs its
assertion rewriting (which would then refuse to rewrite those packages' plugins) and at interpreter
start-up (`FERROAPI_FASTAPI_ALIAS`). `from ferroapi import FerroAPI` costs what it always did.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ferroapi._alias import install_as_fastapi as install_as_fastapi

if TYPE_CHECKING:
    from starlette import status as status

    from ferroapi.applications import FastAPI as FastAPI
    from ferroapi.applications import FerroAPI as FerroAPI
    from ferroapi.background import BackgroundTasks as BackgroundTasks
    from ferroapi.datastructures import UploadFile as UploadFile
    from ferroapi.exceptions import HTTPException as HTTPException
    from ferroapi.exceptions import WebSocketException as WebSocketException
    from ferroapi.param_functions import Body as Body
    from ferroapi.param_functions import Cookie as Cookie
    from ferroapi.param_functions import Depends as Depends
    from ferroapi.param_functions import File as File
    from ferroapi.param_functions import Form as Form
    from ferroapi.param_functions import Header as Header
    from ferroapi.param_functions import Path as Path
    from ferroapi.param_functions import Query as Query
    from ferroapi.param_functions import Security as Security
    from ferroapi.requests import Request as Request
    from ferroapi.responses import Response as Response
    from ferroapi.routing import APIRouter as APIRouter
    from ferroapi.websockets import WebSocket as WebSocket
    from ferroapi.websockets import WebSocketDisconnect as WebSocketDisconnect

__version__ = "0.1.0"

# name -> the module that defines it
_EXPORTS = {
    "APIRouter": "ferroapi.routing",
    "BackgroundTasks": "ferroapi.background",
    "Body": "ferroapi.param_functions",
    "Cookie": "ferroapi.param_functions",
    "Depends": "ferroapi.param_functions",
    "FastAPI": "ferroapi.applications",
    "FerroAPI": "ferroapi.applications",
    "File": "ferroapi.param_functions",
    "Form": "ferroapi.param_functions",
    "HTTPException": "ferroapi.exceptions",
    "Header": "ferroapi.param_functions",
    "Path": "ferroapi.param_functions",
    "Query": "ferroapi.param_functions",
    "Request": "ferroapi.requests",
    "Response": "ferroapi.responses",
    "Security": "ferroapi.param_functions",
    "UploadFile": "ferroapi.datastructures",
    "WebSocket": "ferroapi.websockets",
    "WebSocketDisconnect": "ferroapi.websockets",
    "WebSocketException": "ferroapi.exceptions",
}

__all__ = [
    "APIRouter",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "FastAPI",
    "FerroAPI",
    "File",
    "Form",
    "HTTPException",
    "Header",
    "Path",
    "Query",
    "Request",
    "Response",
    "Security",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "install_as_fastapi",
    "status",
]


def __getattr__(name: str) -> Any:
    if name == "status":
        value: Any = importlib.import_module("starlette.status")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        # `import ferroapi; ferroapi.routing` (the package used to import its submodules itself).
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
