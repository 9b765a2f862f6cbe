"""`FramedStream`: the ASGI response of the JSON Lines and SSE lanes.

It owns every task of the stream in one task group, entered and left inside the response call: the
producer (user generator -> frames), a watcher for the client's `http.disconnect`, and, in the calling
task, the sender. The sender takes every ready frame as one batch and sends it as one message; on an
idle SSE stream it sends a keepalive comment every `keepalive` seconds; a send that blocks longer than
`send_timeout` (a client that stopped reading) ends the stream; an SSE stream of an app that drains
ends after the frames already handed off and a `retry:` hint (`draining.py`). When the call returns,
all tasks have ended and the generator is finalized; the route's exit stacks (yield dependencies)
close after it.

An item that fails (validation, or the generator raising) is surfaced after the frames before it were
sent, as a bare exception (not a group), and the response is left incomplete, as FastAPI leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from anyio.abc import TaskGroup
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from ferroapi._ferroapi import KEEPALIVE_COMMENT
from ferroapi._pipeline.streaming.disconnect import watches_disconnect
from ferroapi._pipeline.streaming.draining import until_drained
from ferroapi._pipeline.streaming.handoff import Handoff
from ferroapi.logger import logger

__all__ = ["FramedStream"]

Produce = Callable[[Handoff], Coroutine[Any, Any, None]]


class FramedStream(StreamingResponse):
    """A streaming response fed by a producer task through a bounded `Handoff`."""

    def __init__(
        self,
        produce: Produce,
        join: Callable[[list[bytes]], bytes],
        *,
        media_type: str,
        status_code: int = 200,
        background: BackgroundTask | None = None,
        keepalive: float | None = None,
        send_timeout: float | None = None,
        handoff: Callable[[], Handoff] = Handoff,
        drain_retry: int | None = None,
    ) -> None:
        self.status_code = status_code
        self.media_type = media_type
        self.background = background
        self.init_headers(None)
        self.produce = produce
        self.join = join
        self.keepalive = keepalive
        self.send_timeout = send_timeout
        self.handoff = handoff  # called on the loop, once per response call
        self.drain_retry = drain_retry  # SSE: ends with `retry: <ms>` when the app drains (draining.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handoff = self.handoff()
        outcome = _Outcome()
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with anyio.create_task_group() as tasks:
            # Before ASGI 2.4 only receive() tells of a disconnect; from 2.4 send should raise
            # OSError, but a server's may not: watched whenever no body bytes can be taken.
            if watches_disconnect(scope):
                tasks.start_soon(_watch_disconnect, receive, tasks, outcome)
            retry, produce = self.drain_retry, self.produce
            tasks.start_soon(produce if retry is None else until_drained(produce, scope, retry), handoff)
            await self._send_all(send, handoff, outcome)
            tasks.cancel_scope.cancel()
        if outcome.error is not None:
            raise outcome.error
        if self.background is not None and (outcome.complete or outcome.disconnected):
            await self.background()  # as starlette does, also after a disconnect

    async def _send_all(self, send: Send, handoff: Handoff, outcome: _Outcome) -> None:
        keepalive, join = self.keepalive, self.join
        while True:
            frames = handoff.take()
            if frames:
                body = join(frames)
            elif handoff.done:
                break
            elif keepalive is None:
                await handoff.wait()
                continue
            else:
                with anyio.move_on_after(keepalive) as idle:
                    await handoff.wait()
                if not idle.cancelled_caught:
                    continue
                body = KEEPALIVE_COMMENT
            if not await self._send_body(send, body, outcome):
                return
        if handoff.error is not None:
            outcome.error = handoff.error
            return
        if await self._send_body(send, b"", outcome, more_body=False):
            outcome.complete = True

    async def _send_body(self, send: Send, body: bytes, outcome: _Outcome, more_body: bool = True) -> bool:
        message = {"type": "http.response.body", "body": body, "more_body": more_body}
        try:
            if self.send_timeout is None:
                await send(message)
            else:
                with anyio.fail_after(self.send_timeout):
                    await send(message)
        except TimeoutError:
            logger.warning("Streaming response ended: the client read nothing for %ss", self.send_timeout)
            return False
        except OSError:  # ASGI 2.4: the server reports a client that went away
            outcome.error = ClientDisconnect()
            return False
        return True


class _Outcome:
    __slots__ = ("complete", "disconnected", "error")

    def __init__(self) -> None:
        self.complete = False
        self.disconnected = False
        self.error: Exception | None = None


async def _watch_disconnect(receive: Receive, tasks: TaskGroup, outcome: _Outcome) -> None:
    while True:
        message: Any = await receive()
        if message["type"] == "http.disconnect":
            outcome.disconnected = True
            tasks.cancel_scope.cancel()
            return
