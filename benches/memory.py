"""Memory: heap bytes allocated and retained per request, resident memory per open SSE stream and websocket.

Part 1, per request (in process, the driver of benches/apps/asgi.py, the scenarios of bench-instr)
--------------------------------------------------------------------------------------------------
Each framework runs in a fresh interpreter started with `PYTHONMALLOC=malloc` (every Python object
and buffer then comes from malloc, not from pymalloc's arenas) and with a small malloc interposer in
`LD_PRELOAD` (C source below, compiled once per run with `cc`). The interposer forwards malloc,
calloc, realloc, posix_memalign, aligned_alloc, memalign and free to glibc and keeps three counters:
bytes requested, blocks returned, and live bytes (`malloc_usable_size` added on allocation, taken off
on free). So the count covers every heap allocation of the process: the interpreter's objects, the
Rust extension's (Rust's global allocator is the system malloc), pydantic-core's (it has no
allocator of its own either). tracemalloc alone would miss the last two, and so would under-count a
framework whose work is in native code.

For one scenario: WARM_UP requests (caches filled, lazy imports done), then BATCHES batches of N
requests, each batch inside one `run_until_complete`; bytes and blocks of a batch divided by N,
the median batch reported. The counts do not depend on the machine's load: batches agree to a few
bytes. The driver's own allocations (scope copy, receive/send closures, the response it collects)
are in every column alike; the `raw` column (benches/apps/equivalents.py) shows that floor.

Retained ("leak check"): live heap bytes after `gc.collect()` once all batches ran, minus the same
before them: what BATCHES x N requests left behind. A few hundred bytes is the noise of free lists and
caches; a leak of one object per request shows as N x BATCHES x its size.

Peak: in a separate interpreter without the interposer, tracemalloc (one frame) measures each of
PEAK_REQUESTS requests: `reset_peak()` before, traced peak minus traced size before it, median
reported. This is the Python-heap working set of one request (what it holds at its widest), not
the native heap.

`explain FRAMEWORK SCENARIO` prints what a scenario retains, grouped by traceback (tracemalloc, 25
frames, snapshot diff): the tool for a retained row that grows.

Part 2, resident memory per open connection (real servers)
----------------------------------------------------------
A uvicorn server (one worker, 127.0.0.1, a fresh process per framework and per kind, so that memory
freed by one kind is not reused by the next) serves `streams_app` below: an SSE endpoint that sends
one event and then idles, and a websocket endpoint that accepts, sends "ready" and waits for
messages. This process opens WARM_CONNECTIONS and closes them (lazy imports, first-use caches),
reads the server's VmRSS from /proc/PID/status, opens K connections and waits until each has its
first event or message, waits SETTLE seconds, reads VmRSS, then does the same with K more. The figure
is the second step, (RSS at 2K - RSS at K) / K: the first K partly land in memory the heap already
had free (garbage of the imports and the warm-up), so RSS understates them, by an amount that depends
on K (it is kept in the JSON as `first`). RSS moves in 4 KiB pages: read the figure to ~1 KiB.

    python benches/memory.py [--requests 2000] [--connections 200] [--json FILE]   # make bench-memory
    python benches/memory.py explain ferroapi "GET small dict"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from e2e import free_port, wait_ready  # noqa: E402
from instructions import FRAMEWORKS, WARM_UP, _framework_driver  # noqa: E402

SCENARIOS = (
    "GET small dict",
    "GET int path + query",
    "POST 10-field model, response_model",
    "3-dependency chain (yield, header)",
)
REQUESTS = 2_000
BATCHES = 3
PEAK_REQUESTS = 200
CONNECTIONS = 200
WARM_CONNECTIONS = 20
SETTLE = 1.0
CHILD_TIMEOUT = 300

# --- part 1: the malloc interposer ----------------------------------------------------------------

COUNTER_SOURCE = r"""
#include <errno.h>
#include <malloc.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

unsigned long long ferro_bytes, ferro_blocks;
long long ferro_live;

