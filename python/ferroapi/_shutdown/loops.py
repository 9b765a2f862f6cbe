"""Reaching a stream's event loop from anywhere: a drain begins in a signal handler, in another
thread (a test, an admin endpoint of another app) or on the loop itself, and each stream's part of
it must run on the loop that serves the stream. asyncio and trio (anyio's two backends)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["Call", "Spawn", "current_call_soon", "spawn"]

# Schedules a plain callback on one loop, from any thread, without waiting for it.
Call = Callable[[Callable[[], object]], object]
Spawn = Callable[[Callable[[], Coroutine[Any, Any, None]]], None]

_tasks: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


def current_call_soon() -> Call:
    """The running loop's thread-safe `call_soon`: schedules a call on the loop from another thread
    without waiting for it (a blocking call would deadlock: `ThreadHandoff.put` wakes the loop while
    holding its lock). Also a sync stream's wake (`_pipeline.streaming.producer.threadsafe_wake`)."""
    try:
        return asyncio.get_running_loop().call_soon_threadsafe
    except RuntimeError:  # not asyncio: anyio's trio backend
        call: Call = _trio().lowlevel.current_trio_token().run_sync_soon
        return call


def spawn(start: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `start()` as a task of the running loop that nobody awaits (called on the loop, from a
    callback: a drain's closing work must not run inside the code that asked for it)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: anyio's trio backend
        _trio().lowlevel.spawn_system_task(start)
        return
    task = loop.create_task(start())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _trio() -> Any:
    # trio is optional: only an app run on anyio's trio backend gets here.
    import trio

    return trio
