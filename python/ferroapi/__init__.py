"""ferroapi: a FastAPI-compatible web framework whose hot paths run in Rust.

Move a FastAPI app over by renaming imports: `fastapi` -> `ferroapi`, `FastAPI` -> `FerroAPI`
(`ferroapi.FastAPI` is the same class). Or keep the app unchanged: `ferroapi.install_as_fastapi()`
before anything imports `fastapi` (or `ferroapi run main.py`) makes `fastapi` resolve to ferroapi.
"""

from starlette import status as status

from ferroapi._alias import install_as_fastapi as install_as_fastapi
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