static void *counted(void *p, size_t n) {
    if (p) {
        __atomic_fetch_add(&ferro_bytes, n, __ATOMIC_RELAXED);
        __atomic_fetch_add(&ferro_blocks, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&ferro_live, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
    }
    return p;
}

void *malloc(size_t n) { return counted(__libc_malloc(n), n); }
void *calloc(size_t k, size_t n) { return counted(__libc_calloc(k, n), k * n); }
void *memalign(size_t a, size_t n) { return counted(__libc_memalign(a, n), n); }
void *aligned_alloc(size_t a, size_t n) { return counted(__libc_memalign(a, n), n); }

int posix_memalign(void **out, size_t a, size_t n) {
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = counted(__libc_memalign(a, n), n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void free(void *p) {
    if (p) __atomic_fetch_sub(&ferro_live, (long long)malloc_usable_size(p), __ATOMIC_RELAXED);
    __libc_free(p);
}

void *realloc(void *p, size_t n) {
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (q) {
        __atomic_fetch_sub(&ferro_live, (long long)old, __ATOMIC_RELAXED);
        counted(q, n);
    } else if (p && n == 0) {
        __atomic_fetch_sub(&ferro_live, (long long)old, __ATOMIC_RELAXED);
    }
    return q;
}
"""


def build_counter(directory: Path) -> Path:
    """Compile the interposer into `directory`; the path of the shared object."""
    source, library = directory / "counter.c", directory / "libferrocount.so"
    source.write_text(COUNTER_SOURCE)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def counted_env(library: Path) -> dict[str, str]:
    """The environment of an interpreter whose every heap allocation the interposer sees."""
    return {**os.environ, "PYTHONMALLOC": "malloc", "LD_PRELOAD": str(library), "PYTHONHASHSEED": "0"}


class Heap:
    """The interposer's counters, read in the process it is preloaded into."""

    def __init__(self) -> None:
        process = ctypes.CDLL(None)
        try:
            self._bytes = ctypes.c_ulonglong.in_dll(process, "ferro_bytes")
            self._blocks = ctypes.c_ulonglong.in_dll(process, "ferro_blocks")
            self._live = ctypes.c_longlong.in_dll(process, "ferro_live")
        except ValueError:
            raise SystemExit("the malloc interposer is not preloaded (LD_PRELOAD)") from None

    def allocated(self) -> tuple[int, int]:
        return self._bytes.value, self._blocks.value

    def live(self) -> int:
        gc.collect()
        return self._live.value


def _digest(response: Any) -> str:
    return hashlib.sha256(bytes(response.body)).hexdigest()[:16]


def allocations(framework: str, requests: int, batches: int) -> dict[str, dict[str, Any]]:
    """(In the counted interpreter) bytes and blocks per request, retained bytes, for each scenario."""
    heap = Heap()
    rows = {}
    for scenario in SCENARIOS:
        step = _framework_driver(framework, scenario)
        body = _digest(step(WARM_UP))
        before = heap.live()
        per_batch = []
        for _ in range(batches):
            start = heap.allocated()
            step(requests)
            end = heap.allocated()
            per_batch.append(((end[0] - start[0]) / requests, (end[1] - start[1]) / requests))
        retained = heap.live() - before
        rows[scenario] = {
            "bytes": statistics.median(b for b, _ in per_batch),
            "blocks": statistics.median(n for _, n in per_batch),
            "batches": [b for b, _ in per_batch],
            "retained": retained,
            "requests": requests * batches,
            "body": body,
        }
    return rows


def peaks(framework: str, requests: int) -> dict[str, float]:
    """(Under tracemalloc) the median Python-heap peak of one request above what was traced before it."""
    import tracemalloc

    tracemalloc.start(1)
    rows = {}
    for scenario in SCENARIOS:
        step = _framework_driver(framework, scenario)
        step(WARM_UP)
        gc.collect()
        each = []
        for _ in range(requests):
            tracemalloc.reset_peak()
            size = tracemalloc.get_traced_memory()[0]
            step(1)
            each.append(tracemalloc.get_traced_memory()[1] - size)
        rows[scenario] = statistics.median(each)
    tracemalloc.stop()
    return rows


def explain(framework: str, scenario: str, requests: int, top: int) -> None:
    """What `requests` requests of `scenario` retain, by traceback (tracemalloc snapshot diff)."""
    import tracemalloc

    tracemalloc.start(25)
    step = _framework_driver(framework, scenario)
    step(WARM_UP)
    gc.collect()
    before = tracemalloc.take_snapshot()
    step(requests)
    gc.collect()
    after = tracemalloc.take_snapshot()
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    diff = after.filter_traces(ignore).compare_to(before.filter_traces(ignore), "traceback")
    growing = [d for d in diff if d.size_diff > 0]
    print(f"{framework} {scenario}: {requests} requests retain {sum(d.size_diff for d in diff):+,} bytes")
    for stat in growing[:top]:
        print(f"\n{stat.size_diff:+,} bytes in {stat.count_diff:+,} blocks")
        for line in stat.traceback.format(limit=25):
            print("   ", line)


def _child(command: list[str], env: dict[str, str] | None = None) -> Any:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *command],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT,
    )
    return json.loads(done.stdout.splitlines()[-1])


def per_request(requests: int, batches: int) -> list[dict[str, Any]]:
    """Part 1 for every framework, one fresh interpreter each, and the table."""
    with tempfile.TemporaryDirectory(prefix="ferroapi-memory-") as tmp:
        env = counted_env(build_counter(Path(tmp)))
        counted = {
            fw: _child(["allocations", fw, "--requests", str(requests), "--batches", str(batches)], env)
            for fw in FRAMEWORKS
        }
    traced = {fw: _child(["peaks", fw, "--requests", str(PEAK_REQUESTS)]) for fw in FRAMEWORKS}
    metrics = (
        ("allocated B/request", lambda r: r["bytes"]),
        ("blocks/request", lambda r: r["blocks"]),
        ("peak B/request (tracemalloc)", None),
        (f"retained B after {requests * batches:,}", lambda r: r["retained"]),
    )
    print(f"\n== heap per request, in process ({requests:,} requests x {batches} batches) ==")
    print(
        f"{'scenario':<38}{'metric':<30}" + "".join(f"{fw:>12}" for fw in FRAMEWORKS) + "  fastapi/ferroapi"
    )
    rows = []
    for scenario in SCENARIOS:
        bodies = {counted[fw][scenario]["body"] for fw in FRAMEWORKS}
        for metric, read in metrics:
            values = {
                fw: float(traced[fw][scenario] if read is None else read(counted[fw][scenario]))
                for fw in FRAMEWORKS
            }
            ferro, fastapi = values["ferroapi"], values["fastapi"]
            ratio = f"{fastapi / ferro:>15.2f}x" if ferro > 0 and not metric.startswith("retained") else ""
            cells = "".join(f"{values[fw]:>12,.0f}" for fw in FRAMEWORKS)
            label = scenario if metric == metrics[0][0] else ""
            print(f"{label:<38}{metric:<30}{cells}  {ratio}", flush=True)
            rows.append({"scenario": scenario, "metric": metric, **values})
        if len(bodies) != 1:
            print(f"{'':<38}BODIES DIFFER: {bodies}")
    return rows


# --- part 2: resident memory per open connection ----------------------------------------------


def streams_app(name: str) -> Any:
    """The server app of part 2, written once for ferroapi and FastAPI (`uvicorn memory:<name>_streams`)."""
    from apps import load

    fw = load(name)
    sse = __import__(f"{name}.sse", fromlist=["EventSourceResponse"])
    app = fw.App()

    async def events() -> AsyncIterator[dict[str, bool]]:
        yield {"ready": True}
        await asyncio.Event().wait()  # idle until the client leaves (the task is cancelled then)

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("ready")
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    app.get("/sse", response_class=sse.EventSourceResponse)(events)
    app.websocket("/ws")(socket)
    return app


ferroapi_streams = partial(streams_app, "ferroapi")
fastapi_streams = partial(streams_app, "fastapi")


def resident(pid: int) -> int:
    """VmRSS of `pid`, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@contextlib.contextmanager
def server(framework: str) -> Iterator[tuple[int, int]]:
    """A uvicorn process serving `streams_app(framework)`: (pid, port); terminated on exit."""
    port = free_port()
    bindir = Path(sys.executable).parent
    command = [str(bindir / "uvicorn"), f"memory:{framework}_streams", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
               "--timeout-graceful-shutdown", "2"]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(command, cwd=HERE, env=env)
    try:
        wait_ready(port, process)
        yield process.pid, port
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        process.kill()  # only if it has not exited
        process.wait()


class Connections:
    """Idle SSE streams or websockets held open against one server."""

    def __init__(self, kind: str, port: int) -> None:
        self.kind, self.port = kind, port
        self.open: list[Any] = []
        self.gate = asyncio.Semaphore(50)  # connect in waves: the listen backlog is finite

    async def _sse(self) -> Any:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"SSE: {head[:100]!r}")
        await reader.readuntil(b"\n\n")  # the first event: the stream is set up on the server
        return writer

    async def _ws(self) -> Any:
        from websockets.asyncio.client import connect

        ws = await connect(f"ws://127.0.0.1:{self.port}/ws", max_queue=1)
        if await ws.recv() != "ready":
            raise RuntimeError("websocket: unexpected first message")
        return ws

    async def add(self, count: int) -> None:
        async def one() -> None:
            async with self.gate:
                self.open.append(await (self._sse() if self.kind == "sse" else self._ws()))

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), timeout=60)

    async def close(self) -> None:
        for connection in self.open:
            if self.kind == "sse":
                connection.close()
                with contextlib.suppress(OSError):
                    await connection.wait_closed()
            else:
                await connection.close()
        self.open.clear()


async def _per_connection(framework: str, kind: str, count: int) -> dict[str, float]:
    with server(framework) as (pid, port):
        warm = Connections(kind, port)
        await warm.add(WARM_CONNECTIONS)
        await warm.close()
        await asyncio.sleep(SETTLE)
        levels = [resident(pid)]
        held = Connections(kind, port)
        try:
            for _ in range(2):
                await held.add(count)
                await asyncio.sleep(SETTLE)
                levels.append(resident(pid))
        finally:
            await held.close()
    before, first, second = levels
    return {"before": before, "first": (first - before) / count, "per": (second - first) / count}


def per_connection(count: int) -> list[dict[str, Any]]:
    """Part 2 for ferroapi and FastAPI, and the table."""
    frameworks = ("ferroapi", "fastapi")
    print(f"\n== resident memory per open connection, uvicorn, {count} held open ==")
    print(f"{'connection':<26}" + "".join(f"{fw:>22}" for fw in frameworks) + "  fastapi/ferroapi")
    print(f"{'':<26}" + "".join(f"{'B each (RSS before)':>22}" for _ in frameworks))
    rows = []
    for kind, label in (("sse", "idle SSE stream"), ("ws", "idle websocket")):
        got = {fw: asyncio.run(_per_connection(fw, kind, count)) for fw in frameworks}
        cells = "".join(
            f"{got[fw]['per']:>10,.0f} ({got[fw]['before'] / 2**20:5.1f} MiB)" for fw in frameworks
        )
        ferro = got["ferroapi"]["per"]
        ratio = f"{got['fastapi']['per'] / ferro:>15.2f}x" if ferro > 0 else ""
        print(f"{label:<26}{cells}  {ratio}", flush=True)
        rows.append({"connection": label, "connections": count, **got})
    return rows


def about() -> dict[str, Any]:
    """Where and when a result was recorded: the commit, the interpreter, the packages measured."""
    import importlib.metadata
    import importlib.util
    import platform

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
    spec = importlib.util.find_spec("ferroapi")
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "commit": commit.stdout.strip(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cores": os.cpu_count(),
        "ferroapi": str(Path(spec.origin).parent) if spec and spec.origin else None,
        "fastapi": importlib.metadata.version("fastapi"),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=REQUESTS, help="requests per batch")
    parser.add_argument("--batches", type=int, default=BATCHES)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    commands = parser.add_subparsers(dest="command")
    for name in ("allocations", "peaks"):  # what the fresh interpreters run (JSON on stdout)
        child = commands.add_parser(name)
        child.add_argument("framework", choices=FRAMEWORKS)
        child.add_argument("--requests", type=int, default=REQUESTS)
        child.add_argument("--batches", type=int, default=BATCHES)
    why = commands.add_parser("explain")
    why.add_argument("framework", choices=FRAMEWORKS)
    why.add_argument("scenario", choices=SCENARIOS)
    why.add_argument("--requests", type=int, default=REQUESTS)
    why.add_argument("--top", type=int, default=10)
    options = parser.parse_args(argv)
    if options.command == "allocations":
        print(json.dumps(allocations(options.framework, options.requests, options.batches)))
    elif options.command == "peaks":
        print(json.dumps(peaks(options.framework, options.requests)))
    elif options.command == "explain":
        explain(options.framework, options.scenario, options.requests, options.top)
    else:
        started = time.monotonic()
        result = {
            "about": about(),
            "per_request": per_request(options.requests, options.batches),
            "per_connection": per_connection(options.connections),
        }
        print(f"\n({time.monotonic() - started:.0f} s)")
        if options.json:
            options.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
