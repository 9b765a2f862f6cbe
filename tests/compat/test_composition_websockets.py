"""WebSockets: params, Depends/Security, yield teardown on close, overrides, WebSocketException, 1008."""

from typing import Annotated, Any

import pytest
from _dual import Framework, load
from starlette.websockets import WebSocketDisconnect


def build(fw: Framework, events: list[str]) -> Any:
    m = fw.mod
    security = fw.import_("security")
    bearer = security.HTTPBearer(auto_error=False)

    async def resource() -> Any:
        events.append("open")
        yield "resource"
        events.append("closed")

    def user(token: Annotated[str | None, m.Cookie()] = None) -> str:
        if token == "bad":
            raise m.WebSocketException(code=1008, reason="bad token")
        return token or "anonymous"

    def scheme(credentials: Annotated[Any, m.Security(bearer)]) -> str:
        return credentials.credentials if credentials else "none"

    app = fw.App()
    router = m.APIRouter(prefix="/r", dependencies=[m.Depends(lambda: events.append("router-dep"))])

    @router.websocket("/items/{item_id}")
    async def items(
        websocket: m.WebSocket,  # type: ignore[name-defined]
        item_id: int,
        q: int,
        x_token: Annotated[str, m.Header()],
        res: Annotated[str, m.Depends(resource)],
        who: Annotated[str, m.Depends(user)],
        auth: Annotated[str, m.Depends(scheme)],
    ) -> None:
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_json(
            {"item_id": item_id, "q": q, "token": x_token, "res": res, "who": who, "auth": auth, "t": text}
        )
        await websocket.close()

    app.include_router(router, prefix="/api")

    @app.websocket("/echo")
    async def echo(websocket: m.WebSocket) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        try:
            while True:
                await websocket.send_text("echo " + await websocket.receive_text())
        except WebSocketDisconnect:
            events.append("client left")

    def original() -> str:
        return "original"

    @app.websocket("/override")
    async def override(websocket: m.WebSocket, value: Annotated[str, m.Depends(original)]) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        await websocket.send_text(value)
        await websocket.close()

    app.state.original = original
    return app


def scenario(fw: Framework, name: str) -> Any:
    events: list[str] = []
    app = build(fw, events)
    client = fw.client(app)
    headers = {"x-token": "tok", "authorization": "Bearer abc"}
    out: dict[str, Any] = {}
    try:
        if name == "ok":
            client.cookies.set("token", "alice")
            with client.websocket_connect("/api/r/items/3?q=4", headers=headers) as ws:
                ws.send_text("hi")
                out["json"] = ws.receive_json()
        elif name == "validation":
            with client.websocket_connect("/api/r/items/x", headers=headers) as ws:
                ws.receive_text()
        elif name == "exception":
            client.cookies.set("token", "bad")
            with client.websocket_connect("/api/r/items/3?q=1", headers=headers) as ws:
                ws.receive_text()
        elif name == "echo":
            with client.websocket_connect("/echo") as ws:
                ws.send_text("a")
                out["first"] = ws.receive_text()
        elif name == "override":
            app.dependency_overrides[app.state.original] = lambda: "overridden"
            with client.websocket_connect("/override") as ws:
                out["value"] = ws.receive_text()
        elif name == "missing":
            with client.websocket_connect("/nope") as ws:
                ws.receive_text()
    except WebSocketDisconnect as exc:
        out["disconnect"] = (exc.code, exc.reason)
    except Exception as exc:
        out["error"] = type(exc).__name__
    client.close()
    out["events"] = events
    return out


@pytest.mark.parametrize("name", ["ok", "validation", "exception", "echo", "override", "missing"])
def test_websocket_scenarios(fw: Framework, name: str) -> None:
    assert scenario(fw, name) == scenario(load("fastapi"), name)


def test_yield_dependency_torn_down_when_socket_closes(fw: Framework) -> None:
    got = scenario(fw, "ok")
    assert got["events"] == ["router-dep", "open", "closed"]
    assert got["json"]["item_id"] == 3


def test_validation_error_closes_with_1008(fw: Framework) -> None:
    assert scenario(fw, "validation")["disconnect"][0] == 1008
