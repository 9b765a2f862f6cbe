"""Async yield dependencies driven directly: on a bare asyncio task (no anyio cancel scope, as under a
plain server) and inside anyio scopes (the TestClient's case), with the same outcomes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest

from ferroapi import Depends, FerroAPI, HTTPException
from ferroapi.dependencies.yielding import outside_cancel_scopes


async def call(app: Any, path: str) -> tuple[int, bytes]:
    """One GET through the ASGI interface, in the current task."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
        "headers": [], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


def build(log: list[str]) -> FerroAPI:
    app = FerroAPI()

    async def plain() -> AsyncIterator[str]:
        log.append("enter")
        yield "value"
        log.append("exit")

    async def catches() -> AsyncIterator[None]:
        try:
            yield
        except ValueError as exc:
            log.append(f"caught {exc}")
            raise

    async def after_yield() -> AsyncIterator[None]:
        yield
        raise HTTPException(status_code=418, detail="after yield")

    async def never_stops() -> AsyncIterator[None]:
        yield
        yield

    async def in_function_scope() -> AsyncIterator[None]:
        log.append("enter f")
        yield
        log.append("exit f")

    @app.get("/plain")
    async def plain_route(value: str = Depends(plain)) -> str:
        return value

    @app.get("/raises")
    async def raises(_: None = Depends(catches)) -> None:
        raise ValueError("boom")

    @app.get("/after")
    async def after(_: None = Depends(after_yield)) -> None:
        return None

    @app.get("/never-stops")
    async def never(_: None = Depends(never_stops)) -> None:
        return None

    @app.get("/function")
    async def function(_: None = Depends(in_function_scope, scope="function")) -> None:
        log.append("endpoint")

    return app


Runner = Callable[[Callable[[], Awaitable[None]]], None]


def on_bare_asyncio(main: Callable[[], Awaitable[None]]) -> None:
    async def task() -> None:
        assert outside_cancel_scopes()
        await main()

    asyncio.run(task())


def in_cancel_scope(main: Callable[[], Awaitable[None]]) -> None:
    async def task() -> None:
        with anyio.CancelScope():
            assert not outside_cancel_scopes()
            await main()

    anyio.run(task)


@pytest.mark.parametrize("run", [on_bare_asyncio, in_cancel_scope])
def test_yield_dependency_outcomes(run: Runner) -> None:
    log: list[str] = []
    app = build(log)

    async def main() -> None:
        assert await call(app, "/plain") == (200, b'"value"')
        assert log == ["enter", "exit"]
        with pytest.raises(ValueError, match="boom"):
            await call(app, "/raises")
        assert log[-1] == "caught boom"
        with pytest.raises(RuntimeError, match="response already started"):
            await call(app, "/after")  # the teardown runs once the response was sent
        with pytest.raises(RuntimeError, match="didn't stop"):
            await call(app, "/never-stops")
        log.clear()
        assert await call(app, "/function") == (200, b"null")
        assert log == ["enter f", "endpoint", "exit f"]

    run(main)


def test_outside_cancel_scopes_is_false_under_trio() -> None:
    pytest.importorskip("trio")

    async def main() -> None:
        assert not outside_cancel_scopes()

    anyio.run(main, backend="trio")


def test_teardown_is_shielded_from_an_enclosing_scope() -> None:
    """Inside an anyio scope cancelled while the teardown awaits, the teardown still completes."""
    log: list[str] = []
    scopes: list[anyio.CancelScope] = []
    app = FerroAPI()

    async def dep() -> AsyncIterator[None]:
        yield
        scopes[0].cancel()
        await anyio.sleep(0)
        log.append("teardown done")

    @app.get("/")
    async def endpoint(_: None = Depends(dep)) -> None:
        return None

    async def main() -> None:
        with anyio.CancelScope() as scope:
            scopes.append(scope)
            await call(app, "/")
            log.append("not reached: cancelled at the checkpoint after the teardown")
        log.append("after")

    anyio.run(main)
    assert log == ["teardown done", "after"]
