"""Semantic-convention attributes read off an ASGI scope: the server's address and port, the query with
credentials redacted, and the carrier getter the propagators read the incoming trace context with."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from opentelemetry.propagators.textmap import Getter
from starlette.datastructures import Headers
from starlette.types import Scope

__all__ = ["HEADERS_GETTER", "redacted_query", "server_attributes"]

# https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server-span: query parameters
# holding credentials are exported as REDACTED (names compared case-sensitively, as specified).
_SENSITIVE_QUERY_PARAMETERS = frozenset(
    {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "sig", "X-Goog-Signature"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class _HeadersGetter(Getter[Headers]):
    """Every value of a repeated header; `baggage`'s values joined into one, since its propagator
    reads only the first."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        found = carrier.getlist(key)
        if found and key.lower() == "baggage":
            return [",".join(found)]
        return found or None

    def keys(self, carrier: Headers) -> list[str]:
        return list(carrier.keys())


HEADERS_GETTER = _HeadersGetter()


def _authority(host: str, scheme: str) -> tuple[str | None, int | None] | None:
    """(address, port) of a Host header value; None unless it is a bare `host[:port]`."""
    try:
        parts = urlsplit(f"//{host}")
        address, port = parts.hostname, parts.port
    except ValueError:  # a malformed authority must never fail the request
        return None
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    return address, (_DEFAULT_PORTS.get(scheme) if port is None else port)


def server_attributes(scope: Scope) -> dict[str, Any]:
    """`server.address` and `server.port`: from the Host header, where ASGI also puts HTTP/2 and 3's
    authority (proxies are the server's or a middleware's business, as for the URL); without one,
    from `scope["server"]`."""
    host = Headers(scope=scope).get("host")
    if host is None:
        address, port = scope.get("server") or (None, None)
    else:
        authority = _authority(host, scope.get("scheme", "http"))
        if authority is None:
            return {}
        address, port = authority
    if address is None:
        return {}
    if port is None:
        return {"server.address": address}
    return {"server.address": address, "server.port": port}


def redacted_query(query_string: bytes) -> str:
    """The query string, with the value of each credential-bearing parameter replaced by REDACTED."""
    fields = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode(
        [(name, "REDACTED" if name in _SENSITIVE_QUERY_PARAMETERS else value) for name, value in fields]
    )
