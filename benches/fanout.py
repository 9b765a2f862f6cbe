"""Fan-out through Redis: events per second delivered to N SSE subscribers spread over 2 workers.

Two uvicorn worker processes (tests/e2e/multiworker/worker_app.py) share one redis-server; N SSE
clients (raw sockets, half on each worker) subscribe to one channel; this process publishes
`--events` events straight to Redis (`Broadcast.publish`, i.e. XADD) from 8 concurrent publishers,
as fast as they can. Measured: from the first publish until every subscriber has every event;
delivered = N x events. The buffers are sized so that no subscriber is ended as too slow (a drop
would be reported, not hidden). Every step is bounded in time. The publisher, the clients, both
workers and Redis share the machine's cores, as in any single-host measurement: read the figure as a
floor.

    python benches/fanout.py [--subscribers 10 --subscribers 100] [--events 2000] [--json PATH]

`make bench-fanout` runs it and writes benches/results/fanout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The test helpers it shares: the multiworker package, and tests/support (pytest's `pythonpath`).
sys.path[:0] = [str(ROOT / "python"), str(ROOT / "tests" / "e2e"), str(ROOT / "tests" / "support")]

from multiworker.redis_server import RedisServer  # noqa: E402
from multiworker.workers import Worker  # noqa: E402

from ferroapi.broadcast import Broadcast  # noqa: E402

PAYLOAD = "x" * 64
CHANNEL = "bench"
TIMEOUT = 120.0
PUBLISHERS = 8


class Subscriber:
    """One SSE client on a raw socket, counting the events it receives."""

    def __init__(self, port: int, last_event_id: str) -> None:
        self.port = port
        self.last_event_id = last_event_id
        self.count = 0
        self.ended = False
        self.reached = asyncio.Event()
        self.target = 1
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        request = (
            f"GET /events/{CHANNEL} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Last-Event-ID: {self.last_event_id}\r\nAccept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        # The worker sends each event in one chunk, so "data: " is never split across reads of it.
        try:
            while chunk := await reader.read(65536):
                self.count += chunk.count(b"data: ")
                if self.count >= self.target:
                    self.reached.set()
        finally:
            self.ended = True
            self.reached.set()
            writer.close()

    def expect(self, target: int) -> None:
        self.target = target
        self.reached = asyncio.Event()
        if self.count >= target or self.ended:
            self.reached.set()


async def measure(workers: list[Worker], redis_url: str, subscribers: int, events: int) -> dict[str, Any]:
    async with Broadcast(redis_url, retention=events + 1000) as broadcast:
        marker = await broadcast.publish(CHANNEL, "marker")
        subs = [Subscriber(workers[i % 2].port, marker) for i in range(subscribers)]
        for sub in subs:
            sub.task = asyncio.create_task(sub.run())
        # Every subscriber is live once it has the warm-up event (published after it connected).
        await broadcast.publish(CHANNEL, "warm-up")
        for sub in subs:
            sub.expect(1)
        await asyncio.wait_for(asyncio.gather(*(s.reached.wait() for s in subs)), 30)
        for sub in subs:
            sub.expect(1 + events)
        start = time.perf_counter()

        async def publisher(count: int) -> None:
            for _ in range(count):
                await broadcast.publish(CHANNEL, PAYLOAD)

        # Several publishers at once (several pooled connections), as several request handlers would.
        share, extra = divmod(events, PUBLISHERS)
        await asyncio.gather(*(publisher(share + (i < extra)) for i in range(PUBLISHERS)))
        published = time.perf_counter() - start
        await asyncio.wait_for(asyncio.gather(*(s.reached.wait() for s in subs)), TIMEOUT)
        elapsed = time.perf_counter() - start
        delivered = sum(min(s.count - 1, events) for s in subs)
        dropped = sum(1 for s in subs if s.ended)
        for sub in subs:
            assert sub.task is not None
            sub.task.cancel()
        await asyncio.gather(*(s.task for s in subs if s.task is not None), return_exceptions=True)
    return {
        "subscribers": subscribers,
        "workers": len(workers),
        "events": events,
        "delivered": delivered,
        "subscribers_ended_early": dropped,
        "seconds": round(elapsed, 3),
        "publish_seconds": round(published, 3),
        "events_per_second_published": round(events / published),
        "deliveries_per_second": round(delivered / elapsed),
    }


def main(argv: list[str]) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, action="append")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    counts = args.subscribers or [10, 100]
    redis = RedisServer().start()
    # Buffers larger than a run's events: this measures throughput, not the slow-subscriber policy.
    env = {"FERROAPI_TEST_BUFFER": str(args.events + 100), "FERROAPI_TEST_RETENTION": str(args.events + 1000)}
    workers = [Worker(redis.url, **env).start() for _ in range(2)]
    rows = []
    try:
        for n in counts:
            row = asyncio.run(measure(workers, redis.url, n, args.events))
            rows.append(row)
            print(
                f"{n:>4} SSE subscribers on 2 workers: {row['deliveries_per_second']:>8,} events/s delivered "
                f"({row['events']} events in {row['seconds']} s; published at "
                f"{row['events_per_second_published']:,}/s; ended early: {row['subscribers_ended_early']})"
            )
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
    if args.json:
        report = {
            "recorded": time.strftime("%Y-%m-%d", time.gmtime()),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "rows": rows,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
