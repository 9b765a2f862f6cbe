"""A channel as Server-Sent Events, resumable with the `Last-Event-ID` header.

    @app.get("/rooms/{room}/events", response_class=EventSourceResponse)
    async def room_events(room: str, last_event_id: LastEventID = None):
        async for event in sse_events(broadcast, room, last_event_id):
            yield event

Each event carries its id; a reconnecting client (browsers do it by themselves) sends the last one it
saw as `Last-Event-ID` and gets what it missed from the retention window, then the live events.
`LastEventID` validates the header before the stream starts: a malformed id is a 422.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, TypeAlias

from ferroapi.broadcast._broadcast import Broadcast
from ferroapi.broadcast._errors import BroadcastUnavailable, InvalidEventId, SubscriberTooSlow
from ferroapi.broadcast._event import EVENT_ID_PATTERN
from ferroapi.param_functions import Header
from ferroapi.sse import ServerSentEvent

__all__ = ["LastEventID", "sse_events"]

# The `Last-Event-ID` request header (a parameter named `last_event_id`), checked against the ids
# the broadcast gives out; `= None` in the signature makes it optional.
LastEventID: TypeAlias = Annotated[str | None, Header(pattern=EVENT_ID_PATTERN, max_length=41)]


async def sse_events(
    broadcast: Broadcast,
    channel: str,
    last_event_id: str | None = None,
    *,
    event: str | None = None,
    retry: int | None = 1000,
) -> AsyncIterator[ServerSentEvent]:
    """The channel's events as `ServerSentEvent`s (`id` = the event's id, `raw_data` = its data as
    published, `event` = the given event name).

    When the subscriber falls behind, the backend is unreachable when the stream opens, or the
    broadcast disconnects (the app shuts down), the stream ends with a last event that carries only
    a comment naming why and `retry` (milliseconds): the client reconnects after that delay, to
    this worker or another, with its `Last-Event-ID` and catches up from the retention window.

    A malformed `last_event_id` (the header read without `LastEventID`, which would have answered
    422) ends the stream at once with the comment `: InvalidEventId` and no `retry` hint.
    """
    ServerSentEvent(event=event)  # the one field given here: validated once (a newline is an error)
    # Per event, the model is built without validation: the id is the broadcast's own `<ms>-<seq>`
    # and `raw_data` takes any string, so validating again for every subscriber would only cost.
    construct = ServerSentEvent.model_construct
    try:
        async with broadcast.subscribe(channel, last_event_id) as events:
            async for item in events:
                yield construct(raw_data=item.data, id=item.id, event=event)
        yield ServerSentEvent(comment="BroadcastClosed", retry=retry)
    except (SubscriberTooSlow, BroadcastUnavailable) as exc:
        yield ServerSentEvent(comment=type(exc).__name__, retry=retry)
    except InvalidEventId:
        yield ServerSentEvent(comment="InvalidEventId")
