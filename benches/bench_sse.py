"""SSE framing: ferroapi's native formatter vs `fastapi.sse.format_sse_event`, same events."""

from __future__ import annotations

import json

from fastapi.sse import format_sse_event as fastapi_format

from _harness import compare, header
from ferroapi._ferroapi import format_sse_data_batch, format_sse_event

SMALL = json.dumps({"id": 1, "name": "tick", "price": 12.5})
FULL = {
    "comment": "server time 12:00",
    "event": "update",
    "data_str": "\n".join(json.dumps({"row": i, "value": i * 1.5}) for i in range(5)),
    "id": "evt-000123",
    "retry": 3000,
}
BATCH = [json.dumps({"seq": i, "msg": f"message {i}"}) for i in range(100)]


def main() -> None:
    header("SSE framing", "fastapi.sse.format_sse_event")

    ours, base = format_sse_event(data_str=SMALL), fastapi_format(data_str=SMALL)
    compare(
        "single small data event",
        lambda: format_sse_event(data_str=SMALL),
        lambda: fastapi_format(data_str=SMALL),
        20_000,
        same=ours == base,
    )

    ours, base = format_sse_event(**FULL), fastapi_format(**FULL)  # type: ignore[arg-type]
    compare(
        "full event (comment/event/5 data lines/id/retry)",
        lambda: format_sse_event(**FULL),  # type: ignore[arg-type]
        lambda: fastapi_format(**FULL),  # type: ignore[arg-type]
        20_000,
        same=ours == base,
    )

    def fastapi_batch() -> bytes:
        return b"".join([fastapi_format(data_str=s) for s in BATCH])

    compare(
        "batch of 100 data events (one buffer)",
        lambda: format_sse_data_batch(BATCH),
        fastapi_batch,
        1_000,
        same=format_sse_data_batch(BATCH) == fastapi_batch(),
    )


if __name__ == "__main__":
    main()
