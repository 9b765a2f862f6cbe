"""The soak's request kinds: what each one sends to the soak app, and which outcomes it expects.

A kind is an async function `(ctx, rng) -> (label, problem)`: `label` names the outcome (an HTTP status
such as "201", or "no-response", "reset", "ws-1000", ...), `problem` is None or what was wrong with a
response whose status was right (an echo that differs, a stream cut short). The driver (`soak.py`)
bounds every call with a timeout (a hang) and checks the label against the kind's `expected` set.

Kinds go through httpx (pooled keep-alive connections), the websockets client, or a raw TCP socket
when the bytes must be wrong (garbage request heads, bodies cut short, uploads abandoned midway).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

# The soak app's limits (app.py): a body over them is refused with 413.
ITEMS_LIMIT = 64 * 1024
BULK_LIMIT = 256 * 1024
APP_LIMIT = 2 * 1024 * 1024
# starlette's UploadFile keeps up to 1 MiB in memory, then rolls over to a temporary file (an fd).
SPOOL_LIMIT = 1024 * 1024

RAW_TIMEOUT = 10.0  # a raw-socket read that waits longer than this is a hang

Outcome = tuple[str, str | None]


@dataclass
class Context:
    host: str
    port: int
    client: httpx.AsyncClient

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Kind:
    name: str
    weight: float  # 0: not in the default mix (a known issue, enabled by soak.py --known-issues)
    run: Callable[[Context, random.Random], Awaitable[Outcome]]
    expected: frozenset[str]
    doc: str = ""


@dataclass
class Registry:
    kinds: list[Kind] = field(default_factory=list)

    def add(
        self, weight: float, *expected: str, doc: str = ""
    ) -> Callable[
        [Callable[[Context, random.Random], Awaitable[Outcome]]],
        Callable[[Context, random.Random], Awaitable[Outcome]],
    ]:
        def register(
            fn: Callable[[Context, random.Random], Awaitable[Outcome]],
        ) -> Callable[[Context, random.Random], Awaitable[Outcome]]:
            self.kinds.append(Kind(fn.__name__, weight, fn, frozenset(expected), doc or (fn.__doc__ or "")))
            return fn

        return register


KINDS = Registry()


# -- helpers ---------------------------------------------------------------------------------------------


def item(rng: random.Random, i: int = 0) -> dict[str, object]:
    return {
        "name": f"item-{i}-{rng.randrange(10**6)}",
        "price": round(rng.uniform(0.5, 500), 2),
        "quantity": rng.randrange(0, 100),
        "tags": [f"t{rng.randrange(20)}" for _ in range(rng.randrange(0, 5))],
    }


def status(response: httpx.Response) -> str:
    return str(response.status_code)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]], boundary: str) -> bytes:
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, data) in files.items():
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)


def request_head(method: str, path: str, headers: dict[str, str | int]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: soak", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def raw(
    ctx: Context,
    payload: bytes,
    *,
    then: str = "read",
    pause: float = 0.0,
) -> str:
    """Send `payload` on a new connection, then (`then`):

    - "read": read the response's status line;
    - "half-close": shut the writing side, then read (a body cut short by EOF);
    - "abort": wait `pause` seconds, then reset the connection without reading.

    Returns the status ("400"), "no-response" (closed without a byte), or "abandoned" (abort).
    """
    reader, writer = await asyncio.open_connection(ctx.host, ctx.port)
    try:
        try:
            writer.write(payload)
            await writer.drain()
        except ConnectionError:
            return "reset"
        if then == "abort":
            if pause:
                await asyncio.sleep(pause)
            return "abandoned"
        if then == "half-close":
            writer.write_eof()
        return await asyncio.wait_for(read_status(reader), RAW_TIMEOUT)
    finally:
        writer.transport.abort()  # no FIN handshake: the server sees the connection vanish


async def read_status(reader: asyncio.StreamReader) -> str:
    try:
        line = await reader.readline()
    except ConnectionError:
        return "reset"
    if not line:
        return "no-response"
    parts = line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return "garbled"
    return parts[1].decode()


async def read_stream(response: httpx.Response, limit: int | None = None) -> AsyncIterator[str]:
    """The lines of a streamed body; stops after `limit` non-empty lines."""
    seen = 0
    async for line in response.aiter_lines():
        if not line:
            continue
        yield line
        seen += 1
        if limit is not None and seen >= limit:
            return


# -- JSON ------------------------------------------------------------------------------------------------


@KINDS.add(12, "201")
async def json_ok(ctx: Context, rng: random.Random) -> Outcome:
    """POST /items: a valid model, response_model, yield dependency, background task."""
    body = item(rng)
    r = await ctx.client.post("/items", json=body, headers={"x-soak-client": "ok"})
    if r.status_code == 201:
        out = r.json()
        expected_total = body["price"] * body["quantity"]  # type: ignore[operator]
        if out["name"] != body["name"] or abs(out["total"] - expected_total) > 1e-6:
            return status(r), f"wrong echo {out!r}"
    return status(r), None


@KINDS.add(1, "200")
async def json_bulk(ctx: Context, rng: random.Random) -> Outcome:
    """POST /items/bulk: ~100 KB list[ItemIn] (over the 64 KiB GC-pause threshold)."""
    items = [item(rng, i) for i in range(900)]
    r = await ctx.client.post("/items/bulk", json=items)
    if r.status_code == 200 and r.json()["count"] != len(items):
        return status(r), f"count {r.json()['count']} != {len(items)}"
    return status(r), None


@KINDS.add(3, "400", "422")
async def json_invalid(ctx: Context, rng: random.Random) -> Outcome:
    """Malformed JSON: cut off, trailing garbage, not UTF-8, empty, null (422), nested too deep (400)."""
    good = json.dumps(item(rng)).encode()
    body, expected = rng.choice(
        [
            (good[: rng.randrange(1, len(good))], "422"),
            (good + b"}", "422"),
            (b'{"name": "a", "price": 1, "quantity": 1, }', "422"),
            (b"\xff\xfe{}", "422"),
            (b"", "422"),
            (b"null", "422"),
            # FastAPI answers json.loads' RecursionError with 400 "There was an error parsing the body"
            (b"[" * 5000 + b"]" * 5000, "400"),
        ]
    )
    r = await ctx.client.post("/items", content=body, headers={"content-type": "application/json"})
    if status(r) != expected:
        return status(r), f"{body[:30]!r} answered {r.status_code}, expected {expected}"
    return status(r), None


@KINDS.add(1, "422")
async def json_unrepresentable(ctx: Context, rng: random.Random) -> Outcome:
    """JSON that json.loads accepts but a strict JSON answer cannot echo: NaN, +-Infinity, a lone surrogate.

    `price` is a finite float (`allow_inf_nan=False`) and `name` a str, so each fails validation with
    the offending value as the error's `input`. FastAPI 0.165.0 answers 500 (its 422 handler's
    JSONResponse refuses NaN, UTF-8 refuses the surrogate), as ferroapi did before 1e8b918; since then
    the 422 writes the non-finite input as null and the surrogate as its escape.
    """
    body = rng.choice(
        [
            b'{"name": "a", "price": NaN, "quantity": 1}',
            b'{"name": "a", "price": Infinity, "quantity": 1}',
            b'{"name": "a", "price": -Infinity, "quantity": 1}',
            b'{"name": "a", "price": 1e999, "quantity": 1}',
            b'{"name": "\\ud800", "price": 1, "quantity": 1}',
        ]
    )
    r = await ctx.client.post("/items", content=body, headers={"content-type": "application/json"})
    return status(r), None


@KINDS.add(3, "422")
async def json_wrong_types(ctx: Context, rng: random.Random) -> Outcome:
    """Well-formed JSON of the wrong shape: wrong types, missing fields, out of range values."""
    body = item(rng)
    mutation = rng.randrange(6)
    if mutation == 0:
        body["price"] = "cheap"
    elif mutation == 1:
        del body["name"]
    elif mutation == 2:
        body["quantity"] = -1
    elif mutation == 3:
        body["tags"] = {"not": "a list"}
    elif mutation == 4:
        body["quantity"] = 10**30
    else:
        return status(await ctx.client.post("/items", json=[body])), None
    return status(await ctx.client.post("/items", json=body)), None


@KINDS.add(1, "413", "reset")
async def json_oversize(ctx: Context, rng: random.Random) -> Outcome:
    """A declared body over the route's 64 KiB limit (refused before it is read)."""
    body = b'{"name": "' + b"x" * (ITEMS_LIMIT + rng.randrange(1, 50_000)) + b'", "price": 1, "quantity": 1}'
    r = await ctx.client.post("/items", content=body, headers={"content-type": "application/json"})
    return status(r), None


