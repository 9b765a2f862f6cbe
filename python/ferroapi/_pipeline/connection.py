"""The request's starlette `Request`, built without running `Request.__init__`.

`Request(scope, receive, send)` runs two Python frames (`Request.__init__` and, through `super()`,
`HTTPConnection.__init__`) to set six attributes: a measurable share of a small request. The same
instance state is written here in one dictionary. What starlette's `__init__` sets is read once, from a
Request built the normal way: when a starlette release (or an instrumentation patching
`Request.__init__`) changes it, every request is built by calling the class again.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

__all__ = ["new_request"]

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


_DIRECT = _state_is_known()
_new_object = object.__new__


def new_request(scope: Scope, receive: Receive, send: Send) -> Request:
    """`Request(scope, receive, send)` for an HTTP scope."""
    if not _DIRECT or Request.__init__ is not _STARLETTE_INIT:
        return Request(scope, receive, send)
    request: Request = _new_object(Request)
    request.__dict__ = {
        "scope": scope,
        "_receive": receive,
        "_send": send,
        "_stream_consumed": False,
        "_is_disconnected": False,
        "_form": None,
    }
    return request
