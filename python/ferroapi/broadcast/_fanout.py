"""The subscribers of this process, by channel, and the delivery of live events to them.

A backend hands every live event of an open channel to `Fanout.dispatch`, in id order. Each
subscriber has a bounded buffer; one that is full when an event arrives is ended (it is too slow)
rather than blocking the others or growing without bound: its subscription raises
`SubscriberTooSlow` once it has read what it had buffered, and a new subscription from its last id
catches up from the retention window.

`dispatch` never awaits: registering a subscriber and reading the channel's position happen in one
step of the event loop, so every event after that position reaches the new subscriber's buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ferroapi.broadcast._event import Event, EventKey

__all__ = ["Channel", "Fanout", "Subscriber"]


class Subscriber:
    """One subscription's buffer: written by `Fanout.dispatch`, read by the subscription."""

    __slots__ = ("overflowed", "receive", "send")

    def __init__(self, buffer: int) -> None:
        self.send: MemoryObjectSendStream[Event]
        self.receive: MemoryObjectReceiveStream[Event]
        self.send, self.receive = anyio.create_memory_object_stream[Event](buffer)
        self.overflowed = False

    def offer(self, event: Event) -> bool:
        """Buffer the event; False (and the subscriber ended) when the buffer is full or closed."""
        try:
            self.send.send_nowait(event)
        except anyio.WouldBlock:
            self.overflowed = True
            self.send.close()
            return False
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return False
        return True


@dataclass(eq=False)
class Channel:
    """An open channel: its subscribers here and the id of the last event delivered to them."""

    name: str
    position: EventKey = (0, 0)
    subscribers: set[Subscriber] = field(default_factory=set)
    # Set once the backend has read the channel's position; later subscribers wait for it.
    ready: anyio.Event = field(default_factory=anyio.Event)
    # Set (before `ready`) when the backend could not read the position: the waiters give up too.
    failed: bool = False


class Fanout:
    """Channel name -> `Channel`, for the channels with at least one subscriber in this process."""

    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}

    def dispatch(self, channel: str, events: list[Event]) -> None:
        """Deliver events (in id order) to the channel's subscribers; an id at or before the
        channel's position was delivered already (a read that raced a re-open) and is skipped."""
        state = self.channels.get(channel)
        if state is None or not state.ready.is_set():
            return
        for event in events:
            if event.key <= state.position:
                continue
            state.position = event.key
            # A subscriber that could not take the event is ended and leaves the channel.
            ended = [sub for sub in state.subscribers if not sub.offer(event)]
            if ended:
                state.subscribers.difference_update(ended)

    def close_all(self) -> None:
        """End every subscription (the broadcast is disconnecting): they stop after their buffer."""
        for state in self.channels.values():
            for sub in state.subscribers:
                sub.send.close()
            state.subscribers.clear()
            state.ready.set()
        self.channels.clear()
