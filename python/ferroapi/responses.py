"""Response classes by FastAPI's names: starlette's, plus SSE, ORJSON and UJSON variants.

`StreamingResponse` is starlette's, except that a sync iterator is pulled many chunks per worker-thread
hop (`_pipeline/streaming/raw.py`) instead of one hop per chunk.

`ORJSONResponse` and `UJSONResponse` need the optional `orjson` / `ujson` packages at render time, as
in FastAPI, and are deprecated as there (a `FastAPIDeprecationWarning` when instantiated): a route's
default (no `response_class`) renders with pydantic-core, which is faster than either.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Protocol

from starlette.responses import FileResponse as FileResponse
from starlette.responses import HTMLResponse as HTMLResponse
from starlette.responses import JSONResponse as JSONResponse
from starlette.responses import PlainTextResponse as PlainTextResponse
from starlette.responses import RedirectResponse as RedirectResponse
from starlette.responses import Response as Response
from typing_extensions import deprecated

from ferroapi._pipeline.streaming.raw import StreamingResponse as StreamingResponse
from ferroapi.exceptions import FastAPIDeprecationWarning
from ferroapi.sse import EventSourceResponse as EventSourceResponse

__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]


class _UjsonModule(Protocol):
    """What UJSONResponse uses of `ujson`."""

    def dumps(self, obj: Any, /, *, ensure_ascii: bool = ...) -> str: ...


class _OrjsonModule(Protocol):
    """What ORJSONResponse uses of `orjson`."""

    OPT_NON_STR_KEYS: int
    OPT_SERIALIZE_NUMPY: int

    def dumps(self, obj: Any, /, *, option: int = ...) -> bytes: ...


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        return None


def __getattr__(name: str) -> Any:
    # `responses.ujson` / `responses.orjson`: the module, or None when not installed (FastAPI's module
    # attributes, which tests monkeypatch). Imported on first use, not with ferroapi.
    if name in ("ujson", "orjson"):
        module = globals()[name] = _optional(name)
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _json_module(name: str) -> Any:
    return getattr(sys.modules[__name__], name)


def _deprecation(name: str) -> str:
    return (
        f"{name} is deprecated: with a return type or a response_model, the response is serialized"
        " straight to JSON bytes by pydantic-core, faster and without a custom response class. See"
        " https://fastapi.tiangolo.com/advanced/custom-response/#orjson-or-response-model"
    )


@deprecated(_deprecation("UJSONResponse"), category=FastAPIDeprecationWarning, stacklevel=2)
class UJSONResponse(JSONResponse):
    """JSON rendered by `ujson` (not installed with ferroapi)."""

    def render(self, content: Any) -> bytes:
        ujson: _UjsonModule | None = _json_module("ujson")
        assert ujson is not None, "ujson must be installed to use UJSONResponse"
        rendered = ujson.dumps(content, ensure_ascii=False)
        return rendered.encode("utf-8")


@deprecated(_deprecation("ORJSONResponse"), category=FastAPIDeprecationWarning, stacklevel=2)
class ORJSONResponse(JSONResponse):
    """JSON rendered by `orjson` (not installed with ferroapi); numpy values and non-str keys allowed."""

    def render(self, content: Any) -> bytes:
        orjson: _OrjsonModule | None = _json_module("orjson")
        assert orjson is not None, "orjson must be installed to use ORJSONResponse"
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
