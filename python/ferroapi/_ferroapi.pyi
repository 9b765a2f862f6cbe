"""Type stubs for the native module `ferroapi._ferroapi` (checked by mypy.stubtest in `make lint`)."""

import json
from collections.abc import Collection, Sequence
from typing import Any, Final, final

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "FOUND",
    "KEEPALIVE_COMMENT",
    "METHOD_NOT_ALLOWED",
    "NOT_FOUND",
    "REDIRECT",
    "ROUTE_HTTP",
    "ROUTE_MOUNT",
    "ROUTE_WEBSOCKET",
    "SCOPE_HTTP",
    "SCOPE_WEBSOCKET",
    "JSONDecodeError",
    "JSONDepthError",
    "Router",
    "__version__",
    "decode_json",
    "format_sse_data_batch",
    "format_sse_event",
    "has_digit_run",
    "join_json_lines",
    "parse_query_string",
]

__version__: Final[str]

# ---- route table -------------------------------------------------------------------------------
# Route kinds in a spec.
ROUTE_HTTP: Final[int]  # path template + methods (None: any method); matches http scopes only
ROUTE_WEBSOCKET: Final[int]  # path template; matches websocket scopes only
ROUTE_MOUNT: Final[int]  # starlette Mount: `path` + "/{path:path}"; matches http and websocket scopes

# Scope types passed to resolve().
SCOPE_HTTP: Final[int]
SCOPE_WEBSOCKET: Final[int]

# resolve() outcome codes.
FOUND: Final[int]  # (FOUND, index, params): the lowest-index FULL match
METHOD_NOT_ALLOWED: Final[int]  # (METHOD_NOT_ALLOWED, index, params): the lowest-index PARTIAL match
REDIRECT: Final[int]  # (REDIRECT, index, toggled_path): redirect_slashes found a match for the other form
NOT_FOUND: Final[int]  # (NOT_FOUND, -1, None)

@final
class Router:
    """A frozen route table compiled once from plain specs.

    A spec is `(index, path_template, kind, methods)`; `index` is the route's position in the Python
    route list and is what `resolve` returns. Semantics are starlette's ordered scan. `methods` is
    the route's final method set, compared exactly (None or empty: any method). Indices must be
    unique and >= 0. Raises ValueError naming the template for an unknown convertor, a duplicated
    parameter name, or a path not starting with "/" (a mount's may also be "").
    """

    def __new__(
        cls,
        specs: Sequence[tuple[int, str, int, Collection[str] | None]],
        redirect_slashes: bool = True,
    ) -> Router: ...
    def resolve(self, scope_type: int, method: str, path: str) -> tuple[int, int, Any]:
        """(FOUND, index, params), (METHOD_NOT_ALLOWED, index, params), (REDIRECT, index, other_path)
        or (NOT_FOUND, -1, None). `path` is the route path (root_path removed); params are converted
        as starlette's convertors do (int, float, uuid.UUID, str) and include a mount's "path". A
        route whose int parameter has more digits than `sys.get_int_max_str_digits()` allows does not
        match (starlette's int() would raise): the search goes on as if its regex had failed. A
        path holding lone surrogates (ASGI servers decode with errors="replace", so never in practice)
        raises UnicodeEncodeError."""
    def matches_any(self, scope_type: int, path: str) -> bool:
        """True when any route matches `path` FULL or PARTIAL (the redirect_slashes probe), with
        resolve()'s digit limit on int parameters."""
    def __len__(self) -> int: ...

# ---- JSON body decoding ------------------------------------------------------------------------
class JSONDecodeError(json.JSONDecodeError):
    """Raised with the same (msg, doc, pos) that json.loads gives for the same document."""

class JSONDepthError(ValueError):
    """The document nests arrays/objects deeper than max_depth."""

DEFAULT_MAX_DEPTH: Final[int]

def decode_json(data: bytes | bytearray | memoryview, /, max_depth: int = ...) -> Any:
    """bytes (UTF-8) -> Python objects, accepting exactly what json.loads accepts.

    Raises JSONDecodeError (json.loads' message and character position), UnicodeDecodeError for
    invalid UTF-8, JSONDepthError past max_depth.
    """

def has_digit_run(data: bytes, length: int, /) -> bool:
    """Whether `data` holds `length` or more consecutive ASCII digits (probes ~1 byte per window)."""

# ---- Server-Sent Events ------------------------------------------------------------------------
KEEPALIVE_COMMENT: Final[bytes]

def format_sse_event(
    *,
    data_str: str | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """One SSE frame in FastAPI's field order, `\n` line ends, ending with a blank line.

    Raises ValueError for CR/LF in `event` or `id`, NUL in `id`, or `retry` outside 0..2**64-1
    (such values would let a field inject events); `retry=True` frames as 1, as FastAPI's model does.
    """

def format_sse_data_batch(data_strs: Sequence[str], /) -> bytes:
    """Several data-only events framed into one buffer (a batch of ready items, one send)."""

# ---- JSON Lines --------------------------------------------------------------------------------
def join_json_lines(items: Sequence[bytes], /) -> bytes:
    """Each already-serialized item followed by b"\\n", in one buffer."""

def parse_query_string(query_string: bytes, /) -> list[tuple[str, str]]:
    """`parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)`: starlette's QueryParams pairs."""
