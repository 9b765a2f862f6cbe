"""Server-Sent Events: the event model, the response class and the wire framing (native).

A generator endpoint declared with `response_class=EventSourceResponse` streams each yielded item as
one event: a `ServerSentEvent` is framed field by field, any other value is JSON-encoded into `data:`.
The framing itself runs in the native module; a newline inside `event` or `id` is rejected both here
(model validation) and there (it would let a value inject events).
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, Field, model_validator
from starlette.responses import StreamingResponse

from ferroapi import _ferroapi

__all__ = [
    "KEEPALIVE_COMMENT",
    "EventSourceResponse",
    "ServerSentEvent",
    "format_sse_event",
]

# Sent on an idle stream so proxies keep the connection open (FastAPI's interval and bytes).
KEEPALIVE_COMMENT: Final[bytes] = _ferroapi.KEEPALIVE_COMMENT
_PING_INTERVAL: float = 15.0

# The event schema OpenAPI documents for an SSE stream (OpenAPI 3.2, "Server-Sent Events").
_SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


class EventSourceResponse(StreamingResponse):
    """A `text/event-stream` response; as `response_class` it marks a generator endpoint as SSE."""

    media_type = "text/event-stream"


def _single_line(value: str | None, name: str) -> str | None:
    if value is not None and ("\n" in value or "\r" in value):
        raise ValueError(f"SSE '{name}' must be a single line")
    return value


def _valid_event(value: str | None) -> str | None:
    return _single_line(value, "event")


def _valid_id(value: str | None) -> str | None:
    if value is not None and "\0" in value:
        raise ValueError("SSE 'id' must not contain null characters")
    return _single_line(value, "id")


class ServerSentEvent(BaseModel):
    """One event. `data` is always JSON-encoded; `raw_data` is sent as is (never both)."""

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_valid_event)] = None
    id: Annotated[str | None, AfterValidator(_valid_id)] = None
    retry: Annotated[int | None, Field(ge=0)] = None
    comment: str | None = None

    @model_validator(mode="after")
    def _data_or_raw_data(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError(
                "Cannot set both 'data' and 'raw_data' on the same ServerSentEvent. Use 'data' for "
                "JSON-serialized payloads or 'raw_data' for pre-formatted strings."
            )
        return self


def format_sse_event(
    *,
    data_str: str | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Frame one event from an already-serialized `data_str`; the result ends with a blank line."""
    return _ferroapi.format_sse_event(data_str=data_str, event=event, id=id, retry=retry, comment=comment)