@KINDS.add(1, "413", "reset")
async def json_oversize_chunked(ctx: Context, rng: random.Random) -> Outcome:
    """A chunked body (no Content-Length) that grows over the route's limit while it is read."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(ITEMS_LIMIT // 8192 + 2):
            yield b"y" * 8192
        yield b'", "price": 1, "quantity": 1}'

    r = await ctx.client.post("/items", content=chunks(), headers={"content-type": "application/json"})
    return status(r), None


@KINDS.add(4, "200", "404")
async def get_item(ctx: Context, rng: random.Random) -> Outcome:
    """GET /items/{id}: a stored item, or HTTPException(404) for an unknown one."""
    r = await ctx.client.get(f"/items/{rng.choice([1, 2, rng.randrange(1, 1000), 10**9])}")
    return status(r), None


@KINDS.add(2, "401", "418", "409", "429")
async def http_exception(ctx: Context, rng: random.Random) -> Outcome:
    """HTTPException from an endpoint (with a dict detail) or from a dependency (401 + header)."""
    if rng.random() < 0.4:
        r = await ctx.client.get("/private")
        if r.status_code == 401 and r.headers.get("www-authenticate") != "Token":
            return status(r), "401 without its WWW-Authenticate header"
        return status(r), None
    code = rng.choice([418, 409, 429])
    r = await ctx.client.get(f"/fail/{code}")
    if r.status_code == code and r.json() != {"detail": {"code": code, "why": "asked to"}}:
        return status(r), f"detail {r.text[:80]!r}"
    return status(r), None


@KINDS.add(1, "200")
async def private_ok(ctx: Context, rng: random.Random) -> Outcome:
    """The dependency-guarded route with its token."""
    return status(await ctx.client.get("/private", headers={"x-token": "soak"})), None


# -- forms and uploads ----------------------------------------------------------------------------------


@KINDS.add(3, "200")
async def form_ok(ctx: Context, rng: random.Random) -> Outcome:
    """POST /form, urlencoded or multipart fields; a sync background task."""
    data = {"name": f"n{rng.randrange(1000)}", "quantity": str(rng.randrange(100)), "note": "é&=+ ü"}
    if rng.random() < 0.5:
        r = await ctx.client.post("/form", data=data)
    else:
        r = await ctx.client.post("/form", data=data, files={"unused": ("x.txt", b"x")})
    if r.status_code == 200 and r.json()["note"] != data["note"]:
        return status(r), f"note {r.json()['note']!r}"
    return status(r), None


@KINDS.add(1, "422")
async def form_invalid(ctx: Context, rng: random.Random) -> Outcome:
    """POST /form: a missing field or a non-integer quantity."""
    data = rng.choice([{"name": "x"}, {"name": "x", "quantity": "many"}, {"quantity": "1"}, {}])
    return status(await ctx.client.post("/form", data=data)), None


@KINDS.add(3, "200")
async def upload_small(ctx: Context, rng: random.Random) -> Outcome:
    """POST /upload: a field and a 1-64 KB file (kept in memory by the form parser)."""
    data = rng.randbytes(rng.randrange(1024, 64 * 1024))
    r = await ctx.client.post("/upload", data={"description": "small"}, files={"file": ("s.bin", data)})
    if r.status_code == 200 and r.json()["sha256"] != hashlib.sha256(data).hexdigest():
        return status(r), "sha256 differs"
    return status(r), None


@KINDS.add(0.3, "200")
async def upload_large(ctx: Context, rng: random.Random) -> Outcome:
    """POST /upload: a 1.1-1.5 MB file (over the 1 MiB spool: a temporary file, an fd)."""
    data = rng.randbytes(rng.randrange(SPOOL_LIMIT + 100_000, SPOOL_LIMIT + 500_000))
    r = await ctx.client.post("/upload", data={"description": "large"}, files={"file": ("l.bin", data)})
    if r.status_code == 200 and r.json()["size"] != len(data):
        return status(r), f"size {r.json()['size']} != {len(data)}"
    return status(r), None


@KINDS.add(0.2, "413", "reset")
async def upload_oversize(ctx: Context, rng: random.Random) -> Outcome:
    """POST /upload: 2.1-2.5 MB, over the app's 2 MiB max_body_size."""
    data = rng.randbytes(rng.randrange(APP_LIMIT + 100_000, APP_LIMIT + 500_000))
    r = await ctx.client.post("/upload", data={"description": "big"}, files={"file": ("b.bin", data)})
    return status(r), None


