"""The GC pause held by requests with large JSON bodies (python/ferroapi/_gc_pause.py).

Observed through the public API: what `gc.isenabled()` says inside an endpoint and after the
response, on success, validation errors, endpoint errors, slow endpoints (watchdog), overlapping
requests, an app that disabled the GC itself, and trio (no request-long pause).
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from ferroapi import FerroAPI, HTTPException
from ferroapi import _gc_pause as gc_pause
from ferroapi import responses as fw_responses
from ferroapi.testclient import TestClient


class Row(BaseModel):
    id: int
    name: str
    score: float


class Whole(BaseModel):
    rows: list[Row]


def rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"row {i}", "score": i / 4} for i in range(start, start + count)]


LARGE = json.dumps(rows(3000)).encode()  # ~125 KB: above the 64 KB threshold
SMALL = json.dumps(rows(3)).encode()
JSON = {"content-type": "application/json"}


@pytest.fixture(autouse=True)
def gc_on_and_no_cooldown() -> Iterator[None]:
    gc.enable()
    gc_pause._state.no_pause_until = 0.0
    yield
    assert gc_pause._state.holders == 0
    gc.enable()


def make_app() -> tuple[FerroAPI, list[bool]]:
    app = FerroAPI()
    seen: list[bool] = []  # gc.isenabled() inside each endpoint call

    @app.post("/rows")
    async def take(items: list[Row]) -> dict[str, int]:
        seen.append(gc.isenabled())
        return {"count": len(items), "first": items[0].id}

    @app.post("/sync")
    def take_sync(items: list[Row]) -> dict[str, int]:
        seen.append(gc.isenabled())
        return {"count": len(items)}

    @app.post("/fails")
    async def fails(items: list[Row]) -> None:
        raise HTTPException(status_code=409, detail=f"{len(items)} rows conflict")

    @app.post("/crashes")
    async def crashes(items: list[Row]) -> None:
        raise RuntimeError("boom")

    @app.post("/slow")
    async def slow(items: list[Row]) -> dict[str, bool]:
        before = gc.isenabled()
        await asyncio.sleep(0.2)
        return {"before": before, "after": gc.isenabled()}

    return app, seen


def test_large_body_pauses_the_gc_during_the_endpoint_only() -> None:
    app, seen = make_app()
    with TestClient(app) as client:
        assert client.post("/rows", content=LARGE, headers=JSON).json() == {"count": 3000, "first": 0}
        assert gc.isenabled()
        assert client.post("/sync", content=LARGE, headers=JSON).json() == {"count": 3000}
        assert gc.isenabled()
        assert client.post("/rows", content=SMALL, headers=JSON).json() == {"count": 3, "first": 0}
    assert seen == [False, False, True]  # small bodies never pause


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/fails", LARGE, 409),
        ("/crashes", LARGE, 500),
        ("/rows", json.dumps([*rows(3000), {"id": "x"}]).encode(), 422),
        ("/rows", LARGE[:-1], 422),  # malformed JSON
    ],
)
def test_the_gc_resumes_after_errors(path: str, body: bytes, status: int) -> None:
    app, _ = make_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(path, content=body, headers=JSON).status_code == status
    assert gc.isenabled()


def test_the_watchdog_ends_a_long_pause_and_then_cools_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_pause, "MAX_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(gc_pause, "COOLDOWN_SECONDS", 60.0)
    app, seen = make_app()
    with TestClient(app) as client:
        assert client.post("/slow", content=LARGE, headers=JSON).json() == {"before": False, "after": True}
        # Within the cool-down no new pause starts; the body is still validated (and correctly).
        assert client.post("/rows", content=LARGE, headers=JSON).json() == {"count": 3000, "first": 0}
    assert seen == [True]
    assert gc.isenabled()


def test_overlapping_requests_share_one_pause() -> None:
    app = FerroAPI()
    inside: list[bool] = []
    release = asyncio.Event()

    @app.post("/wait")
    async def wait(items: list[Row]) -> int:
        inside.append(gc.isenabled())
        if len(inside) == 2:
            release.set()
        await asyncio.wait_for(release.wait(), 5)
        inside.append(gc.isenabled())
        return len(items)

    async def two_at_once() -> list[int]:
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            replies = await asyncio.gather(
                client.post("/wait", content=LARGE, headers=JSON),
                client.post("/wait", content=LARGE, headers=JSON),
            )
        return [reply.json() for reply in replies]

    assert asyncio.run(two_at_once()) == [3000, 3000]
    # Both entered while paused; the first to leave did not resume the GC under the second.
    assert inside[:3] == [False, False, False]
    assert gc.isenabled()


def test_an_app_that_disabled_the_gc_keeps_it_disabled() -> None:
    app, seen = make_app()
    gc.disable()
    try:
        with TestClient(app) as client:
            assert client.post("/rows", content=LARGE, headers=JSON).status_code == 200
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == [False]


def test_trio_pauses_only_while_validating() -> None:
    pytest.importorskip("trio")
    app, seen = make_app()
    with TestClient(app, backend="trio") as client:
        assert client.post("/rows", content=LARGE, headers=JSON).json() == {"count": 3000, "first": 0}
    assert seen == [True]
    assert gc.isenabled()


def test_large_bodies_validate_like_small_ones() -> None:
    """Large documents go through a validator without the string-value cache: same values."""
    app = FerroAPI()

    @app.post("/list")
    async def as_list(items: list[Row]) -> list[Row]:
        return items

    @app.post("/model")
    async def as_model(whole: Whole) -> Whole:
        return whole

    big = rows(2500, start=10**6)
    with TestClient(app) as client:
        assert client.post("/list", json=big).json() == big
        assert client.post("/model", json={"rows": big}).json() == {"rows": big}
        assert client.post("/list", json=big[:2]).json() == big[:2]


def test_a_stream_runs_with_the_gc_resumed() -> None:
    app = FerroAPI()

    @app.post("/stream")
    async def stream(items: list[Row]) -> Any:
        async def lines() -> Any:
            yield f"{len(items)} {gc.isenabled()}\n"

        return fw_responses.StreamingResponse(lines())

    with TestClient(app) as client:
        assert client.post("/stream", content=LARGE, headers=JSON).text == "3000 True\n"
    assert gc.isenabled()


def test_a_pause_whose_loop_stopped_is_ended_by_the_next_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loop that stops before its watchdog fires must not leave the GC off for good."""
    monkeypatch.setattr(gc_pause, "MAX_PAUSE_SECONDS", 0.01)
    monkeypatch.setattr(gc_pause, "COOLDOWN_SECONDS", 0.0)

    async def begin_only() -> int | None:
        return gc_pause.begin()

    stale = asyncio.run(begin_only())  # the loop is gone; its timer never fires
    assert stale is not None and not gc.isenabled()
    time.sleep(0.02)

    async def begin_and_end() -> None:
        token = gc_pause.begin()
        assert token is not None and token != stale
        gc_pause.end(token)

    asyncio.run(begin_and_end())
    assert gc.isenabled()
    gc_pause.end(stale)  # the stale holder leaving later changes nothing
    assert gc.isenabled()
