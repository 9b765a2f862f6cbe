"""Native OpenTelemetry (`telemetry=`): one app under FastAPI and under ferroapi, each reporting to its
own in-memory providers, the same requests; the spans (names, kinds, attributes, parents, status),
the metric points and the log records must be the same."""

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from _dual import Framework, load
from _telemetry import Signals
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float


def corpus_app(fw: Framework, signals: Signals, **settings: Any) -> Any:
    """Every kind of answer the telemetry must describe."""
    responses = fw.import_("responses")
    sse = fw.import_("sse")
    app = fw.App(telemetry=signals.config(**settings))
    router = fw.mod.APIRouter(prefix="/v1")

    def tasks_done(log: list[str]) -> None:
        log.append("done")

    async def token(x_token: str = fw.mod.Header("ok")) -> str:
        return x_token

    @router.get("/items/{item_id}")
    async def read_item(
        item_id: int, q: str | None = None, token: str = fw.mod.Depends(token)
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @router.post("/items", response_model=Item)
    def create_item(item: Item) -> Any:
        return item

    @app.get("/fail")
    def fail() -> None:
        raise ValueError("endpoint failed")

    @app.get("/teapot")
    async def teapot() -> None:
        raise fw.mod.HTTPException(418, "private detail")

    @app.get("/unavailable")
    async def unavailable() -> None:
        raise fw.mod.HTTPException(503, "private detail")

    @app.get("/background")
    async def background(tasks: fw.mod.BackgroundTasks) -> str:  # type: ignore[name-defined]
        tasks.add_task(tasks_done, [])
        return "ok"

    @app.get("/jsonl")
    async def jsonl() -> AsyncIterator[Item]:
        for n in range(3):
            yield Item(name=f"item {n}", price=n)

    @app.get("/sse", response_class=sse.EventSourceResponse)
    async def events() -> AsyncIterator[dict[str, int]]:
        for n in range(2):
            yield {"n": n}

    @app.get("/raw", response_class=responses.StreamingResponse)
    def raw() -> Iterator[bytes]:
        yield b"one"
        yield b"two"

    @app.websocket("/ws/{room}")
    async def websocket(websocket: fw.mod.WebSocket, room: int) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text() + f"@{room}")
        await websocket.close()

    app.include_router(router)
    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/v1/items/7?q=search&sig=secret", {}),
    ("GET", "/v1/items/seven", {}),  # 422
    ("GET", "/v1/items/7/", {"follow_redirects": False}),  # slash redirect
    ("DELETE", "/v1/items/7", {}),  # 405
    ("GET", "/missing", {}),  # 404
    ("POST", "/v1/items", {"json": {"name": "x", "price": 1.5}}),
    ("POST", "/v1/items", {"json": {"name": "x"}}),  # 422 body
    ("POST", "/v1/items", {"content": b"{", "headers": {"content-type": "application/json"}}),
    ("GET", "/fail", {}),  # 500
    ("GET", "/teapot", {}),
    ("GET", "/unavailable", {}),
    ("GET", "/background", {}),
    ("GET", "/jsonl", {}),
    ("GET", "/sse", {}),
    ("GET", "/raw", {}),
    ("PRIVATE", "/missing", {}),  # a method outside the known ones
    (
        "GET",
        "/v1/items/1",
        {"headers": {"traceparent": "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"}},
    ),
]


def _collect(fw: Framework, build: Callable[[Framework, Signals], Any]) -> dict[str, Any]:
    signals = Signals()
    try:
        app = build(fw, signals)
        client = fw.import_("testclient").TestClient(app, raise_server_exceptions=False)
        answers = []
        for method, url, options in REQUESTS:
            response = client.request(method, url, **options)
            answers.append((response.status_code, response.content))
        with client.websocket_connect("/ws/3") as websocket:
            websocket.send_text("hello")
            answers.append((101, websocket.receive_text().encode()))
        return {
            "answers": answers,
            "spans": signals.spans(),
            "points": signals.points(),
            "logs": signals.logs(),
        }
    finally:
        signals.shutdown()


def _same(ours: Any, theirs: Any, what: str) -> None:
    if ours != theirs:
        pytest.fail(
            f"{what} differ:\nferroapi: {json.dumps(ours, indent=1, default=repr)}\n"
            f"fastapi:  {json.dumps(theirs, indent=1, default=repr)}"
        )


@pytest.mark.parametrize(
    "settings",
    [{}, {"operation_spans": False}, {"tracing": False}, {"logs": False, "metrics": False}],
    ids=["defaults", "no-operation-spans", "no-tracing", "tracing-only"],
)
def test_the_same_spans_metrics_and_logs_as_fastapi(settings: dict[str, Any]) -> None:
    def build(fw: Framework, signals: Signals) -> Any:
        return corpus_app(fw, signals, **settings)

    theirs = _collect(load("fastapi"), build)
    ours = _collect(load("ferroapi"), build)
    _same(ours["answers"], theirs["answers"], "responses")
    _same(ours["spans"], theirs["spans"], "spans")
    _same(sorted(map(repr, ours["points"].items())), sorted(map(repr, theirs["points"].items())), "metrics")
    _same(ours["logs"], theirs["logs"], "log records")


def test_the_corpus_covers_every_signal() -> None:
    """The comparison above is not vacuous: FastAPI itself produces each kind of record."""
    data = _collect(load("fastapi"), corpus_app)
    names = {span["name"] for span in data["spans"]}
    assert {"GET /v1/items/{item_id}", "WS /ws/{room}", "fastapi.background_task", "HTTP"} <= names
    assert {"fastapi.dependencies", "fastapi.endpoint", "fastapi.serialization"} <= names
    assert any(key[0] == "http.server.request.duration" for key in data["points"])
    events = {record["event"] for record in data["logs"]}
    assert events == {"fastapi.validation.failed", "http.server.request.exception"}


def test_mounted_and_excluded_apps_as_fastapi() -> None:
    def build(fw: Framework, signals: Signals) -> Any:
        parent = fw.App(telemetry=signals.config(exclude=lambda scope: scope["path"].endswith("/health")))
        child = fw.App(telemetry=signals.config())

        @child.get("/things/{name}")
        async def thing(name: str) -> str:
            return name

        @child.get("/health")
        async def health() -> str:
            return "ok"

        parent.mount("/tenants/{tenant}", child)
        return parent

    def run(fw: Framework) -> tuple[list[dict[str, Any]], dict[tuple[Any, ...], Any]]:
        signals = Signals()
        client = fw.import_("testclient").TestClient(build(fw, signals))
        for path in ("/tenants/a/things/x", "/tenants/a/health", "/tenants/a/nothing"):
            client.get(path)
        return signals.spans(), signals.points()

    ours, theirs = run(load("ferroapi")), run(load("fastapi"))
    _same(ours[0], theirs[0], "spans")
    _same(sorted(map(repr, ours[1].items())), sorted(map(repr, theirs[1].items())), "metrics")
