"""`StreamingResponse(sync iterator)` against a real uvicorn server: chunks are not held back while
the iterator blocks, and a client that leaves makes the iterator close exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ferroapi import FerroAPI
from ferroapi.responses import StreamingResponse

TIMEOUT = 30.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def build(gate: threading.Event, events: list[str]) -> FerroAPI:
    app = FerroAPI()

    @app.get("/gated")
    def gated() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            yield b"first\n"
            # Blocks until the client has read "first": if the response held "first" back until
            # the next chunk existed, client and generator would wait for each other.
            if not gate.wait(TIMEOUT):
                raise RuntimeError("the first chunk never reached the client")
            yield b"second\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/endless")
    def endless() -> StreamingResponse:
        def chunks() -> Iterator[str]:
            try:
                n = 0
                while True:
                    yield f"{n}\n"
                    n += 1
                    time.sleep(0.001)
            finally:
                events.append("closed")

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


def test_each_chunk_reaches_the_client_while_the_iterator_blocks(serve: Any) -> None:
    gate, events = threading.Event(), list[str]()
    base_url = serve(build(gate, events))
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{base_url}/gated") as response:
        lines = response.iter_lines()
        assert next(lines) == "first"
        gate.set()
        assert list(lines) == ["second"]


def test_a_client_leaving_closes_the_iterator_once(serve: Any) -> None:
    gate, events = threading.Event(), list[str]()
    base_url = serve(build(gate, events))
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{base_url}/endless") as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(50)] == [str(n) for n in range(50)]
    wait_until(lambda: events == ["closed"], "the iterator's finally block")
    # The server keeps serving; each stream's iterator is closed once.
    with httpx.Client(timeout=TIMEOUT) as client, client.stream("GET", f"{base_url}/endless") as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(5)] == ["0", "1", "2", "3", "4"]
    wait_until(lambda: len(events) == 2, "the second iterator's finally block")
    assert events == ["closed", "closed"]
