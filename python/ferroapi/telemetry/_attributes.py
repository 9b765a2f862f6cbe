"""Semantic-convention attributes read off an ASGI scope: server address, redacted query, and the
header carrier the propagators extract the incoming trace context from."""

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
    """Repeated headers as a list; `baggage` joined, as its propagator reads the first value only."""

    def get(self, carrier: Headers, key: str) -> list[str] | None:
        values = carrier.getlist(key)
        if not values:
            return None
        if key.lower() == "baggage":
            return [",".join(values)]
        return values

    def keys(self, carrier: Headers) -> list[str]:
        return carrier.keys()


HEADERS_GETTER = _HeadersGetter()


def server_attributes(scope: Scope) -> dict[str, Any]:
    """`server.address`/`server.port` from the Host header (ASGI puts HTTP/2 and 3's authority there;
    proxies are the server's or a middleware's business, as for the URL), else from `scope["server"]`.
    A malformed authority gives no attributes: it must never fail the request."""
    authority = Headers(scope=scope).get("host")
    if authority is None:
        address, port = scope.get("server") or (None, None)
    else:
        try:
            url = urlsplit("//" + authority)
            address, port = url.hostname, url.port
        except ValueError:
            return {}
        if url.username is not None or url.path or url.query or url.fragment:
            return {}
        if port is None:
            port = _DEFAULT_PORTS.get(scope.get("scheme", "http"))
    if address is None:
        return {}
    attributes: dict[str, Any] = {"server.address": address}
    if port is not None:
        attributes["server.port"] = port
    return attributes


def redacted_query(query_string: bytes) -> str:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return urlencode(
        [(key, "REDACTED" if key in _SENSITIVE_QUERY_PARAMETERS else value) for key, value in pairs]
    )
