"""Producers: pull the user's generator, frame each item, hand frames to the sender.

A producer runs in its own task, apart from the sender and its keepalive timer: a timer never wraps
the generator's `__anext__`, so a timeout cannot land inside user code. Sync generators are pulled in
the threadpool (`SyncPuller`: many items per job, each handed over as soon as it exists), so a slow
`next()` never blocks the event loop. Whatever ends the
stream (last item, an error, the client leaving, a send timeout), the producer's `finally` finalizes
the generator exactly once: `aclose()` / `close()`, shielded for at most `CLOSE_GRACE` seconds so the
generator's own `finally` may await its cleanup. A sync generator still inside `next()` when the
stream ends (a thread cannot be interrupted) is closed by its thread as soon as `next()` returns; the
teardown waits for that close at most `CLOSE_GRACE` seconds.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from time import monotonic
from typing import Any

import anyio
import anyio.to_thread

from ferroapi._pipeline.streaming.handoff import Handoff, ThreadHandoff
from ferroapi._shutdown.loops import current_call_soon as threadsafe_wake  # a ThreadHandoff's wake
from ferroapi.logger import logger

__all__ = ["CLOSE_GRACE", "SLICE", "produce_async", "produce_sync", "threadsafe_wake"]

CLOSE_GRACE = 5.0  # seconds a generator's own cleanup may take once the stream has ended
SLICE = 0.05  # seconds a worker-thread job pulls a sync generator before it returns its thread

_DONE: Any = object()
_FULL: Any = object()
_SLICE: Any = object()

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


class SyncPuller:
    """Pulls a sync generator in worker-thread jobs, many items per job; closed exactly once.

    A job (`pull`, in a worker thread) calls `next()`, frames the item (validation and serialization
    also run off the loop) and puts the frame into the `ThreadHandoff` at once, so an item is sent as
    soon as it exists however long the next `next()` blocks. A job ends when the batch is full (the
    loop waits for room without holding a thread), after `SLICE` seconds (the thread goes back to the
    pool, so long streams take turns with other threadpool work), or when the stream ends. The
    generator is closed in a worker thread: by the job that ends it (exhausted, failed, or abandoned
    while inside `next()`), or by a close job when no job is running; the loop waits for that close
    (at most `CLOSE_GRACE`) before the route's teardown.
    """

    __slots__ = ("_closing", "_lock", "closed", "frame", "generator", "handoff", "running")

    def __init__(self, generator: Iterator[Any], frame: Frame, handoff: ThreadHandoff) -> None:
        self.generator = iter(generator)  # each job resumes where the last one stopped
        self.frame = frame
        self.handoff = handoff
        self._lock = threading.Lock()
        self.running = False
        self.closed = False
        self._closing: anyio.Event | None = None  # set when an abandoned job has closed the generator

    def pull(self) -> Any:  # in a worker thread: _FULL, _SLICE, _DONE or the exception that ended it
        with self._lock:
            if self.closed:
                return _DONE
            self.running = True
        frame, put = self.frame, self.handoff.put
        outcome: Any = _DONE
        deadline = monotonic() + SLICE
        try:
            for item in self.generator:
                if put(frame(item)):
                    outcome = _FULL
                    break
                if monotonic() >= deadline:
                    outcome = _SLICE
                    break
        except Exception as exc:  # surfaced by the sender, after the frames before it
            outcome = exc
        finally:
            ended = outcome is not _FULL and outcome is not _SLICE  # includes a BaseException
            with self._lock:
                self.running = False
                if self.closed:  # the stream ended while this thread was inside next()
                    ended = True
                self.closed = self.closed or ended
                closing, self._closing = self._closing, None
            if ended:
                self._close_now()
            if closing is not None:
                self.handoff.wake(closing.set)
        return outcome

    def _close_now(self) -> None:
        close = getattr(self.generator, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                logger.exception("Error while closing a streaming endpoint's generator")

    async def close(self) -> None:
        """On the loop, once the stream has ended: close the generator, or let the job inside
        `next()` close it as soon as `next()` returns; either way wait at most `CLOSE_GRACE`."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            if self.running:
                closing = self._closing = anyio.Event()
            else:
                closing = None
        with anyio.move_on_after(CLOSE_GRACE, shield=True):
            if closing is None:
                await anyio.to_thread.run_sync(self._close_now, abandon_on_cancel=True)
            else:
                await closing.wait()


async def produce_sync(items: Iterator[Any], frame: Frame, handoff: ThreadHandoff) -> None:
    puller = SyncPuller(items, frame, handoff)
    run = anyio.to_thread.run_sync
    try:
        while True:
            outcome = await run(puller.pull, abandon_on_cancel=True)
            if outcome is _FULL:
                await handoff.room()
            elif outcome is _DONE:
                handoff.finish()
                return
            elif outcome is not _SLICE:
                handoff.finish(outcome)
                return
    finally:
        handoff.close()
        await puller.close()
