"""`Broadcast`: publish to a channel, subscribe to it, resume from an event id.

broadcast = Broadcast("redis://localhost:6379/0")   # or "memory://"

async with broadcast:                                # or connect()/disconnect() in a lifespan
    event_id = await broadcast.publish("room", "hello")
    async with broadcast.subscribe("room", last_event_id=None) as events:
        async for event in events:                  # Event(channel, id, data)
            ...
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from urllib.parse import urlsplit

import anyio

from ferroapi.broadcast._backend import Backend
from ferroapi.broadcast._errors import BroadcastUnavailable, SubscriberTooSlow
from ferroapi.broadcast._event import Event, EventKey, event_id, event_key
from ferroapi.broadcast._fanout import Channel, Fanout, Subscriber
from ferroapi.broadcast._memory import MemoryBackend
from ferroapi.broadcast._redis import RedisBackend

__all__ = ["Broadcast", "Subscription"]


class Subscription:
    """The events of one channel for one subscriber: first those missed since `last_event_id`
    (from the retention window), then the live ones, each exactly once and in id order.

    Ends with `SubscriberTooSlow` (after the events it had buffered) when it fell behind by more
    than its buffer, and quietly when the broadcast disconnects."""

    def __init__(
        self, channel: str, subscriber: Subscriber, backlog: list[Event], after: EventKey | None
    ) -> None:
        self.channel = channel
        self._subscriber = subscriber
        self._backlog = deque(backlog)
        self._last = after
        self.last_event_id: str | None = None
        """The id of the last event returned: where a new subscription resumes."""
        if after is not None:
            self.last_event_id = event_id(after)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        while True:
            if self._backlog:
                event = self._backlog.popleft()
            else:
                try:
                    event = await self._subscriber.receive.receive()
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    if self._subscriber.overflowed:
                        raise SubscriberTooSlow(self.channel, self.last_event_id) from None
                    raise StopAsyncIteration from None
            key = event.key
            # The backlog ends at the channel's position and the live buffer starts after it, so
            # they do not overlap; but a `last_event_id` newer than that position (a client that
            # saw more than this worker has read yet) makes live events at or before it repeats.
            if self._last is not None and key <= self._last:
                continue
            self._last = key
            self.last_event_id = event.id
            return event


class Broadcast:
    """A broadcast channel API over a backend chosen by URL: `memory://` (this process only) or
    `redis://host:port/db` (every process sharing the Redis; needs `ferroapi[redis]`).

    Args:
        url: the backend's URL.
        buffer: events a subscriber may have unread before it is ended as too slow.
        retention: events kept per channel for `Last-Event-ID` replay (Redis trims to about this).
        timeout: seconds a Redis command may take before `BroadcastUnavailable`.
        prefix: Redis key prefix of the channels' streams.
        idle_expiry: seconds after its last publish that a channel's retained events are deleted.
        reconnect_backoff: first and largest delay, in seconds, between reconnection attempts.
    """

    def __init__(
        self,
        url: str,
        *,
        buffer: int = 256,
        retention: int = 1000,
        timeout: float = 2.0,
        prefix: str = "ferroapi:broadcast:",
        idle_expiry: int = 86_400,
        reconnect_backoff: tuple[float, float] = (0.05, 2.0),
    ) -> None:
        if buffer < 1 or retention < 1:
            raise ValueError("buffer and retention must be at least 1")
        self.url = url
        self._buffer = buffer
        self._fanout = Fanout()
        scheme = urlsplit(url).scheme
        self._backend: Backend
        if scheme == "memory":
            self._backend = MemoryBackend(self._fanout, retention=retention, idle_expiry=idle_expiry)
        elif scheme in ("redis", "rediss", "unix"):
            self._backend = RedisBackend(
                url,
                self._fanout,
                retention=retention,
                prefix=prefix,
                timeout=timeout,
                idle_expiry=idle_expiry,
                backoff=reconnect_backoff,
            )
        else:
            raise ValueError(f"unsupported broadcast URL {url!r}: use memory:// or redis://")
        self._connected = False

    async def connect(self) -> None:
        """Open the backend (`BroadcastUnavailable` if Redis does not answer within `timeout`)."""
        await self._backend.connect()
        self._connected = True

    async def disconnect(self) -> None:
        """End every subscription and close the backend."""
        self._connected = False
        self._fanout.close_all()
        await self._backend.disconnect()

    async def __aenter__(self) -> Broadcast:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.disconnect()

    def _check_connected(self) -> None:
        if not self._connected:
            raise RuntimeError("the broadcast is not connected: use `async with broadcast` or connect()")

    async def publish(self, channel: str, data: str) -> str:
        """Publish `data` on `channel`; the event's id. `BroadcastUnavailable` within `timeout` when
        the backend is down (the event was not published)."""
        self._check_connected()
        if not isinstance(data, str):
            # Checked here: redis-py would reject it as a Redis error, which is not an outage.
            raise TypeError(f"broadcast data must be a str (serialize it first), not {type(data).__name__}")
        return await self._backend.publish(channel, data)

    @asynccontextmanager
    async def subscribe(self, channel: str, last_event_id: str | None = None) -> AsyncIterator[Subscription]:
        """Subscribe to `channel`: the events after `last_event_id` still retained, then live ones.

        Without `last_event_id`, only events published from now on. A malformed id raises
        `InvalidEventId`; an id older than the retention window gets the whole window."""
        self._check_connected()
        after = event_key(last_event_id) if last_event_id is not None else None
        state = await self._open(channel)
        subscriber = Subscriber(self._buffer)
        # No await between reading the position and joining: every event after it reaches the buffer.
        position = state.position
        state.subscribers.add(subscriber)
        try:
            backlog: list[Event] = []
            if after is not None and after < position:
                backlog = await self._backend.history(channel, after, position)
            yield Subscription(channel, subscriber, backlog, after)
        finally:
            state.subscribers.discard(subscriber)
            subscriber.send.close()
            subscriber.receive.close()
            if not state.subscribers and self._fanout.channels.get(channel) is state:
                del self._fanout.channels[channel]

    async def _open(self, channel: str) -> Channel:
        """The channel's state here, opening it (reading its newest id) for its first subscriber."""
        while (state := self._fanout.channels.get(channel)) is not None:
            await state.ready.wait()
            if state.failed or not self._connected:
                raise BroadcastUnavailable(f"could not open channel {channel!r}")
            if self._fanout.channels.get(channel) is state:
                return state
            # Its opener was cancelled, or its last subscriber left since: open it anew.
        state = self._fanout.channels[channel] = Channel(channel)
        try:
            state.position = await self._backend.last_id(channel)
        except BaseException as exc:
            # The backend failed: the waiters fail with it. Cancelled: one of them opens it instead.
            state.failed = isinstance(exc, Exception)
            del self._fanout.channels[channel]
            raise
        finally:
            state.ready.set()
        self._backend.channel_opened()
        return state
