"""Whole-app requests: the same scenario apps (benches/apps/) under ferroapi and FastAPI, in one run.

Requests go through the ASGI interface in process (apps/asgi.py), so the numbers are framework
overhead: no sockets, no HTTP parsing. Each scenario is first run once under both frameworks and the
status and body compared; a scenario ferroapi cannot run yet prints "n/a: <reason>" instead of a time.
Requests are driven in batches through one event-loop entry, so the loop's own per-call cost does not
dilute the ratio; the printed time is per request.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Callable
from typing import Any

from _harness import ROW, compare, header
from apps import Framework, dependencies, load, pipeline
from apps.asgi import Driver, Request, Response

CANDIDATE, BASELINE = "ferroapi", "fastapi"
TARGET_BATCH_SECONDS = 0.05  # per timed batch: enough calls to dwarf timer noise, 5 repeats each side
# A batch also spans at least this many requests, so costs that recur every few requests are in the
# per-request time: a request allocating 1 MB of objects triggers a full CPython collection every
# few requests, and the best of 2-request batches would time only the gaps between them.
MIN_BATCH_REQUESTS = 10

AppBuilder = Callable[[Framework], Any]

GROUPS: list[tuple[str, AppBuilder, list[tuple[str, Request]]]] = [
    ("request pipeline", pipeline.build, pipeline.SCENARIOS),
    ("dependency injection", dependencies.build, dependencies.SCENARIOS),
    (
        "dependency injection, dependency_overrides set",
        dependencies.build_with_overrides,
        [(f"{name} + overrides", req) for name, req in dependencies.SCENARIOS],
    ),
]


def why(exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}"[:90] + where


def not_available(name: str, reason: str) -> None:
    print(ROW.format(name=name, ferro="n/a", base="", ratio="", note=f"n/a: {reason}"))


def build(fw_name: str, builder: AppBuilder) -> tuple[Any, str]:
    try:
        return builder(load(fw_name)), ""
    except Exception as exc:
        return None, why(exc)


class Batch:
    """`number` requests through one app per call; one event loop shared by all timings."""

    def __init__(self, loop: asyncio.AbstractEventLoop, app: Any, request: Request, number: int = 1) -> None:
        self.loop, self.driver, self.number = loop, Driver(app, request), number

    async def _many(self) -> Response:
        for _ in range(self.number - 1):
            await self.driver()
        return await self.driver()

    def __call__(self) -> Response:
        return self.loop.run_until_complete(self._many())


def check(
    loop: asyncio.AbstractEventLoop, ferro: Any, base: Any, request: Request
) -> tuple[bool | None, str]:
    """(same body?, reason it cannot be timed): run each side once before any timing."""
    want = Batch(loop, base, request)()
    if want.status >= 400:
        return None, f"the scenario is broken under {BASELINE}: {want.status} {bytes(want.body)[:80]!r}"
    try:
        got = Batch(loop, ferro, request)()
    except Exception as exc:
        return None, why(exc)
    if got.status != want.status:
        return None, f"status {got.status} != {want.status}: {bytes(got.body)[:60]!r}"
    return bytes(got.body) == bytes(want.body), ""


def batch_size(loop: asyncio.AbstractEventLoop, app: Any, request: Request) -> int:
    start = time.perf_counter()
    Batch(loop, app, request, 3)()
    per_call = (time.perf_counter() - start) / 3
    return max(MIN_BATCH_REQUESTS, int(TARGET_BATCH_SECONDS / per_call))


def run_group(loop: asyncio.AbstractEventLoop, title: str, builder: AppBuilder, scenarios: Any) -> None:
    header(f"{title}: in-process ASGI, per request", f"{BASELINE} {load(BASELINE).mod.__version__}")
    base, base_error = build(BASELINE, builder)
    if base is None:
        raise RuntimeError(f"scenario app does not build under {BASELINE}: {base_error}")
    ferro, ferro_error = build(CANDIDATE, builder)
    for name, request in scenarios:
        if ferro is None:
            not_available(name, ferro_error)
            continue
        same, reason = check(loop, ferro, base, request)
        if reason:
            not_available(name, reason)
            continue
        n = batch_size(loop, base, request)
        compare(name, PerRequest(loop, ferro, request, n), PerRequest(loop, base, request, n), n, same=same)


class PerRequest(Batch):
    """Called `n` times by the harness, runs all `n` requests in one loop entry on the n-th call.

    The harness divides a repeat's time by its `number` of calls: with number == n it reports the time
    per request, while the event loop is entered once per n requests (the n-1 other calls cost ~50 ns).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, app: Any, request: Request, number: int) -> None:
        super().__init__(loop, app, request, number)
        self.calls = 0

    def __call__(self) -> Response | None:  # type: ignore[override]
        self.calls += 1
        if self.calls % self.number:
            return None
        return super().__call__()


def main() -> None:
    loop = asyncio.new_event_loop()
    try:
        for title, builder, scenarios in GROUPS:
            run_group(loop, title, builder, scenarios)
    finally:
        loop.close()


if __name__ == "__main__":
    main()
