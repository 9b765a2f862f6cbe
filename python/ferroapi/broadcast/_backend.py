"""What a broadcast backend does; `Broadcast` picks one by the URL's scheme."""

from __future__ import annotations

from typing import Protocol

from ferroapi.broadcast._event import Event, EventKey

__all__ = ["Backend"]


class Backend(Protocol):
    """A backend stores each channel's recent events and feeds the live ones to the `Fanout` it was
    built with (`Fanout.dispatch`), for the channels open there."""

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, data: str) -> str:
        """Append the event; its id. `BroadcastUnavailable` if it could not be stored in time."""
        ...

    async def last_id(self, channel: str) -> EventKey:
        """The id of the channel's newest event, `(0, 0)` when it has none: where live delivery of a
        newly opened channel starts."""
        ...

    async def history(self, channel: str, after: EventKey, upto: EventKey) -> list[Event]:
        """The retained events with `after < id <= upto`, oldest first."""
        ...

    def channel_opened(self) -> None:
        """A channel was added to the fanout: start reading it (the memory backend has nothing to do)."""
        ...
