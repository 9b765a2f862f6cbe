"""The bounded hand-off between a stream's producer and its sender.

One pending batch (size-bounded, in items and bytes): the producer appends frames while the sender
is busy; the sender takes all of them at once and sends them as one ASGI message. A generator that is
always ready therefore fills a batch before it yields to the sender (few sends, few task switches);
one that waits between items is sent item by item as soon as the sender runs. When the batch is full
the producer waits: memory stays bounded however fast the generator and however slow the client.
"""

from __future__ import annotations

import anyio

__all__ = ["Handoff"]

MAX_ITEMS = 256
MAX_BYTES = 64 * 1024


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

    # ---- sender side ------------------------------------------------------------------------------
    def take(self) -> list[bytes]:
        """Every pending frame (possibly none), making room for the producer."""
        frames = self.frames
        if frames:
            self.frames = []
            self.size = 0
            space = self._space
            if space is not None:
                self._space = None
                space.set()
        return frames

    async def wait(self) -> None:
        """Until a frame is pending or the producer ended."""
        if not self.frames and not self.done:
            ready = self._ready = anyio.Event()
            await ready.wait()
