"""The bounded hand-off between a stream's producer and its sender.

One pending batch (size-bounded, in items and bytes): the producer appends frames while the sender
is busy; the sender takes all of them at once and sends them as one ASGI message. A generator that is
always ready therefore fills a batch before it yields to the sender (few sends, few task switches);
one that waits between items is sent item by item as soon as the sender runs. When the batch is full
the producer waits: memory stays bounded however fast the generator and however slow the client.
`ThreadHandoff` is the same hand-off filled from a worker thread (sync generators).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import anyio

__all__ = ["Handoff", "ThreadHandoff", "Wake"]

MAX_ITEMS = 256
MAX_BYTES = 64 * 1024
HOT_POLL = 0.001  # seconds: ThreadHandoff's latency bound while frames flow


class Handoff:
    __slots__ = ("_ready", "_space", "done", "error", "frames", "max_bytes", "max_items", "size")

    def __init__(self, max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES) -> None:
        self.frames: list[bytes] = []
        self.size = 0
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.done = False
        self.error: Exception | None = None
        self._ready: anyio.Event | None = None  # set when the sender waits for frames
        self._space: anyio.Event | None = None  # set when the producer waits for room

    # ---- producer side ----------------------------------------------------------------------------
    def put(self, frame: bytes) -> bool:
        """Append one frame; True when the batch is full (the producer must `await room()`)."""
        frames = self.frames
        frames.append(frame)
        self.size += len(frame)
        ready = self._ready
        if ready is not None:
            self._ready = None
            ready.set()
        return len(frames) >= self.max_items or self.size >= self.max_bytes

    async def room(self) -> None:
        while self.frames and (len(self.frames) >= self.max_items or self.size >= self.max_bytes):
            space = self._space = anyio.Event()
            await space.wait()

    def finish(self, error: Exception | None = None) -> None:
        """No more frames: the producer ended (with `error` when it failed)."""
        self.done = True
        self.error = error
        ready = self._ready
        if ready is not None:
            self._ready = None
            ready.set()

    def finish_with(self, frame: bytes) -> None:
        """On the loop, once the producer was stopped (the app drains): `frame` is the last frame,
        sent after every frame handed off before it."""
        self.frames.append(frame)
        self.size += len(frame)
        self.finish()

    # ---- sender side ------------------------------------------------------------------------------
    def take(self) -> list[bytes]:
        """Every pending frame (possibly none), making room for the producer."""
        frames = self.frames
        if frames:
            self.frames = []
            self.size = 0
            self._release_producer()
        return frames

    def _release_producer(self) -> None:
        """Wake a producer waiting in `room()`: the sender just emptied the hand-off."""
        space = self._space
        if space is not None:
            self._space = None
            space.set()

    async def wait(self) -> None:
        """Until a frame is pending or the producer ended."""
        if not self.frames and not self.done:
            ready = self._ready = anyio.Event()
            await ready.wait()


Wake = Callable[[Callable[[], object]], object]


class ThreadHandoff(Handoff):
    """A `Handoff` filled from a worker thread (sync generators), drained by the event loop.

    `put` runs in the thread and appends under a lock; everything else (`room`, `finish`, `take`,
    `wait`) runs on the loop. Waking the loop from the thread (`wake`, e.g. `call_soon_threadsafe`,
    never waiting for it) costs a thread switch each time, so it is saved while frames flow:

    - cold (the sender waits and nothing came lately): the first frame wakes the sender at once, so a
      generator that waits between items has each item sent as soon as it exists;
    - hot (the sender just took frames): the sender polls every `HOT_POLL` seconds and the thread
      wakes it only when the batch is full. A poll that finds nothing turns the hand-off cold again,
      so an idle stream (SSE keepalive, a generator blocked in `next()`) is never polled for long.

    So a frame waits at most `HOT_POLL` (plus the GIL's switch interval) before the sender sees it.
    Once `close`d, a put never wakes the loop (which may be gone by then) and tells the thread to
    stop; its frame is kept for a drain (`finish_with`, after the thread's last put).
    """

    __slots__ = ("_hot", "_lock", "_urgent", "_wake", "closed")

    def __init__(self, wake: Wake, max_items: int = MAX_ITEMS, max_bytes: int = MAX_BYTES) -> None:
        super().__init__(max_items, max_bytes)
        self._lock = threading.Lock()
        self._wake = wake
        self._hot = False  # loop side: frames flowed at the last take, poll instead of being woken
        self._urgent = True  # the waiting sender must be woken by the next frame
        self.closed = False

    def put(self, frame: bytes) -> bool:
        """In the worker thread: True when the thread must stop pulling (batch full, or closed)."""
        with self._lock:
            frames = self.frames
            frames.append(frame)
            self.size += len(frame)
            if self.closed:
                # Kept, never waking the loop: the item was yielded before the thread learnt that
                # the stream ended, and a drain still sends it (`finish_with` comes after).
                return True
            full = len(frames) >= self.max_items or self.size >= self.max_bytes
            ready = self._ready
            if ready is not None and (full or self._urgent):
                self._ready = None
                self._wake(ready.set)  # non-blocking; under the lock so `close` orders after it
            return full

    def wake(self, call: Callable[[], object]) -> None:
        """From the worker thread: run `call` on the loop, unless the loop has already gone."""
        with contextlib.suppress(RuntimeError):  # the loop closed (asyncio), the run finished (trio)
            self._wake(call)

    def close(self) -> None:
        """On the loop, once the producer ended: the thread's puts from now on stop it and never
        wake the loop. A sender still waiting is woken by the `finish` (or a drain's `finish_with`)
        that came before or comes next; otherwise the sender is being cancelled with the producer."""
        with self._lock:
            self.closed = True

    def take(self) -> list[bytes]:
        with self._lock:
            frames = self.frames
            if not frames:
                # A new list, never the pending one: the worker thread may append to that one as soon
                # as the lock is released, and a caller that then finds a frame in what `take` gave it
                # would send it, and send it again from the next `take` (a duplicated item).
                return []
            self.frames = []
            self.size = 0
        self._hot = True
        self._release_producer()
        return frames

    async def wait(self) -> None:
        with self._lock:
            if self.frames or self.done:
                return
            ready = self._ready = anyio.Event()
            hot = self._hot
            self._urgent = not hot
        if hot:
            with anyio.move_on_after(HOT_POLL):
                await ready.wait()
                return
            with self._lock:
                if self.frames or self.done:
                    return
                self._hot = False  # nothing came for a whole poll: the next frame wakes at once
                self._urgent = True
                ready = self._ready = anyio.Event()
        await ready.wait()
