"""`memory://`: one process. Each channel keeps its last `retention` events in a deque; `publish`
dispatches to this process's subscribers directly. For tests and single-worker deployments.

As Redis' `EXPIRE` does with a channel's stream, a channel nobody published to for `idle_expiry`
seconds is dropped (with its retained events), so channels named per user or per room do not keep
memory for good."""

from __future__ import annotations

import time
from collections import OrderedDict, deque

from ferroapi.broadcast._event import Event, EventKey, event_id
from ferroapi.broadcast._fanout import Fanout

__all__ = ["MemoryBackend"]


class MemoryBackend:
    def __init__(self, fanout: Fanout, *, retention: int, idle_expiry: int) -> None:
        self._fanout = fanout
        self._retention = retention
        self._idle_expiry = idle_expiry
        self._events: dict[str, deque[Event]] = {}
        # Channel -> when it expires (monotonic seconds), the least recently published first.
        self._expires: OrderedDict[str, float] = OrderedDict()
        self._last: EventKey = (0, 0)

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        self._events.clear()
        self._expires.clear()

    def _expire(self, now: float) -> None:
        """Drop the channels idle for `idle_expiry`: they are at the front, so this stops at the
        first one still live."""
        while self._expires:
            channel, expires = next(iter(self._expires.items()))
            if expires > now:
                return
            del self._expires[channel], self._events[channel]

    def _next_key(self) -> EventKey:
        # Redis' rule: the clock's milliseconds, or the last id's with the sequence + 1 when the clock
        # has not moved on (or went back), so ids only increase.
        now = time.time_ns() // 1_000_000
        ms, seq = self._last
        self._last = (now, 0) if now > ms else (ms, seq + 1)
        return self._last

    async def publish(self, channel: str, data: str) -> str:
        key = self._next_key()
        event = Event(channel=channel, id=event_id(key), data=data)
        now = time.monotonic()
        self._expire(now)
        retained = self._events.get(channel)
        if retained is None:
            retained = self._events[channel] = deque(maxlen=self._retention)
        retained.append(event)
        self._expires[channel] = now + self._idle_expiry
        self._expires.move_to_end(channel)
        self._fanout.dispatch(channel, [event])
        return event.id

    async def last_id(self, channel: str) -> EventKey:
        self._expire(time.monotonic())
        retained = self._events.get(channel)
        return retained[-1].key if retained else (0, 0)

    async def history(self, channel: str, after: EventKey, upto: EventKey) -> list[Event]:
        self._expire(time.monotonic())
        return [event for event in self._events.get(channel, ()) if after < event.key <= upto]

    def channel_opened(self) -> None:
        pass
