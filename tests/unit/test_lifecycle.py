"""`Lifecycle.run`, the one runner of a connection's exit stacks (HTTP routes, websockets, frontends).

FastAPI's order: the function-scoped stack closes around the handler, before anything is sent; the
request-scoped stack closes after the response was sent. A teardown that swallows the error raised in
its scope leaves nothing to send: the caller's `swallowed()` error is raised instead (what an HTTP
route answers), or, without one, the connection ends there (websockets, frontends).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import anyio
import pytest
from starlette.types import Message, Receive, Scope, Send

from ferroapi._lifecycle import Lifecycle

Events = list[str]


class Swallowed(Exception):
    pass


def exit_recorder(events: Events, name: str, *, swallow: bool = False) -> Any:
    async def on_exit(
        exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        events.append(f"{name} exits ({type(exc).__name__ if exc else 'ok'})")
        return swallow

    return on_exit


class RecordedResponse:
    def __init__(self, events: Events, lifecycle: Lifecycle, *, fail: bool = False) -> None:
        self.events = events
        self.lifecycle = lifecycle
        self.fail = fail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.events.append(f"send (gc paused: {self.lifecycle.gc_pause_token is not None})")
        if self.fail:
            raise RuntimeError("the client went away")


async def no_receive() -> Message:
    raise AssertionError("not read")


async def no_send(message: Message) -> None:
    raise AssertionError("not sent")


def run(lifecycle: Lifecycle, handler: Any, swallowed: Any = None) -> None:
    anyio.run(lambda: lifecycle.run(handler, "connection", {}, no_receive, no_send, swallowed))


def test_function_stack_closes_before_the_send_and_request_stack_after() -> None:
    events: Events = []
    lifecycle = Lifecycle()

    async def handler(connection: str) -> RecordedResponse:
        lifecycle.function_stack.push_async_exit(exit_recorder(events, "function"))
        lifecycle.request_stack.push_async_exit(exit_recorder(events, "request"))
        lifecycle.pause_gc()
        events.append(f"handler({connection})")
        return RecordedResponse(events, lifecycle)

    run(lifecycle, handler)
    assert events == [
        "handler(connection)",
        "function exits (ok)",
        "send (gc paused: False)",
        "request exits (ok)",
    ]
    assert lifecycle.sending


def test_a_handler_returning_nothing_sends_nothing() -> None:
    events: Events = []
    lifecycle = Lifecycle()

    async def handler(connection: str) -> None:
        lifecycle.request_stack.push_async_exit(exit_recorder(events, "request"))

    run(lifecycle, handler)
    assert events == ["request exits (ok)"]
    assert not lifecycle.sending


def test_an_error_goes_through_both_stacks_and_out() -> None:
    events: Events = []
    lifecycle = Lifecycle()

    async def handler(connection: str) -> None:
        lifecycle.function_stack.push_async_exit(exit_recorder(events, "function"))
        lifecycle.request_stack.push_async_exit(exit_recorder(events, "request"))
        raise ValueError("endpoint failed")

    with pytest.raises(ValueError, match="endpoint failed"):
        run(lifecycle, handler)
    assert events == ["function exits (ValueError)", "request exits (ValueError)"]


@pytest.mark.parametrize("with_error", [False, True])
def test_an_error_swallowed_by_a_function_scoped_teardown(with_error: bool) -> None:
    events: Events = []
    lifecycle = Lifecycle()

    async def handler(connection: str) -> None:
        lifecycle.function_stack.push_async_exit(exit_recorder(events, "function", swallow=True))
        lifecycle.request_stack.push_async_exit(exit_recorder(events, "request"))
        raise ValueError("endpoint failed")

    if with_error:
        # The caller's error takes the place of the missing response; request teardowns see it.
        with pytest.raises(Swallowed):
            run(lifecycle, handler, Swallowed)
        assert events == ["function exits (ValueError)", "request exits (Swallowed)"]
    else:
        run(lifecycle, handler)
        assert events == ["function exits (ValueError)", "request exits (ok)"]
    assert not lifecycle.sending


@pytest.mark.parametrize("with_error", [False, True])
def test_an_error_while_sending_swallowed_by_a_request_scoped_teardown(with_error: bool) -> None:
    events: Events = []
    lifecycle = Lifecycle()

    async def handler(connection: str) -> RecordedResponse:
        lifecycle.request_stack.push_async_exit(exit_recorder(events, "request", swallow=True))
        return RecordedResponse(events, lifecycle, fail=True)

    if with_error:
        with pytest.raises(Swallowed):
            run(lifecycle, handler, Swallowed)
    else:
        run(lifecycle, handler)
    assert events == ["send (gc paused: False)", "request exits (RuntimeError)"]
    assert lifecycle.sending
