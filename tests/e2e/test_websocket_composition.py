"""WebSockets over a real uvicorn server, with a real client (`websockets`): an included router's
endpoint with path/query/header params and a yield dependency, the 1008 close on invalid params, and
the teardown that runs when the socket closes. Each test also runs against FastAPI (the reference)."""

import importlib
import threading
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import Annotated, Any

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

TIMEOUT = 10.0


@pytest.fixture(params=["ferroapi", "fastapi"])
def fw(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(request.param)


def make_app(fw: ModuleType, torn_down: threading.Event) -> Any:
    Depends, Header = fw.Depends, fw.Header

    async def session() -> AsyncIterator[str]:
        yield "session"
        torn_down.set()

    router = fw.APIRouter(prefix="/rooms")

    @router.websocket("/{room}")
    async def room(
        websocket: WebSocket,
        room: int,
        name: str,
        x_client: Annotated[str, Header()],
        sess: Annotated[str, Depends(session)],
    ) -> None:
        await websocket.accept()
        try:
            while True:
                text = await websocket.receive_text()
                await websocket.send_json(
                    {"room": room, "name": name, "client": x_client, "s": sess, "t": text}
                )
        except WebSocketDisconnect:
            pass

    app = fw.FastAPI()
    app.include_router(router, prefix="/ws")
    return app


def test_included_websocket_round_trip_and_teardown(serve: Callable[..., str], fw: ModuleType) -> None:
    torn_down = threading.Event()
    base = serve(make_app(fw, torn_down)).replace("http://", "ws://")
    with connect(f"{base}/ws/rooms/7?name=ann", additional_headers={"x-client": "e2e"}) as ws:
        for text in ("one", "two"):
            ws.send(text)
            assert ws.recv(timeout=TIMEOUT) == (
                f'{{"room":7,"name":"ann","client":"e2e","s":"session","t":"{text}"}}'
            )
        assert not torn_down.is_set()
    assert torn_down.wait(TIMEOUT)


def test_invalid_params_reject_the_handshake(serve: Callable[..., str], fw: ModuleType) -> None:
    # The 1008 close is sent before `accept()`: a real server turns it into an HTTP 403 handshake
    # rejection (TestClient reports it as WebSocketDisconnect(1008)), under FastAPI as here.
    base = serve(make_app(fw, threading.Event())).replace("http://", "ws://")
    with pytest.raises(InvalidStatus) as rejected:
        connect(f"{base}/ws/rooms/not-a-number?name=x", additional_headers={"x-client": "e2e"})
    assert rejected.value.response.status_code == 403
