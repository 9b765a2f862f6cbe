"""Learning that the server began shutting down: the process's SIGTERM/SIGINT handlers, chained.

An app cannot rely on the ASGI `lifespan.shutdown` message to start draining: uvicorn sends it only
after every connection has ended or its graceful timeout has run out (having closed websockets with
1012 and left SSE streams open until then), granian's workers when their serving has stopped. Both
install their signal handlers before the app's lifespan starts, so once the startup completed the
app puts its own handler in front of the server's (`install`):

- a first SIGTERM/SIGINT begins the drain of every app of the process, on the loop that ran the
  lifespan, and hands the signal to the server's handler once no stream or websocket is open any
  more, or after `timeout` seconds at most: the server's shutdown then finds nothing left to wait
  for, and exits at once instead of at its graceful timeout;
- a second signal meanwhile (Ctrl+C twice) goes to the server's handler at once, after the pending
  one, as if nothing stood in between.

Only a handler the server installed from Python is chained (uvicorn's `handle_exit`, granian's and
asyncio's `add_signal_handler`; a server using the latter also learns of the signal from the loop's
wakeup fd, at once: its shutdown then runs alongside the drain). The default handlers (SIG_DFL, SIG_IGN,
Python's `default_int_handler`) and handlers set outside Python are left alone, and nothing is
installed outside the main thread (TestClient runs the lifespan in a thread of its own).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from time import monotonic
from types import FrameType
from typing import Any

import anyio

from ferroapi._shutdown.loops import Call, current_call_soon, spawn
from ferroapi._shutdown.registry import drain_all, open_members
from ferroapi.logger import logger

__all__ = ["DEFAULT_DRAIN_TIMEOUT", "SignalChain", "install"]

HANDLED = (signal.SIGINT, signal.SIGTERM)
DEFAULT_DRAIN_TIMEOUT = 5.0  # seconds the server's handler may wait for the streams to end
_POLL = 0.01

Handler = Callable[[int, FrameType | None], Any]


def _chainable(handler: object) -> bool:
    return callable(handler) and handler is not signal.default_int_handler


class SignalChain:
    """This process's handlers in front of the server's, from `install` to `uninstall`."""

    def __init__(self, previous: dict[int, Handler], call_soon: Call, timeout: float) -> None:
        self.previous = previous
        self.call_soon = call_soon
        self.timeout = timeout
        self.pending: int | None = None  # the signal held back while the drain runs
        self.forwarded = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is not None or self.forwarded:
            self.forward()  # the held-back signal first: the server sees the signals in order
            self.previous[signum](signum, frame)
            return
        self.pending = signum
        try:
            self.call_soon(self._start)
        except RuntimeError:  # the loop is gone: nothing to drain, the server decides
            self.forward()

    def _start(self) -> None:
        drain_all()
        spawn(self._forward_when_drained)

    async def _forward_when_drained(self) -> None:
        deadline = monotonic() + self.timeout
        try:
            while open_members() and monotonic() < deadline:
                await anyio.sleep(_POLL)
        finally:
            self.forward()

    def forward(self) -> None:
        """Hand the held-back signal to the server's handler (once)."""
        signum, self.pending = self.pending, None
        if signum is None:
            return
        self.forwarded = True
        try:
            self.previous[signum](signum, None)
        except Exception:  # the server's handler: its failure must not hide the signal
            logger.exception("The server's signal handler failed")

    def uninstall(self) -> None:
        """Give the server its handlers back, where ours is still the one installed."""
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self.previous.items():
            if signal.getsignal(signum) == self.handle:
                signal.signal(signum, previous)


def install(timeout: float = DEFAULT_DRAIN_TIMEOUT) -> SignalChain | None:
    """Chain the server's SIGTERM/SIGINT handlers (on the loop that runs the lifespan), or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous: dict[int, Handler] = {}
    signum: int
    for signum in HANDLED:
        handler = signal.getsignal(signum)
        if _chainable(handler):
            previous[signum] = handler  # type: ignore[assignment]  # callable: checked above
    if not previous:
        return None
    chain = SignalChain(previous, current_call_soon(), timeout)
    for signum in previous:
        signal.signal(signum, chain.handle)
    return chain
