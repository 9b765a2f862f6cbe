"""The broadcast's errors: each one says what happened and what the caller can do about it.

`BroadcastUnavailable` and `InvalidEventId` are also HTTP exceptions (503 and 400): raised in an
endpoint, before a response has started, they become a clear answer instead of a 500.
"""

from __future__ import annotations

from ferroapi.exceptions import HTTPException

__all__ = ["BroadcastError", "BroadcastUnavailable", "InvalidEventId", "SubscriberTooSlow"]


class BroadcastError(Exception):
    """Base class of the broadcast's errors."""


class BroadcastUnavailable(BroadcastError, HTTPException):
    """The backend (Redis) did not answer in time: the event was not published (or the subscription
    not opened). Retrying later is safe; in an endpoint this is a 503 with `Retry-After: 1`."""

    def __init__(self, detail: str) -> None:
        HTTPException.__init__(self, status_code=503, detail=detail, headers={"Retry-After": "1"})


class InvalidEventId(BroadcastError, HTTPException, ValueError):
    """A `Last-Event-ID` that is not an id this broadcast gave out (`<milliseconds>-<sequence>`).
    In an endpoint this is a 400; the `LastEventID` header type makes it a 422 before the stream starts."""

    def __init__(self, value: str) -> None:
        HTTPException.__init__(
            self, status_code=400, detail=f"malformed event id {value[:64]!r}: expected <ms>-<seq>"
        )


class SubscriberTooSlow(BroadcastError):
    """The subscriber's buffer filled up: it is ended, after the events it had buffered.

    `last_event_id` is the last event it received: subscribing again with it replays what was missed
    from the retention window (an SSE client does that by itself with `Last-Event-ID`)."""

    def __init__(self, channel: str, last_event_id: str | None) -> None:
        super().__init__(f"subscriber of {channel!r} fell behind; resume after {last_event_id!r}")
        self.channel = channel
        self.last_event_id = last_event_id
