"""A minimal in-process ASGI driver: no socket, no HTTP parser, so only framework overhead is timed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def scope(self) -> dict[str, Any]:
        headers = [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
        if self.body:
            headers.append((b"content-length", str(len(self.body)).encode()))
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": self.method,
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": urlencode(self.query).encode(),
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }


@dataclass
class Response:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


class Driver:
    """Sends one prepared request through an ASGI app; the scope template is built once."""

    def __init__(self, app: Any, request: Request) -> None:
        self.app = app
        self.template = request.scope()
        self.body = request.body

    async def __call__(self) -> Response:
        response = Response()
        sent = False
        complete = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                # A client that read the whole response leaves after it, not before: a framework
                # watching for the disconnect while it streams (ASGI spec 2.4) must keep streaming.
                await complete.wait()
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response.status = message["status"]
                response.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response.body += message.get("body", b"")
                if not message.get("more_body", False):
                    complete.set()

        # A fresh top-level dict per request: frameworks write into the scope (route, path params...).
        await self.app(dict(self.template), receive, send)
        return response
