"""Producers: pull the user's generator, frame each item, hand frames to the sender.

A producer runs in its own task, apart from the sender and its keepalive timer: a timer never wraps
the generator's `__anext__`, so a timeout cannot land inside user code. Sync generators step in the
threadpool, one `next()` per call, so a slow `next()` never blocks the event loop. Whatever ends the
stream (last item, an error, the client leaving, a send timeout), the producer's `finally` finalizes
the generator exactly once: `aclose()` / `close()`, shielded for at most `CLOSE_GRACE` seconds so the
generator's own `finally` may await its cleanup. A sync generator still inside `next()` when the
stream ends (a thread cannot be interrupted) is closed by its thread as soon as `next()` returns.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import anyio.to_thread

from ferroapi._pipeline.streaming.handoff import Handoff
from ferroapi.logger import logger

__all__ = ["CLOSE_GRACE", "produce_async", "produce_sync"]

CLOSE_GRACE = 5.0  # seconds a generator's own cleanup may take once the stream has ended

Frame = Callable[[Any], bytes]


async def produce_async(items: AsyncIterator[Any], frame: Frame, handoff: Handoff) -> None:
    try:
        async for item in items:
            if handoff.put(frame(item)):
                await handoff.room()
    except Exception as exc:  # surfaced by the sender, after the frames before it
        handoff.finish(exc)
    else:
        handoff.finish()
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            with anyio.move_on_after(CLOSE_GRACE, shield=True):
                await _quietly(aclose)


async def _quietly(close: Callable[[], Any]) -> None:
    try:
        await close()
    except Exception:  # the stream's outcome is already decided; do not mask it
        logger.exception("Error while closing a streaming endpoint's generator")


_DONE: Any = object()


class SyncSteps:
    """`next()` of a sync generator, one call per threadpool job; closed exactly once."""

    __slots__ = ("_lock", "closed", "generator", "running")

    def __init__(self, generator: Iterator[Any]) -> None:
        self.generator = generator
        self._lock = threading.Lock()
        self.running = False
        self.closed = False

    def step(self) -> Any:  # in a worker thread
        with self._lock:
            if self.closed:
                return _DONE
            self.running = True
        try:
            item = next(self.generator, _DONE)
            if item is _DONE:
                self.closed = True  # exhausted: nothing left to close
            return item
        finally:
            with self._lock:
                self.running = False
                abandoned = self.closed
            if abandoned:  # the stream ended while this thread was inside next()
                self._close_now()

    def _close_now(self) -> None:
        close = getattr(self.generator, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                logger.exception("Error while closing a streaming endpoint's generator")

    async def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            running = self.running
        if not running:
            with anyio.move_on_after(CLOSE_GRACE, shield=True):
                await anyio.to_thread.run_sync(self._close_now, abandon_on_cancel=True)


async def produce_sync(items: Iterator[Any], frame: Frame, handoff: Handoff) -> None:
    steps = SyncSteps(items)
    run = anyio.to_thread.run_sync
    try:
        while True:
            item = await run(steps.step, abandon_on_cancel=True)
            if item is _DONE:
                break
            if handoff.put(frame(item)):
                await handoff.room()
    except Exception as exc:
        handoff.finish(exc)
    else:
        handoff.finish()
    finally:
        await steps.close()
