"""Streaming endpoints: 10,000 items as JSON Lines and as Server-Sent Events, ferroapi vs FastAPI.

The same endpoints (written once, below) run under both frameworks in one process, through the
in-process ASGI driver of bench_app (no socket, no HTTP parsing): the numbers are framework overhead
per streamed item, the user's generator included. Bodies are compared before any timing.

    python benches/bench_streams.py             # items/s, both frameworks, ratios
    python benches/bench_streams.py --million   # stream 1,000,000 items, report peak RSS growth
"""

from __future__ import annotations

import asyncio
import gc
import resource
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from pydantic import BaseModel

from _harness import ROW, best_time, fmt_time, header
from apps import Framework, load
from apps.asgi import Driver, Request, Response

ITEMS = 10_000
MILLION = 1_000_000


class Quote(BaseModel):
    id: int
    symbol: str
    price: float


QUOTES = [Quote(id=i, symbol=f"SYM{i % 100}", price=i * 0.25) for i in range(ITEMS)]


def build(fw: Framework, count: int = ITEMS) -> Any:
    sse = __import__(f"{fw.name}.sse", fromlist=["EventSourceResponse"])
    app = fw.App()
    quotes = QUOTES if count == ITEMS else None

    def items() -> Iterator[Quote]:
        if quotes is not None:
            return iter(quotes)
        return (Quote(id=i, symbol="SYM", price=i * 0.25) for i in range(count))

    async def jsonl() -> AsyncIterator[Quote]:
        for quote in items():
            yield quote

    async def jsonl_dicts() -> AsyncIterator[dict[str, Any]]:
        for quote in items():
            yield {"id": quote.id, "symbol": quote.symbol, "price": quote.price}

    async def events() -> AsyncIterator[Quote]:
        for quote in items():
            yield quote

    def jsonl_sync() -> Iterator[Quote]:
        yield from items()

    def events_sync() -> Iterator[Quote]:
        yield from items()

    def csv_sync() -> Any:
        # A hand-built stream (CSV export, file chunks): the framework only moves the chunks.
        rows = (f"{quote.id},{quote.symbol},{quote.price}\n" for quote in items())
        return fw.mod.responses.StreamingResponse(rows, media_type="text/csv")

    app.get("/jsonl")(jsonl)
    app.get("/jsonl-dicts")(jsonl_dicts)
    app.get("/sse", response_class=sse.EventSourceResponse)(events)
    app.get("/jsonl-sync")(jsonl_sync)
    app.get("/sse-sync", response_class=sse.EventSourceResponse)(events_sync)
    app.get("/csv-sync")(csv_sync)
    return app


SCENARIOS = [
    ("JSON Lines, 10,000 models (async gen)", "/jsonl"),
    ("JSON Lines, 10,000 dicts -> model (async gen)", "/jsonl-dicts"),
    ("SSE, 10,000 model events (async gen)", "/sse"),
    ("JSON Lines, 10,000 models (sync gen, threadpool)", "/jsonl-sync"),
    ("SSE, 10,000 model events (sync gen, threadpool)", "/sse-sync"),
    ("StreamingResponse, 10,000 str chunks (sync gen)", "/csv-sync"),
]


def run_once(loop: asyncio.AbstractEventLoop, app: Any, path: str) -> Response:
    return loop.run_until_complete(Driver(app, Request("GET", path))())


def main() -> None:
    loop = asyncio.new_event_loop()
    try:
        ferro, base = build(load("ferroapi")), build(load("fastapi"))
        header(f"streams: in-process ASGI, one request of {ITEMS:,} items", "fastapi")
        for name, path in SCENARIOS:
            got, want = run_once(loop, ferro, path), run_once(loop, base, path)
            same = got.status == want.status == 200 and bytes(got.body) == bytes(want.body)
            repeat = 3 if path.endswith("sync") else 5
            t_ferro = best_time(lambda path=path: run_once(loop, ferro, path), 1, repeat)  # type: ignore[misc]
            t_base = best_time(lambda path=path: run_once(loop, base, path), 1, repeat)  # type: ignore[misc]
            note = "same body" if same else "BODIES DIFFER"
            rates = f"{ITEMS / t_ferro:,.0f} vs {ITEMS / t_base:,.0f} items/s"
            print(
                ROW.format(
                    name=name,
                    ferro=fmt_time(t_ferro),
                    base=fmt_time(t_base),
                    ratio=f"{t_base / t_ferro:.2f}x",
                    note=f"{note}; {rates}",
                )
            )
    finally:
        loop.close()


class Counting:
    """An ASGI client that keeps only the byte count (the body itself would be the memory)."""

    def __init__(self) -> None:
        self.bytes = 0
        self.messages = 0

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            self.bytes += len(message.get("body", b""))
            self.messages += 1


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def million(framework: str = "ferroapi") -> None:
    """Stream 1,000,000 items through JSON Lines and SSE; peak RSS must not grow with the count."""
    app = build(load(framework), count=MILLION)
    loop = asyncio.new_event_loop()
    try:
        run_once(loop, build(load(framework), count=1_000), "/jsonl")  # warm imports and caches
        gc.collect()
        print(f"\n== {framework}: {MILLION:,} items, peak RSS ==")
        print(f"before: {peak_rss_mib():.1f} MiB")
        for path in ("/jsonl", "/sse", "/jsonl-sync", "/sse-sync", "/csv-sync"):
            sink = Counting()
            driver = Driver(app, Request("GET", path))

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            start = time.perf_counter()
            loop.run_until_complete(app(dict(driver.template), receive, sink.send))
            elapsed = time.perf_counter() - start
            print(
                f"{path:<10} {sink.bytes / 2**20:8.1f} MiB in {sink.messages:,} sends, "
                f"{MILLION / elapsed:,.0f} items/s, peak RSS {peak_rss_mib():.1f} MiB"
            )
    finally:
        loop.close()


if __name__ == "__main__":
    if "--million" in sys.argv[1:]:
        million("fastapi" if "--fastapi" in sys.argv[1:] else "ferroapi")
    else:
        main()
