"""Who drains: one `Drain` per app, holding its open SSE streams and websockets.

A stream or websocket `join`s the drain of the app serving it (`scope["app"]`) when it opens and
`leave`s when it ends, whatever ends it; that is all it costs while nothing drains (a lock, a set
insert and removal, once per stream: ordinary requests never come here). `begin()` (from any thread)
runs every member's `on_drain` on the member's own loop; a member that joins while the drain is on
gets its `on_drain` at once (a stream opened during the drain ends as soon as it starts, so its
client reconnects elsewhere). A lifespan startup of the app `reset`s its drain (a new serve).

The state is per process (and per app in it): a signal drains every app of the process
(`drain_all`), `FerroAPI.drain()` one app and the apps mounted in it (`begin_drains`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import Scope

from ferroapi._shutdown.loops import Call, current_call_soon
from ferroapi.logger import logger

__all__ = [
    "Drain",
    "Member",
    "begin_drains",
    "drain_all",
    "drain_of",
    "drain_of_app",
    "drains_under",
    "open_members",
]


class Member:
    """One open stream or websocket: what to run on its loop when the drain begins."""

    __slots__ = ("call_soon", "on_drain")

    def __init__(self, on_drain: Callable[[], object], call_soon: Call) -> None:
        self.on_drain = on_drain
        self.call_soon = call_soon

    def notify(self) -> None:
        try:
            self.call_soon(self.on_drain)
        except RuntimeError:  # its loop is closed: the stream is gone with it
            logger.debug("A drained stream's event loop is closed")


class Drain:
    __slots__ = ("__weakref__", "_lock", "draining", "members")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.members: set[Member] = set()
        self.draining = False

    def join(self, on_drain: Callable[[], object]) -> Member:
        """Register a stream (on its loop); `on_drain` runs there once the drain begins."""
        member = Member(on_drain, current_call_soon())
        with self._lock:
            self.members.add(member)
            draining = self.draining
        if draining:
            member.notify()
        return member

    def leave(self, member: Member) -> None:
        with self._lock:
            self.members.discard(member)

    @contextmanager
    def joined(self, on_drain: Callable[[], object]) -> Iterator[Member]:
        """`join` for the block's duration: `leave` whatever ends it."""
        member = self.join(on_drain)
        try:
            yield member
        finally:
            self.leave(member)

    def begin(self) -> None:
        """Start draining (idempotent, from any thread, never waits)."""
        with self._lock:
            if self.draining:
                return
            self.draining = True
            members = list(self.members)
        for member in members:
            member.notify()

    def reset(self) -> None:
        """A new serve of the app starts: streams opened from now on are served normally."""
        with self._lock:
            self.draining = False


_BY_APP: weakref.WeakKeyDictionary[Any, Drain] = weakref.WeakKeyDictionary()
_ALL: weakref.WeakSet[Drain] = weakref.WeakSet()
_PROCESS = Drain()  # streams served without an app in their scope (a bare router)
_ALL.add(_PROCESS)
_CREATE = threading.Lock()


def drain_of_app(app: Any) -> Drain:
    if app is None:
        return _PROCESS
    drain = _BY_APP.get(app)
    if drain is None:
        with _CREATE:
            drain = _BY_APP.get(app)
            if drain is None:
                try:
                    drain = _BY_APP[app] = Drain()
                except TypeError:  # not weakly referenceable: the process's drain
                    return _PROCESS
                _ALL.add(drain)
    return drain


def drains_under(app: Any) -> list[Drain]:
    """The drains of `app` and of the starlette apps mounted in it, at any depth (a mounted app's
    streams join its own drain: its scope's `app` is the mounted app). Mounted apps wrapped in
    middleware are not found."""
    drains: list[Drain] = []
    seen: set[int] = set()
    pending = [app]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        drains.append(drain_of_app(current))
        for route in getattr(current, "routes", ()):
            mounted = getattr(route, "app", None)
            if isinstance(route, Mount) and isinstance(mounted, Starlette):
                pending.append(mounted)
    return drains


def begin_drains(app: Any) -> None:
    """Begin draining `app` and the apps mounted in it (`FerroAPI.drain()`, a lifespan shutdown)."""
    for drain in drains_under(app):
        drain.begin()


def drain_of(scope: Scope) -> Drain:
    """The drain of the app serving this connection."""
    return drain_of_app(scope.get("app"))


def drain_all() -> None:
    """Begin draining every app of the process (the process is about to stop)."""
    for drain in list(_ALL):
        drain.begin()


def open_members() -> int:
    """Streams and websockets still open, over every app of the process."""
    return sum(len(drain.members) for drain in list(_ALL))
