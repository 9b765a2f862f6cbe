"""Pausing CPython's cyclic GC while a large request body's objects are alive.

A JSON body holds no reference cycles, yet validating 1 MB of it creates ~20,000 tracked containers
(models, their dicts, lists). With the GC running, every ~700 of them trigger a collection that
re-scans the young objects; with the GC paused only during validation, the one collection after
resuming still traverses all of them (~2 ms for 1 MB, a quarter of the request). Held until the
route's handler has returned, the pause outlives the objects instead: when the body is freed,
CPython's young-generation count drops back by as much as it grew, and no collection ever looks at
them. Cycles made meanwhile (by the endpoint, by other requests) are collected as usual once the
GC resumes.

The GC is process-wide, so pauses are shared: the first holder disables it, the last re-enables it.
Two bounds keep the GC from staying off: a watchdog on the event loop ends any pause after
`MAX_PAUSE_SECONDS` (a slow endpoint, or overlapping large requests back to back), and after a
watchdog expiry no new pause starts for `COOLDOWN_SECONDS`. A pause found overdue when another
begins (its loop stopped before the watchdog fired) is ended there. Nothing is paused when the application
disabled the GC itself, or outside an asyncio loop (no watchdog there: trio apps pause only during
validation, see `_pipeline/body.py`).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time

__all__ = ["COOLDOWN_SECONDS", "MAX_PAUSE_SECONDS", "begin", "end"]

MAX_PAUSE_SECONDS = 0.5
COOLDOWN_SECONDS = 0.5


class _State:
    """Holders of the current pause; `epoch` names it, so a stale holder or watchdog is a no-op."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # event loops in several threads (TestClients) share the GC
        self.holders = 0
        self.epoch = 0
        self.watchdog: asyncio.TimerHandle | None = None
        self.watchdog_thread = 0
        self.started = 0.0
        self.no_pause_until = 0.0


_state = _State()


def begin() -> int | None:
    """Join (or start) the pause; returns the token for `end`, or None when nothing was paused."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    state = _state
    with state.lock:
        now = time.monotonic()
        if state.holders and now - state.started > MAX_PAUSE_SECONDS:
            _end_pause(state, now)  # overdue: its watchdog's loop stopped before the timer fired
        if state.holders == 0:
            if not gc.isenabled() or now < state.no_pause_until:
                return None
            gc.disable()
            state.epoch += 1
            state.started = now
            state.watchdog = loop.call_later(MAX_PAUSE_SECONDS, _expire, state.epoch)
            state.watchdog_thread = threading.get_ident()
        state.holders += 1
        return state.epoch


def end(token: int) -> None:
    """Leave the pause `token` joined; the last holder out re-enables the GC."""
    state = _state
    with state.lock:
        if token != state.epoch or state.holders == 0:
            return  # the watchdog already ended this pause
        state.holders -= 1
        if state.holders:
            return
        state.epoch += 1
        if state.watchdog is not None and state.watchdog_thread == threading.get_ident():
            state.watchdog.cancel()  # TimerHandle.cancel is only safe on its own loop's thread
        state.watchdog = None
        gc.enable()


def _expire(epoch: int) -> None:
    state = _state
    with state.lock:
        if epoch == state.epoch and state.holders:
            _end_pause(state, time.monotonic())


def _end_pause(state: _State, now: float) -> None:
    """Resume the GC for every holder at once (their `end` becomes a no-op); then cool down."""
    state.holders = 0
    state.epoch += 1
    state.watchdog = None
    state.no_pause_until = now + COOLDOWN_SECONDS
    gc.enable()
