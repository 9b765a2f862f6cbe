"""Generator endpoints: JSON Lines, Server-Sent Events, raw streams; and WebSockets."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

from _dual import Framework, Req
from pydantic import BaseModel


class Tick(BaseModel):
    n: int
    label: str = "t"


def app_streams(fw: Framework) -> Any:
    responses = fw.import_("responses")
    sse = fw.import_("sse")
    app = fw.App()

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterator[Tick]:
        for n in range(3):
            yield Tick(n=n)

    @app.get("/jsonl-sync")
    def jsonl_sync() -> Iterator[dict[str, Any]]:
        yield {"a": 1.5, "b": "é"}
        yield {"nan": float("nan")}

    @app.get("/jsonl-untyped")
    async def jsonl_untyped():
        yield {"x": [1, 2]}

    @app.get("/sse", response_class=sse.EventSourceResponse)
    async def events() -> AsyncIterator[Tick]:
        yield Tick(n=1)
        yield sse.ServerSentEvent(data={"k": "v"}, event="update", id="7", retry=10)
        yield sse.ServerSentEvent(raw_data="line1\nline2", comment="note")

    @app.post("/sse-sync", response_class=sse.EventSourceResponse)
    def events_sync() -> Iterator[str]:
        yield "hello"

    @app.get("/raw", response_class=responses.StreamingResponse)
    async def raw() -> AsyncIterator[bytes]:
        yield b"part1-"
        yield b"part2"

    @app.get("/invalid-item")
    async def invalid_item() -> AsyncIterator[Tick]:
        yield {"n": "not a number"}  # type: ignore[misc]

    return app


HEADERS = ("content-type", "cache-control", "x-accel-buffering", "content-length")


def test_jsonl(fw: Framework) -> None:
    got = fw.compare(app_streams, ["/jsonl", "/jsonl-sync", "/jsonl-untyped"], headers=HEADERS)
    assert got[0].headers["content-type"] == "application/jsonl"


def test_sse(fw: Framework) -> None:
    got = fw.compare(app_streams, ["/sse", Req("POST", "/sse-sync")], headers=HEADERS)
    assert got[0].headers["content-type"].startswith("text/event-stream")
    assert b"event: update" in got[0].body


def test_raw_stream(fw: Framework) -> None:
    (got,) = fw.compare(app_streams, ["/raw"], headers=HEADERS)
    assert got.body == b"part1-part2"


def test_websocket(fw: Framework) -> None:
    results: dict[str, list[Any]] = {}
    for name in ("fastapi", fw.name):
        from _dual import load

        framework = load(name)
        app = framework.App()

        @app.websocket("/ws/{room}")
        async def ws(websocket: framework.mod.WebSocket, room: str, token: int) -> None:  # type: ignore[name-defined]
            await websocket.accept()
            message = await websocket.receive_text()
            await websocket.send_json({"room": room, "token": token, "echo": message})
            await websocket.close()

        with framework.client(app) as client:
            with client.websocket_connect("/ws/lobby?token=3") as socket:
                socket.send_text("hi")
                results[name] = [socket.receive_json()]
            try:
                with client.websocket_connect("/ws/lobby?token=x") as socket:
                    socket.receive_text()
            except Exception as exc:
                results[name].append(type(exc).__name__)
    assert results[fw.name] == results["fastapi"]
    assert results["fastapi"][0] == {"room": "lobby", "token": 3, "echo": "hi"}
