"""One observed HTTP request or WebSocket connection, from the app's entry to its last byte.

`ObservedRequest` counts the request in `http.server.active_requests`, opens the server span (its
parent taken from the incoming headers), publishes the request's record in the scope and the
OpenTelemetry context, and ends it all exactly once: once the last body (or trailers) message is
sent, when the app raises, or when the app returns with the response incomplete (the client left, or
nothing was answered). `http.server.request.duration` is recorded at that end, with the route template
the router chose. `_exception` keeps (and logs) an exception no handler answered.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from contextvars import Token
from time import perf_counter
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.context import Context, attach, detach
from opentelemetry.metrics import Histogram, UpDownCounter
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ferroapi.telemetry._api import (
    SCOPE_KEY,
    _exception_type,
    _log_event,
    _normal_websocket_disconnect,
    _publish,
    _RequestTelemetry,
    _withdraw,
)
from ferroapi.telemetry._attributes import HEADERS_GETTER, redacted_query, server_attributes

__all__ = ["ObservedRequest", "ServerInstruments", "_exception"]

# http.server.request.duration, http.server.active_requests
ServerInstruments = tuple[Histogram, UpDownCounter]

# The log record of an unanswered exception: (event name, body), for a request and for a connection.
_REQUEST_EXCEPTION = ("http.server.request.exception", "Unhandled exception in FastAPI request")
_CONNECTION_EXCEPTION = ("fastapi.websocket.exception", "Unhandled exception in FastAPI WebSocket connection")

_UNTRACED: AbstractContextManager[Any] = nullcontext()


def _exception(*, scope: Scope, exc: BaseException) -> None:
    """An exception no handler answered: kept for the request's `error.type` and, when logs are on,
    logged once (an ERROR record carrying it). A WebSocket client leaving normally raised nothing."""
    connection = scope["type"] == "websocket"
    if connection and _normal_websocket_disconnect(exc):
        return
    record = scope.get(SCOPE_KEY)
    if not isinstance(record, _RequestTelemetry):
        return
    known = record._exceptions
    for earlier in known:
        if earlier is exc:
            return
    known.append(exc)
    logger = record.logger
    if logger is not None and isinstance(exc, Exception):
        event, body = _CONNECTION_EXCEPTION if connection else _REQUEST_EXCEPTION
        where = {"http.route": record.route} if record.route else None
        _log_event(logger, event, SeverityNumber.ERROR, body, where, exception=exc)


def _base_attributes(scope: Scope, connection: bool, method: str) -> dict[str, Any]:
    """The attributes shared by the span and the metrics (the end adds route, status and error)."""
    if connection:
        return {"url.scheme": scope.get("scheme", "ws"), "network.protocol.name": "websocket"}
    found: dict[str, Any] = {"url.scheme": scope.get("scheme", "http"), "http.request.method": method}
    version = scope.get("http_version")
    if version:
        found["network.protocol.version"] = version
    return found


class ObservedRequest:
    """One request or connection under observation (`run` serves it through the app)."""

    def __init__(
        self,
        scope: Scope,
        *,
        known_methods: frozenset[str],
        instruments: ServerInstruments | None,
        tracer: Tracer | None,
        logger: Logger | None,
        operation_spans: bool,
    ) -> None:
        self.scope = scope
        self.connection = connection = scope["type"] == "websocket"
        self.ended = self.trailers = self.client_left = False
        received_method = scope.get("method", "")
        method = received_method if received_method in known_methods else "_OTHER"
        self.attributes = _base_attributes(scope, connection, method)
        # The active-requests count is not split by protocol version: its +1 and -1 must match.
        self.counted = {
            key: value for key, value in self.attributes.items() if key != "network.protocol.version"
        }
        self.instruments = instruments
        if instruments is not None:
            instruments[1].add(1, self.counted)
        self.started = perf_counter()
        span_method = "WS" if connection else ("HTTP" if method == "_OTHER" else method)
        self.parent_token: Token[Context] | None = None
        self.span = None
        if tracer is not None:
            parent = propagate.extract(Headers(scope=scope), getter=HEADERS_GETTER)
            self.parent_token = attach(parent)
            self.span = tracer.start_span(
                span_method,
                kind=SpanKind.SERVER,
                context=parent,
                attributes=self._span_attributes(received_method, method),
            )
        self.record = _RequestTelemetry(
            logger=logger,
            tracer=tracer if operation_spans else None,
            _mount_prefix=scope.get("app_root_path", scope.get("root_path", "")).rstrip("/"),
            span_method=span_method,
            span=self.span,
        )

    def _span_attributes(self, received_method: str, method: str) -> dict[str, Any]:
        scope = self.scope
        attributes = dict(self.attributes)
        attributes.update(server_attributes(scope))
        if self.connection:
            return attributes
        attributes["url.path"] = scope["path"]
        query = scope.get("query_string")
        if query:
            attributes["url.query"] = redacted_query(query)
        if received_method != method:
            attributes["http.request.method_original"] = received_method
        return attributes

    async def run(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        record = self.record
        published = _publish(self.scope, record)
        try:
            with self._span_in_use():
                await self._serve(app, receive, send)
        finally:
            # A context kept beyond the request must not keep its data (nor its exceptions) alive.
            record.data = None
            record._exceptions.clear()
            _withdraw(self.scope, published)
            if self.parent_token is not None:
                detach(self.parent_token)

    def _span_in_use(self) -> AbstractContextManager[Any]:
        if self.span is None:
            return _UNTRACED
        return trace.use_span(
            self.span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        )

    async def _serve(self, app: ASGIApp, receive: Receive, send: Send) -> None:
        if not self.connection:  # a WebSocket's messages say nothing about its end
            receive, send = self._watched_receive(receive), self._watched_send(send)
        try:
            await app(self.scope, receive, send)
        except BaseException as raised:
            _exception(scope=self.scope, exc=raised)
            closed_normally = self.connection and _normal_websocket_disconnect(raised)
            self.finish(None if closed_normally else raised)
            raise
        finally:
            if not self.ended:
                self.finish(self._why_incomplete())

    def _why_incomplete(self) -> BaseException | None:
        """The error of a response the app returned from without completing."""
        if self.connection:
            return None  # a connection is over when the app is done with it
        if self.client_left:
            return ConnectionError("Client disconnected")
        return RuntimeError("Incomplete ASGI response")

    def _completes(self, message: Message) -> bool:
        kind = message["type"]
        if kind == "http.response.body":
            return not (self.trailers or message.get("more_body", False))
        if kind == "http.response.trailers":
            return not message.get("more_trailers", False)
        return bool(kind == "http.response.pathsend")

    def _watched_send(self, send: Send) -> Send:
        async def send_watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.record.status_code = message["status"]
                self.trailers = message.get("trailers", False)
            await send(message)
            if self._completes(message):
                self.finish()

        return send_watched

    def _watched_receive(self, receive: Receive) -> Receive:
        async def receive_watched() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.client_left = True
            return message

        return receive_watched

    def _error_type(self, error: BaseException | None, status: int | None) -> str | None:
        """`error.type` of the request, None when it did not fail: the error it ended with, else (a
        response with no status or a 5xx one) the last unanswered exception, else the status."""
        if error is not None:
            return _exception_type(error)
        if self.connection or (status is not None and status < 500):
            return None
        recorded = self.record._exceptions
        if recorded:
            return _exception_type(recorded[-1])
        return str(status) if status else "incomplete_response"

    def finish(self, error: BaseException | None = None) -> None:
        """End the span and record the duration; only the first call does anything."""
        if self.ended:
            return
        self.ended = True
        record = self.record
        attributes = self.attributes
        if record.route is not None:
            attributes["http.route"] = record.route
        status = record.status_code
        if status is not None:
            attributes["http.response.status_code"] = status
        error_type = self._error_type(error, status)
        if error_type is not None:
            attributes["error.type"] = error_type
        span = self.span
        if span is not None:
            span.set_attributes(attributes)
            if error_type is not None:
                span.set_status(StatusCode.ERROR)
        instruments = self.instruments
        if instruments is not None:
            # While the span is still current, so that exemplars point at it.
            duration, active = instruments
            duration.record(max(0.0, perf_counter() - self.started), attributes)
            active.add(-1, self.counted)
        if span is not None:
            span.end()
