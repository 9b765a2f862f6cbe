"""Item framing for the two framed lanes: JSON Lines and Server-Sent Events (native framing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ferroapi import sse
from ferroapi._ferroapi import format_sse_event, join_json_lines
from ferroapi._pipeline.json_text import model_json
from ferroapi._pipeline.streaming.codec import Serialize, dumps_untyped

__all__ = ["join_jsonl", "join_sse", "jsonl_frame", "sse_frame"]

Frame = Callable[[Any], bytes]

join_jsonl: Callable[[list[bytes]], bytes] = join_json_lines  # each item + b"\n", one buffer
join_sse: Callable[[list[bytes]], bytes] = b"".join  # frames already end with a blank line


def jsonl_frame(serialize: Serialize) -> Frame:
    """JSON Lines: the serialized item; the newline is added when a batch is joined."""
    return serialize


def sse_frame(serialize: Serialize) -> Frame:
    """SSE: a plain item is validated and serialized into `data:`; a `ServerSentEvent` is the user's
    own framing (its data is not validated against the item type, as in FastAPI)."""
    event_type = sse.ServerSentEvent

    def frame(item: Any) -> bytes:
        if isinstance(item, event_type):
            return _event(item)
        return format_sse_event(data_str=serialize(item).decode("utf-8"))

    return frame


def _event(item: sse.ServerSentEvent) -> bytes:
    if item.raw_data is not None:
        data_str: str | None = item.raw_data
    elif item.data is None:
        data_str = None
    elif hasattr(item.data, "model_dump_json"):
        data_str = model_json(item.data)  # a lone surrogate escaped, as in the other items
    else:
        data_str = dumps_untyped(item.data)
    return format_sse_event(
        data_str=data_str, event=item.event, id=item.id, retry=item.retry, comment=item.comment
    )
