"""The bench scenarios written for plain Starlette and as a raw ASGI app, doing the same work.

"The same work" is what the FastAPI-style endpoints do: parse and convert parameters, validate
bodies with the same pydantic models, run the same dependency chain (a yield dependency closed
after the response), serialize with the same JSON bytes (compact separators, as FastAPI's
JSONResponse writes), stream the same lines and events. The raw app is the floor for an ASGI
framework in Python: no routing table beyond a dict, no request object, one send per message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from pydantic import TypeAdapter, ValidationError

from apps.dependencies import settings
from apps.pipeline import Item, ItemOut
from apps.scale import ROUTES, Quote, quotes

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

ITEMS = TypeAdapter(list[Item])


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def session(cfg: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
    state = {"db": cfg["db"], "open": True}
    yield state
    state["open"] = False


# --- Starlette -------------------------------------------------------------------------------


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    class CompactJSON(JSONResponse):
        def render(self, content: Any) -> bytes:
            return dumps(content)

    async def hello(request: Request) -> Response:
        return CompactJSON({"message": "hello", "ok": True, "count": 3})

    async def read_item(request: Request) -> Response:
        q = request.query_params.get("q")
        return CompactJSON({"item_id": request.path_params["item_id"], "q": q})

    async def create_item(request: Request) -> Response:
        try:
            item = Item.model_validate_json(await request.body())
        except ValidationError as exc:
            return CompactJSON({"detail": exc.errors(include_url=False)}, status_code=422)
        out = ItemOut.model_validate(item.model_dump())
        return Response(out.model_dump_json(), media_type="application/json")

    async def bulk(request: Request) -> Response:
        items = ITEMS.validate_json(await request.body())
        return CompactJSON({"count": len(items), "balance": sum(i.balance for i in items)})

    async def chain(request: Request) -> Response:
        user_header = request.headers.get("x-user")
        if user_header is None:
            return CompactJSON({"detail": "missing x-user"}, status_code=422)
        gen = session(await settings())
        db = await gen.__anext__()
        try:
            return CompactJSON({"user": user_header, "db": db["db"]})
        finally:
            await gen.aclose()

    def resource(i: int) -> Callable[[Request], Awaitable[Response]]:
        async def read(request: Request) -> Response:
            return CompactJSON({"resource": i, "item_id": request.path_params["item_id"]})

        return read

    async def jsonl(request: Request) -> Response:
        n = int(request.query_params["n"])

        async def lines() -> AsyncIterator[bytes]:
            async for quote in quotes(n):
                yield quote.model_dump_json().encode() + b"\n"

        return StreamingResponse(lines(), media_type="application/jsonl")

    async def events(request: Request) -> Response:
        n = int(request.query_params["n"])

        async def frames() -> AsyncIterator[bytes]:
            async for quote in quotes(n):
                yield b"data: " + quote.model_dump_json().encode() + b"\n\n"

        return StreamingResponse(frames(), media_type="text/event-stream")

    routes = [
        Route("/hello", hello),
        Route("/items/{item_id:int}", read_item),
        Route("/items", create_item, methods=["POST"]),
        Route("/bulk", bulk, methods=["POST"]),
        Route("/chain", chain),
        Route("/jsonl", jsonl),
        Route("/sse", events),
    ]
    routes += [Route(f"/r{i}/items/{{item_id:int}}", resource(i)) for i in range(ROUTES)]
    return Starlette(routes=routes)


# --- raw ASGI --------------------------------------------------------------------------------

JSON_HEADERS = [(b"content-type", b"application/json")]


async def send_json(send: Send, body: bytes, status: int = 200) -> None:
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def stream(send: Send, media_type: bytes, chunks: AsyncIterator[bytes]) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", media_type)]})
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def raw_app() -> Any:
    async def lines(n: int) -> AsyncIterator[bytes]:
        async for quote in quotes(n):
            yield quote.model_dump_json().encode() + b"\n"

    async def frames(n: int) -> AsyncIterator[bytes]:
        async for quote in quotes(n):
            yield b"data: " + quote.model_dump_json().encode() + b"\n\n"

    resources = {f"r{i}": i for i in range(ROUTES)}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # servers start and stop apps through it
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        path, method = scope["path"], scope["method"]
        if path == "/hello":
            await send_json(send, dumps({"message": "hello", "ok": True, "count": 3}))
        elif path == "/items" and method == "POST":
            try:
                item = Item.model_validate_json(await read_body(receive))
            except ValidationError as exc:
                await send_json(send, dumps({"detail": exc.errors(include_url=False)}), 422)
                return
            await send_json(send, ItemOut.model_validate(item.model_dump()).model_dump_json().encode())
        elif path.startswith("/items/"):
            query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            await send_json(send, dumps({"item_id": int(path[7:]), "q": query.get("q")}))
        elif path == "/bulk":
            items = ITEMS.validate_json(await read_body(receive))
            await send_json(send, dumps({"count": len(items), "balance": sum(i.balance for i in items)}))
        elif path == "/chain":
            user_header = next((v for k, v in scope["headers"] if k == b"x-user"), None)
            if user_header is None:
                await send_json(send, dumps({"detail": "missing x-user"}), 422)
                return
            gen = session(await settings())
            db = await gen.__anext__()
            try:
                await send_json(send, dumps({"user": user_header.decode("latin-1"), "db": db["db"]}))
            finally:
                await gen.aclose()
        elif path in ("/jsonl", "/sse"):
            n = int(dict(parse_qsl(scope["query_string"].decode("latin-1")))["n"])
            if path == "/jsonl":
                await stream(send, b"application/jsonl", lines(n))
            else:
                await stream(send, b"text/event-stream; charset=utf-8", frames(n))
        else:
            parts = path.split("/")
            if len(parts) == 4 and parts[2] == "items" and parts[1] in resources:
                body = dumps({"resource": resources[parts[1]], "item_id": int(parts[3])})
                await send_json(send, body)
            else:
                await send_json(send, b'{"detail":"Not Found"}', 404)

    return app


__all__ = ["Quote", "raw_app", "starlette_app"]
