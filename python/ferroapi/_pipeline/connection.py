"""Whether the request's starlette `Request` may be built without running `Request.__init__`.

`Request(scope, receive, send)` runs two Python frames (`Request.__init__` and, through `super()`,
`HTTPConnection.__init__`) to set six attributes: a measurable share of a small request. The route
app writes the same instance state in one dictionary instead (`handler.RouteApp.__call__`). What
starlette's `__init__` sets is read once, from a Request built the normal way: when a starlette
release (or an instrumentation patching `Request.__init__`) changes it, every request is built by
calling the class again.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import Scope

__all__ = ["STOCK_REQUEST_INIT"]

_STARLETTE_INIT = Request.__init__
_KNOWN_STATE = ("scope", "_receive", "_send", "_stream_consumed", "_is_disconnected", "_form")


def _state_is_known() -> bool:
    async def receive() -> Any:  # pragma: no cover - never called
        return {}

    async def send(message: Any) -> None:  # pragma: no cover - never called
        return None

    scope: Scope = {"type": "http"}
    probe = Request(scope, receive, send)
    expected = {
        "scope": scope,
        "_receive": receive,
        "_send": send,
        "_stream_consumed": False,
        "_is_disconnected": False,
        "_form": None,
    }
    return tuple(vars(probe)) == _KNOWN_STATE and vars(probe) == expected


# `Request.__init__` as long as it is starlette's own and sets exactly that state: a route app then
# writes the state itself (`handler.RouteApp`); anything else (None) means calling the class.
STOCK_REQUEST_INIT: object | None = _STARLETTE_INIT if _state_is_known() else None
