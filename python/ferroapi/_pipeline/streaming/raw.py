"""`StreamingResponse` over a sync iterator: many chunks per worker-thread hop instead of one.

starlette's `StreamingResponse` wraps a sync iterator in `iterate_in_threadpool`: one thread hop (a
job through anyio's thread pool and back) per chunk, which is most of the cost of a stream of small
chunks. Here the iterator is pulled by the sync lanes' `SyncPuller`: a worker-thread job pulls chunks
until its time slice ends or the bounded hand-off is full, and each chunk reaches the sender as soon
as it exists (a chunk is never held back while the iterator blocks on the next one). What the client
sees is starlette's: one `http.response.body` message per chunk, `str` chunks encoded with the
response's charset, the iterator's exception raised after the chunks before it were sent, the
disconnect handling and background task of starlette's `__call__`. The iterator is also closed
(`close()`, in a worker thread) when the stream ends early, so its `finally` blocks run promptly.

Anything else keeps starlette's path: async iterators, and a `body_iterator` replaced after
construction (middleware wrapping the stream).

Under ASGI spec 2.4 starlette relies on `send` raising `OSError` once the client is gone; a server
whose `send` does not raise would keep an endless generator running. Here the stream also watches
`receive()` for the disconnect then, when no request body bytes can still arrive (`disconnect.py`);
before 2.4 it watches as starlette does. Once the client has left, the body iterator is closed at
once (starlette leaves an abandoned async generator to the garbage collector, so its `finally`
blocks run whenever that collects it).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping
from functools import partial
from typing import Any

import anyio
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse as StarletteStreamingResponse
from starlette.types import Receive, Scope, Send

from ferroapi._pipeline.streaming.disconnect import run_until_disconnect, spec_version, watches_disconnect
from ferroapi._pipeline.streaming.handoff import ThreadHandoff
from ferroapi._pipeline.streaming.producer import CLOSE_GRACE, produce_sync, threadsafe_wake
from ferroapi.logger import logger

__all__ = ["StreamingResponse"]


class _AnsweringForStarlettes(type):
    """`isinstance(response, StreamingResponse)` is true for starlette's own streaming responses too:
    in FastAPI `fastapi.responses.StreamingResponse` *is* starlette's class, and extensions check a
    response built from either import with it (cadwyn skips reading `.body` of streams that way)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is StreamingResponse:
            return isinstance(instance, StarletteStreamingResponse)
        return super().__instancecheck__(instance)

    def __subclasscheck__(cls, subclass: type) -> bool:
        if cls is StreamingResponse:
            return issubclass(subclass, StarletteStreamingResponse)
        return super().__subclasscheck__(subclass)


class StreamingResponse(StarletteStreamingResponse, metaclass=_AnsweringForStarlettes):
    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, media_type, background)
        sync = not isinstance(content, AsyncIterable) and isinstance(content, Iterable)
        self._sync_content: Iterable[Any] | None = content if sync else None
        self._threadpool_iterator = self.body_iterator  # replaced later: starlette's path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not watches_disconnect(scope):
            # starlette's: ASGI 2.4 with a body the application may still be reading; the
            # disconnect is left to send's OSError.
            await super().__call__(scope, receive, send)
            return
        try:
            disconnected = await run_until_disconnect(partial(self.stream_response, send), receive)
        except OSError:
            if spec_version(scope) < (2, 4):
                raise  # starlette lets it through before 2.4
            raise ClientDisconnect() from None  # the server did raise from send: starlette's mapping
        if disconnected:
            await self._close_iterator()
        if self.background is not None:
            await self.background()  # also after a disconnect, as starlette does

    async def _close_iterator(self) -> None:
        """Finalize an async iterator the client left mid-stream now, not when it is collected."""
        aclose = getattr(self.body_iterator, "aclose", None)
        if aclose is None:
            return
        with anyio.move_on_after(CLOSE_GRACE, shield=True):
            try:
                await aclose()
            except Exception:  # the stream is over: its cleanup failing changes nothing for the client
                logger.exception("Error while closing a streaming response's iterator")

    async def stream_response(self, send: Send) -> None:
        content = self._sync_content
        if content is None or self.body_iterator is not self._threadpool_iterator:
            await super().stream_response(send)
            return
        self._sync_content = None  # one pass, as the iterator allows
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        handoff = ThreadHandoff(threadsafe_wake())
        send_error: OSError | None = None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(produce_sync, iter(content), self._encode, handoff)
            try:
                while True:
                    chunks = handoff.take()
                    for chunk in chunks:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    if not chunks:
                        if handoff.done:
                            break
                        await handoff.wait()
            except OSError as exc:  # ASGI 2.4: the client went away; starlette's __call__ maps it
                send_error = exc
                tasks.cancel_scope.cancel()
        if send_error is not None:
            raise send_error
        if handoff.error is not None:
            raise handoff.error
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _encode(self, chunk: Any) -> bytes:
        if isinstance(chunk, bytes | memoryview):
            return chunk  # type: ignore[return-value]  # memoryview: sent as is, as starlette does
        return chunk.encode(self.charset)  # type: ignore[no-any-return]  # a str, or starlette's error
