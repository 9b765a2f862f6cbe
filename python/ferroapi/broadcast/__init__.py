"""Broadcast: publish events on named channels and deliver them to every subscriber, in this
process (`memory://`) or in every worker sharing a Redis (`redis://`, `pip install 'ferroapi[redis]'`),
with ids, a bounded retention window for resumption (`Last-Event-ID`), and helpers for SSE and
websockets. See docs/broadcast.md.
"""

from ferroapi.broadcast._broadcast import Broadcast, Subscription
from ferroapi.broadcast._errors import BroadcastError, BroadcastUnavailable, InvalidEventId, SubscriberTooSlow
from ferroapi.broadcast._event import EVENT_ID_PATTERN, Event
from ferroapi.broadcast._sse import LastEventID, sse_events
from ferroapi.broadcast._websocket import join_room

__all__ = [
    "EVENT_ID_PATTERN",
    "Broadcast",
    "BroadcastError",
    "BroadcastUnavailable",
    "Event",
    "InvalidEventId",
    "LastEventID",
    "SubscriberTooSlow",
    "Subscription",
    "join_room",
    "sse_events",
]