@KINDS.add(1.5, "abandoned", "reset")
async def upload_abort(ctx: Context, rng: random.Random) -> Outcome:
    """A multipart upload whose client vanishes after sending part of the body (raw socket)."""
    large = rng.random() < 0.15  # past the 1 MiB spool: the parser holds a temporary file when it stops
    size = (
        rng.randrange(SPOOL_LIMIT + 200_000, SPOOL_LIMIT + 400_000)
        if large
        else rng.randrange(2_000, 200_000)
    )
    body = multipart({"description": "gone"}, {"file": ("g.bin", rng.randbytes(size))}, "soakboundary42")
    head = request_head(
        "POST",
        "/upload",
        {"Content-Type": "multipart/form-data; boundary=soakboundary42", "Content-Length": len(body)},
    )
    cut = rng.randrange(len(body) // 4, len(body) - 100) if not large else SPOOL_LIMIT + 100_000
    return await raw(ctx, head + body[:cut], then="abort", pause=rng.choice([0.0, 0.05, 0.2])), None


# -- bodies cut short, garbage and odd headers (raw sockets) ----------------------------------------------


@KINDS.add(2, "abandoned", "no-response", "reset")
async def truncated_body(ctx: Context, rng: random.Random) -> Outcome:
    """A body shorter than its Content-Length (or a chunked body cut mid-chunk), then EOF or a reset."""
    target = rng.choice(["/items", "/form", "/items/bulk"])
    if target == "/form":
        content_type, body = "application/x-www-form-urlencoded", b"name=abc&quantity=12&note=" + b"n" * 2000
    else:
        content_type, body = "application/json", json.dumps(item(rng)).encode() + b" " * 2000
    if rng.random() < 0.3:
        head = request_head("POST", target, {"Content-Type": content_type, "Transfer-Encoding": "chunked"})
        payload = head + b"%x\r\n" % len(body) + body[: rng.randrange(0, len(body) - 1)]
    else:
        head = request_head("POST", target, {"Content-Type": content_type, "Content-Length": len(body)})
        payload = head + body[: rng.randrange(0, len(body) - 1)]
    then = rng.choice(["abort", "half-close"])
    return await raw(ctx, payload, then=then, pause=rng.choice([0.0, 0.05])), None


# Request heads a server must refuse (400 from uvicorn's parser; nothing reaches the app).
GARBAGE_HEADS = [
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n",  # a TLS hello
    b"GET /health HTTP/1.1\r\nHost: soak\r\nNoColonHere\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: soak\r\nX-Nul: a\x00b\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: soak\r\nX-Bad Name: v\r\n\r\n",
    b"POST /items HTTP/1.1\r\nHost: soak\r\nContent-Length: abc\r\n\r\n",
    b"POST /items HTTP/1.1\r\nHost: soak\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345",
    b"POST /items HTTP/1.1\r\nHost: soak\r\nContent-Length: -1\r\n\r\n",
    b"POST /items HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    b"GET /health HTTP/1.1\r\nHost: soak\r\nX-Folded: a\r\n  b\r\n\r\n",
    b"GET /he alth HTTP/1.1\r\nHost: soak\r\n\r\n",
]
# Blank lines only: the parser waits for a request line (uvicorn has no timeout for a request head,
# so the client's EOF ends it).
INCOMPLETE_HEADS = [b"\r\n\r\n\r\n\r\n", b"GET /health HTTP/1.1\r\nHost: so"]


@KINDS.add(2, "400", "no-response", "reset")
async def garbage_head(ctx: Context, rng: random.Random) -> Outcome:
    """A malformed request head (not HTTP, bad header syntax, bad Content-Length or chunk size)."""
    if rng.random() < 0.15:
        return await raw(ctx, rng.choice(INCOMPLETE_HEADS), then="half-close"), None
    return await raw(ctx, rng.choice(GARBAGE_HEADS)), None


def odd_requests(rng: random.Random) -> list[tuple[bytes, frozenset[str]]]:
    """Well-formed HTTP with headers and values the app must cope with, and the statuses it may answer.

    The statuses are FastAPI 0.165.0's for the same app (checked against it under uvicorn).
    """
    good = json.dumps(item(rng)).encode()
    form = b"name=a&quantity=1"
    bad = b"--b\r\nContent-Disposition: garbage\r\n\r\nx\r\n--b--\r\n"
    return [
        # JSON with the wrong or unusual content types
        (
            request_head("POST", "/items", {"Content-Type": "text/plain", "Content-Length": len(good)})
            + good,
            frozenset({"422"}),
        ),
        (request_head("POST", "/items", {"Content-Length": len(good)}) + good, frozenset({"422"})),
        (
            request_head(
                "POST",
                "/items",
                {"Content-Type": 'application/json; charset=utf-8; x="y"', "Content-Length": len(good)},
            )
            + good,
            frozenset({"201"}),
        ),
        (
            request_head(
                "POST", "/items", {"Content-Type": "application/vnd.api+json", "Content-Length": len(good)}
            )
            + good,
            frozenset({"201"}),
        ),
        (
            request_head("POST", "/items", {"Content-Type": ";;;", "Content-Length": len(good)}) + good,
            frozenset({"422"}),
        ),
        # header values that are not UTF-8 (latin-1 bytes), very long, or repeated
        (
            request_head(
                "POST", "/items", {"Content-Type": "application/json", "Content-Length": len(good)}
            ).replace(b"Host: soak", b"Host: soak\r\nX-Soak-Client: \xff\xfe\xe9")
            + good,
            frozenset({"201"}),
        ),
        (
            request_head("GET", "/private", {"X-Token": "soak", "Cookie": "a=" + "c" * 16_000 + "; ===;; b"}),
            frozenset({"200"}),
        ),
        (request_head("GET", "/private", {"X-Token": "soak\xe9"}), frozenset({"401"})),
        (
            request_head("GET", "/health", {"X-Dup": "1"}).replace(b"X-Dup: 1", b"X-Dup: 1\r\nX-Dup: 2"),
            frozenset({"200"}),
        ),
        # forms: multipart without a boundary, a body that is not multipart, a broken urlencoded body
        (
            request_head(
                "POST", "/form", {"Content-Type": "multipart/form-data", "Content-Length": len(form)}
            )
            + form,
            frozenset({"400"}),
        ),
        (
            request_head(
                "POST",
                "/form",
                {"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": len(form)},
            )
            + form,
            frozenset({"400"}),
        ),
        (
            request_head(
                "POST", "/form", {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": 13}
            )
            + b"%zz=%ff&&&=&=",
            frozenset({"422"}),
        ),
        (
            request_head(
                "POST",
                "/upload",
                {"Content-Type": "multipart/form-data; boundary=b", "Content-Length": len(bad)},
            )
            + bad,
            frozenset({"400"}),
        ),
        # paths and queries: bad percent-encoding, a non-integer id, a huge id
        (request_head("GET", "/items/%ff%fe", {}), frozenset({"422"})),
        (request_head("GET", "/items/1?q=%ff%00&&=", {}), frozenset({"200", "404"})),
        (request_head("GET", "/items/" + "9" * 400, {}), frozenset({"404"})),
        (request_head("GET", "/stream/jsonl?n=%ff", {}), frozenset({"422"})),
        (request_head("GET", "/" + "a/" * 2000, {}), frozenset({"404"})),
        # HTTP/1.0, Expect: 100-continue
        (b"GET /health HTTP/1.0\r\n\r\n", frozenset({"200"})),
        (
            request_head(
                "POST",
                "/items",
                {"Content-Type": "application/json", "Content-Length": len(good), "Expect": "100-continue"},
            )
            + good,
            frozenset({"100"}),
        ),
    ]


@KINDS.add(2, "ok")
async def odd_headers(ctx: Context, rng: random.Random) -> Outcome:
    """Valid HTTP with unusual headers/values/paths; the answer must be one of the expected statuses."""
    payload, allowed = rng.choice(odd_requests(rng))
    label = await raw(ctx, payload)
    if label in allowed:
        return "ok", None
    first_line = payload.split(b"\r\n", 1)[0].decode("latin-1")[:60]
    return label, f"{first_line!r} answered {label}, expected one of {sorted(allowed)}"


# -- streams ---------------------------------------------------------------------------------------------


@KINDS.add(2, "200")
async def jsonl_full(ctx: Context, rng: random.Random) -> Outcome:
    """GET /stream/jsonl (async or sync generator) read to the end: every line, in order."""
    path = rng.choice(["/stream/jsonl", "/stream/jsonl-sync"])
    n = rng.randrange(1, 60)
    async with ctx.client.stream("GET", path, params={"n": n, "delay": 0.001}) as r:
        if r.status_code != 200:
            return status(r), None
        numbers = [json.loads(line)["n"] async for line in read_stream(r)]
    if numbers != list(range(n)):
        return "200", f"{path}: {len(numbers)} lines of {n}"
    return "200", None


@KINDS.add(2, "200")
async def jsonl_abort(ctx: Context, rng: random.Random) -> Outcome:
    """An endless JSON Lines stream whose client goes away after a few lines."""
    path = rng.choice(["/stream/jsonl", "/stream/jsonl-sync"])
    delay = rng.choice([0.0, 0.002, 0.02])
    async with ctx.client.stream("GET", path, params={"n": 0, "delay": delay}) as r:
        if r.status_code != 200:
            return status(r), None
        async for _ in read_stream(r, limit=rng.randrange(1, 30)):
            pass
    return "200", None  # leaving the block unread closes the connection


@KINDS.add(2, "200")
async def sse_full(ctx: Context, rng: random.Random) -> Outcome:
    """GET /stream/sse read to the end: every event, ids in order."""
    n = rng.randrange(1, 40)
    async with ctx.client.stream("GET", "/stream/sse", params={"n": n, "delay": 0.001}) as r:
        if r.status_code != 200:
            return status(r), None
        ids = [line[4:] async for line in read_stream(r) if line.startswith("id: ")]
    if ids != [str(i) for i in range(n)]:
        return "200", f"{len(ids)} events of {n}"
    return "200", None


@KINDS.add(2, "200")
async def sse_abort(ctx: Context, rng: random.Random) -> Outcome:
    """An endless SSE stream whose client goes away after a few events."""
    delay = rng.choice([0.0, 0.002, 0.02])
    async with ctx.client.stream("GET", "/stream/sse", params={"n": 0, "delay": delay}) as r:
        if r.status_code != 200:
            return status(r), None
        async for _ in read_stream(r, limit=rng.randrange(1, 40)):
            pass
    return "200", None


# -- websockets ------------------------------------------------------------------------------------------


def ws_url(ctx: Context, token: str | None = "soak") -> str:
    query = f"?token={token}" if token is not None else ""
    return f"ws://{ctx.host}:{ctx.port}/ws/echo{query}"


def ws_options() -> dict[str, object]:
    return {"open_timeout": 10, "close_timeout": 5, "ping_interval": None, "proxy": None}


@KINDS.add(2, "ws-1000")
async def ws_echo(ctx: Context, rng: random.Random) -> Outcome:
    """Websocket echo of text and binary messages, then a normal close."""
    async with ws_connect(ws_url(ctx), **ws_options()) as ws:  # type: ignore[arg-type]
        for i in range(rng.randrange(1, 12)):
            message: str | bytes = (
                f"m{i}-" + "é" * rng.randrange(200) if i % 2 else rng.randbytes(rng.randrange(1, 4000))
            )
            await ws.send(message)
            echo = await ws.recv()
            if echo != message:
                return "ws-1000", f"echo differs at message {i}"
    code = ws.close_code
    return f"ws-{code}", None


@KINDS.add(2, "ws-vanished")
async def ws_vanish(ctx: Context, rng: random.Random) -> Outcome:
    """A websocket client that drops the TCP connection without a close frame (sometimes mid-echo)."""
    ws = await ws_connect(ws_url(ctx), **ws_options())  # type: ignore[arg-type]
    try:
        for i in range(rng.randrange(0, 5)):
            await ws.send(f"v{i}")
            await ws.recv()
        if rng.random() < 0.5:
            await ws.send("unanswered" * rng.randrange(1, 500))  # the server's echo meets a dead socket
    finally:
        ws.transport.abort()
    with contextlib.suppress(ConnectionClosed, OSError):
        await asyncio.wait_for(ws.wait_closed(), 5)
    return "ws-vanished", None


@KINDS.add(1, "403")
async def ws_reject(ctx: Context, rng: random.Random) -> Outcome:
    """A websocket handshake without the required `token` query parameter: refused (403)."""
    try:
        async with ws_connect(ws_url(ctx, token=None), **ws_options()) as ws:  # type: ignore[arg-type]
            await ws.send("should not be accepted")
            await ws.recv()
    except InvalidStatus as exc:
        return str(exc.response.status_code), None
    except ConnectionClosed as exc:
        return f"ws-{exc.rcvd.code if exc.rcvd else 'none'}", None
    return "accepted", "accepted without a token"
