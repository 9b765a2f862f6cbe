"""Per-stream settings: SSE keepalive interval and send timeout, route over app over module default;
the SSE drain's `retry:` hint, response class over app over default.

- route: the path operation's options (`@app.get(..., sse_keepalive_interval=..., stream_send_timeout=...)`),
  then attributes of the route's `EventSourceResponse` subclass (`keepalive_interval`, `send_timeout`);
- app: `FerroAPI(sse_keepalive_interval=..., stream_send_timeout=...)`;
- default: `ferroapi.sse._PING_INTERVAL` (FastAPI's 15 s; `ferroapi.routing._PING_INTERVAL` too, which
  is what FastAPI's own tests monkeypatch) and `DEFAULT_SEND_TIMEOUT`.
`None` at a level means "not set here"; `math.inf` turns the behaviour off.
"""

from __future__ import annotations

import sys
from typing import Any

from starlette.types import Scope

from ferroapi import sse
from ferroapi._app_settings import app_setting
from ferroapi._pipeline.plan import RoutePlan

__all__ = ["DEFAULT_DRAIN_RETRY", "DEFAULT_SEND_TIMEOUT", "drain_retry", "keepalive_interval", "send_timeout"]

# A send blocked this long means the client stopped reading: the stream ends and is torn down.
# FastAPI has no such limit (the stream, its generator and its keepalive would live forever).
DEFAULT_SEND_TIMEOUT: float | None = 60.0
# Milliseconds: the `retry:` hint an SSE stream ends with when the app drains (docs/shutdown.md).
DEFAULT_DRAIN_RETRY = 1000


def _route_setting(scope: Scope, name: str) -> Any:
    # An included route's options are on its effective route (the merged copy), else on the route.
    private = scope.get("fastapi")
    route = private.get("effective_route_context") if isinstance(private, dict) else None
    return getattr(route or scope.get("route"), name, None)


def _default_ping() -> float:
    routing = sys.modules.get("ferroapi.routing")
    patched = getattr(routing, "_PING_INTERVAL", sse.DEFAULT_PING_INTERVAL)
    if patched != sse.DEFAULT_PING_INTERVAL:
        return float(patched)
    return sse._PING_INTERVAL


def keepalive_interval(plan: RoutePlan, scope: Scope) -> float:
    value = _route_setting(scope, "sse_keepalive_interval")
    if value is None:
        value = getattr(plan.response_class, "keepalive_interval", None)
    if value is None:
        value = app_setting(scope.get("app"), "sse_keepalive_interval")
    return _default_ping() if value is None else float(value)


def send_timeout(plan: RoutePlan, scope: Scope) -> float | None:
    value = _route_setting(scope, "stream_send_timeout")
    if value is None:
        value = getattr(plan.response_class, "send_timeout", None)
    if value is None:
        value = app_setting(scope.get("app"), "stream_send_timeout")
    if value is None:
        return DEFAULT_SEND_TIMEOUT
    return None if value == float("inf") else float(value)


def drain_retry(plan: RoutePlan, scope: Scope) -> int:
    """The `retry:` hint (ms) of an SSE stream ended by a drain: the response class's `drain_retry`,
    else the app's `sse_drain_retry`, else `DEFAULT_DRAIN_RETRY`."""
    value = getattr(plan.response_class, "drain_retry", None)
    if value is None:
        value = app_setting(scope.get("app"), "sse_drain_retry")
    return DEFAULT_DRAIN_RETRY if value is None else int(value)
