"""`ferroapi._body_limit`, `ferroapi._form_limits` and `ferroapi.middleware.asyncexitstack`: FastAPI's
modules of those names, over ferroapi's limit machinery, compared with FastAPI 0.165.0's."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from fastapi import _body_limit as fastapi_body_limit
from fastapi import _form_limits as fastapi_form_limits
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from ferroapi import _body_limit, _form_limits
from ferroapi.middleware.asyncexitstack import AsyncExitStackMiddleware

# Python 3.10 has it from the `exceptiongroup` backport (anyio depends on it there).
ExceptionGroup: Any = (
    getattr(builtins, "ExceptionGroup", None) or pytest.importorskip("exceptiongroup").ExceptionGroup
)

FORM_LIMITS = [
    None,
    {},
    {"max_fields": 0, "max_files": 3, "max_part_size": 1024},
    {"max_fields": -1},
    {"max_files": True},
    {"max_part_size": 1.0},
    {"max_part_size": "10"},
    {"unknown": 1},
]


def accepts(check: Any, value: Any) -> object:
    try:
        return check(value)
    except ValueError:
        return "rejected"


@pytest.mark.parametrize("limits", FORM_LIMITS)
def test_form_limits_checked_as_fastapi_checks_them(limits: Any) -> None:
    assert accepts(_form_limits._validate_form_limits, limits) == accepts(
        fastapi_form_limits._validate_form_limits, limits
    )


@pytest.mark.parametrize("limits", [limit for limit in FORM_LIMITS if limit is not None])
def test_form_limits_adapter_accepts_what_fastapis_does(limits: Any) -> None:
    ours = accepts(_form_limits._form_limits_adapter.validate_python, limits)
    theirs = accepts(fastapi_form_limits._form_limits_adapter.validate_python, limits)
    assert ours == theirs


@pytest.mark.parametrize("size", [None, 0, 10, -1, True, 1.5, "10"])
def test_max_body_size_validation(size: Any) -> None:
    assert accepts(_body_limit.validate_max_body_size, size) == accepts(
        fastapi_body_limit.validate_max_body_size, size
    )


def test_most_specific_limit_wins() -> None:
    assert _body_limit.get_body_size_limit(None, 5, 3) == 5
    assert _body_limit.get_body_size_limit(None, None) is None


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await PlainTextResponse(str(len(body)))(scope, receive, send)


@pytest.mark.parametrize("module", [_body_limit, fastapi_body_limit], ids=["ferroapi", "fastapi"])
def test_wrapped_app_answers_413_over_the_limit(module: Any) -> None:
    assert module.wrap_app_with_body_limit(echo_length, None) is echo_length
    client = TestClient(module.wrap_app_with_body_limit(echo_length, 4))
    assert client.post("/", content=b"1234").text == "4"
    over = client.post("/", content=b"12345")
    assert over.status_code == 413
    chunked = client.post("/", content=iter([b"123", b"45"]))
    assert chunked.status_code == 413


def test_limit_errors_unwrapped_only_from_pure_groups() -> None:
    error_type = _body_limit._body_limit_errors[0]
    error = error_type()
    assert _body_limit.get_body_limit_error(error) is error
    assert _body_limit.get_body_limit_error(ExceptionGroup("g", [error])) is error
    assert _body_limit.get_body_limit_error(ExceptionGroup("g", [error, ValueError()])) is None
    assert _body_limit.get_body_limit_error(ValueError()) is None


def test_async_exit_stack_closed_after_the_app() -> None:
    events: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["fastapi_middleware_astack"].callback(events.append, "closed")
        await PlainTextResponse("ok")(scope, receive, send)
        events.append("answered")

    assert TestClient(AsyncExitStackMiddleware(app)).get("/").text == "ok"
    assert events == ["answered", "closed"]

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        assert "custom" in scope
        await PlainTextResponse("ok")(scope, receive, send)

    assert TestClient(AsyncExitStackMiddleware(named, context_name="custom")).get("/").status_code == 200
