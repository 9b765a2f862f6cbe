"""One published event and its id.

Both backends give ids in Redis Streams' format, `<milliseconds>-<sequence>`, increasing per
channel: the order of two ids is the order of their events, which is how a resumed subscriber skips
what it already has. The memory backend makes them from its clock, as Redis does, so a client's
`Last-Event-ID` means the same thing whichever backend served it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from ferroapi.broadcast._errors import InvalidEventId

__all__ = ["EVENT_ID_PATTERN", "Event", "EventKey", "event_id", "event_key"]

# 20 digits hold any 64-bit integer, which is what Redis accepts for each half.
EVENT_ID_PATTERN: Final = r"^[0-9]{1,20}-[0-9]{1,20}$"
_EVENT_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")  # fullmatch: "$" would let a final newline in
_MAX_PART = 2**64 - 1

EventKey = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Event:
    """An event as a subscriber receives it."""

    channel: str
    id: str
    data: str
    # The id as a comparable pair, parsed once here rather than by each of the event's subscribers.
    key: EventKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", event_key(self.id))


def event_key(event_id: str) -> EventKey:
    """The id as a comparable pair; `InvalidEventId` when it is not `<ms>-<seq>` of 64-bit parts."""
    if not _EVENT_ID.fullmatch(event_id):
        raise InvalidEventId(event_id)
    ms, _, seq = event_id.partition("-")
    key = (int(ms), int(seq))
    if key[0] > _MAX_PART or key[1] > _MAX_PART:
        raise InvalidEventId(event_id)
    return key


def event_id(key: EventKey) -> str:
    """The id of a pair, `<ms>-<seq>`: the inverse of `event_key`."""
    return f"{key[0]}-{key[1]}"
