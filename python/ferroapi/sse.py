"""Server-Sent Events: the event model, the response class and the wire framing (native).

A generator endpoint declared with `response_class=EventSourceResponse` streams each yielded item as
one event: a `ServerSentEvent` is framed field by field, any other value is JSON-encoded into `data:`.
The framing itself runs in the native module; a newline inside `event` or `id` is rejected both here
(model validation) and there (it would let a value inject events).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Final

from pydantic import AfterValidator, BaseModel, Field, model_validator
from starlette.responses import StreamingResponse

from ferroapi import _ferroapi

__all__ = [
    "DEFAULT_PING_INTERVAL",
    "KEEPALIVE_COMMENT",
    "EventSourceResponse",
    "ServerSentEvent",
    "format_sse_event",
]

# Sent on an idle stream so proxies keep the connection open (FastAPI's interval and bytes).
KEEPALIVE_COMMENT: Final[bytes] = _ferroapi.KEEPALIVE_COMMENT
DEFAULT_PING_INTERVAL: Final[float] = 15.0
# Seconds of idle between keepalive comments; importable (and monkeypatchable) as in FastAPI.
_PING_INTERVAL: float = DEFAULT_PING_INTERVAL

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
    """A `text/event-stream` response; as `response_class` it marks a generator endpoint as SSE.

    A subclass may set the stream's settings for the routes that use it (ferroapi only; FastAPI
    ignores them), e.g. `class Live(EventSourceResponse): keepalive_interval = 5.0`:

    - `keepalive_interval`: seconds of idle before a `: ping` comment (default: the app's
      `sse_keepalive_interval`, else `_PING_INTERVAL`, 15 s);
    - `send_timeout`: seconds a send may block (a client that stopped reading) before the stream
      ends (default: the app's `stream_send_timeout`, else 60 s); `math.inf` disables it;
    - `drain_retry`: milliseconds of the `retry:` hint a stream ends with when the app drains on
      shutdown (default: the app's `sse_drain_retry`, else 1000; see docs/shutdown.md).
    """

    media_type = "text/event-stream"
    keepalive_interval: ClassVar[float | None] = None
    send_timeout: ClassVar[float | None] = None
    drain_retry: ClassVar[int | None] = None


# Validators of the event's single-line fields (FastAPI's private names).
def _check_single_line(v: str | None, field_name: str) -> str | None:
    if v is not None and ("\n" in v or "\r" in v):
        raise ValueError(f"SSE '{field_name}' must be a single line")
    return v


def _check_event_single_line(v: str | None) -> str | None:
    return _check_single_line(v, "event")


def _check_id_valid(v: str | None) -> str | None:
    if v is not None and "\0" in v:
        raise ValueError("SSE 'id' must not contain null characters")
    return _check_single_line(v, "id")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _split_sse_lines(value: str) -> list[str]:
    """`value`'s lines, split at the line ends the SSE spec knows (CRLF, CR, LF); a trailing line end
    leaves an empty last line. The native framing splits the same way; this is FastAPI's helper."""
    return _LINE_BREAK.split(value)


class ServerSentEvent(BaseModel):
    """One event. `data` is always JSON-encoded; `raw_data` is sent as is (never both)."""

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_check_event_single_line)] = None
    id: Annotated[str | None, AfterValidator(_check_id_valid)] = None
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
