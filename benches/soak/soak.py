"""Soak: a real uvicorn server under a bounded mixed load for SOAK_SECONDS, checked for leaks and errors.

    make soak                         # 600 s (SOAK_SECONDS), results in benches/results/soak-latest.txt
    .venv/bin/python benches/soak/soak.py --seconds 60 --results /tmp/soak.txt

The server is `uvicorn app:app` (benches/soak/app.py) in its own process: one worker, 127.0.0.1, a
free port (uvicorn binds port 0 and logs the port it got), uvicorn's defaults otherwise (uvloop,
httptools, the websockets library), access log on, its output in a log file. This process is the load
generator: `--concurrency` workers (24) each run one request kind after another (load.py: valid
requests, bad input, oversized and truncated bodies, garbage heads, streams and uploads abandoned
midway, websockets that vanish), every one bounded by a timeout. Every `--sample` seconds it records
the server's RSS (/proc/<pid>/status VmRSS), open fds (/proc/<pid>/fd) and, from the app's
`/_soak/stats`, its live asyncio tasks and what its endpoints hold open.

Phases: warm-up (every kind a few times, so lazily created objects exist), then an idle baseline
sample, the load, then a settle phase (up to `--settle` seconds) that waits for the server to hold
no more fds and tasks than at the baseline and no open dependency, stream, websocket or background
task; the last sample runs a full GC first.

The run fails (exit 1) when:
- any response is a 5xx (seen by a client, or in the server's access log), or the server log has an
  ERROR / traceback;
- any operation times out (a hang), fails with an unexpected exception, or ends with an outcome its
  kind does not expect (e.g. 200 where 422 is due), or with a wrong body (echo, stream, checksum);
- RSS grew, from the sample at 20% of the load to the final one, by more than the smaller of 20% of
  the 20% sample and 30 MB (`--rss-growth-pct`, `--rss-growth-mb`). The 20% sample is after warm-up
  and after the allocator's high-water marks of a stationary mix are set; what remains is noise
  from rarer peaks (several concurrent 1-2 MB uploads), well under 20% of a ~70 MB process. A real
  leak of 100 bytes per request over the ~100k requests after that point is ~10 MB and grows with
  the run, so a 10-minute run tells it from noise; 30 MB caps the tolerance for a larger process;
- fds or tasks are not back to the baseline after the load, or a dependency/stream/websocket/
  background task is still open, or the GC is left disabled;
- the server died, or did not stop cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import os
import platform
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from load import KINDS, Context, Kind  # noqa: E402

ROOT = HERE.parent.parent
DEFAULT_RESULTS = ROOT / "benches" / "results" / "soak-latest.txt"
STATS_TIMEOUT = 10.0
STARTUP_TIMEOUT = 30.0
# Below uvicorn's timeout_keep_alive (5 s): a pooled connection is never reused just as the server
# closes it for idleness (that race is a ReadError on a valid request, a client artefact).
KEEPALIVE_EXPIRY = 2.0


@dataclass
class Sample:
    t: float  # seconds since the load started (negative: before it)
    phase: str
    rss_kb: int
    fds: int
    tasks: int
    threads: int
    gc_objects: int
    gc_enabled: bool
    open: dict[str, int]
    ops: int


@dataclass
class Totals:
    labels: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    problems: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    ops = 0

    def record(self, kind: Kind, label: str, problem: str | None, seconds: float) -> None:
        self.ops += 1
        self.labels[kind.name][label] += 1
        self.latencies[kind.name].append(seconds)
        if problem is None and label not in kind.expected:
            problem = f"outcome {label!r} (expected {sorted(kind.expected)})"
        if problem is not None:
            key = f"{kind.name}: {problem}"
            self.problems[kind.name] += 1
            if len(self.examples) < 30 and key not in self.examples:
                self.examples.append(key)


# -- the server --------------------------------------------------------------------------------------------


class Server:
    def __init__(self, log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        cmd = [
            sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(HERE),
            "--host", "127.0.0.1", "--port", "0", "--log-level", "info",
            # in-flight requests get 10 s at shutdown (then uvicorn cancels them, and logs an ERROR)
            "--timeout-graceful-shutdown", "10",
        ]  # fmt: skip
        self.cmd = " ".join(cmd[1:])
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        self.pid = self.proc.pid
        self.port = 0

    def wait_started(self) -> int:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        pattern = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({self.proc.returncode}):\n{self.log_text()[-3000:]}")
            match = pattern.search(self.log_path.read_bytes())
            if match:
                self.port = int(match.group(1))
                return self.port
            time.sleep(0.05)
        raise TimeoutError(f"uvicorn did not start within {STARTUP_TIMEOUT}s")

    def log_text(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def stop(self) -> int | None:
        """Graceful stop (SIGINT, as Ctrl-C); killed if it takes over 15 s. Returns the exit code."""
        code: int | None = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                code = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                code = None
        else:
            code = self.proc.returncode
        self.log.close()
        return code


# -- the run ---------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, args: argparse.Namespace, server: Server) -> None:
        self.args = args
        self.server = server
        self.totals = Totals()
        self.samples: list[Sample] = []
        self.failures: list[str] = []
        self.load_started = 0.0
        self.hangs = 0
        self.stats_client: httpx.AsyncClient | None = None
        # weight 0: a known issue, in the mix only with --known-issues
        self.kinds = [
            k if k.weight else dataclasses.replace(k, weight=2.0)
            for k in KINDS.kinds
            if k.weight or args.known_issues
        ]

    async def stats(self, collect: bool = False) -> dict[str, Any]:
        assert self.stats_client is not None
        r = await self.stats_client.get("/_soak/stats", params={"collect": "true"} if collect else None)
        r.raise_for_status()
        result: dict[str, Any] = r.json()
        return result

    async def sample(self, phase: str, collect: bool = False) -> Sample:
        try:
            stats = await asyncio.wait_for(self.stats(collect), STATS_TIMEOUT)
        except (asyncio.TimeoutError, httpx.HTTPError) as exc:
            raise RuntimeError(f"the stats endpoint did not answer ({phase}): {exc!r}") from exc
        t = time.monotonic() - self.load_started if self.load_started else 0.0
        s = Sample(
            t=t,
            phase=phase,
            rss_kb=self.server.rss_kb(),
            fds=self.server.fds(),
            tasks=stats["tasks"],
            threads=stats["threads"],
            gc_objects=stats["gc_objects"],
            gc_enabled=stats["gc_enabled"],
            open=stats["open"],
            ops=self.totals.ops,
        )
        self.samples.append(s)
        return s

    async def one(self, ctx: Context, kind: Kind, rng: random.Random) -> None:
        started = time.perf_counter()
        problem: str | None = None
        try:
            label, problem = await asyncio.wait_for(kind.run(ctx, rng), self.args.op_timeout)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            label = "hang"
            problem = f"no answer within {self.args.op_timeout:g}s"
            self.hangs += 1
        except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError, ConnectionError) as exc:
            # A server that answers 413 and closes while the client still sends is a legitimate
            # reset for an oversized body; anywhere else it is unexpected (the kind's set decides).
            label = "reset"
            if "reset" not in kind.expected:
                problem = f"connection error {exc!r}"
        except Exception as exc:
            label = f"error:{type(exc).__name__}"
            problem = f"{exc!r}"[:200]
        self.totals.record(kind, label, problem, time.perf_counter() - started)

    async def worker(self, ctx: Context, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        kinds = self.kinds
        weights = [k.weight for k in kinds]
        while time.monotonic() < deadline:
            await self.one(ctx, rng.choices(kinds, weights)[0], rng)
            if self.args.think:
                await asyncio.sleep(rng.uniform(0, self.args.think))

    async def sampler(self, duration: float, stop: asyncio.Event) -> None:
        next_at = time.monotonic()
        while not stop.is_set():
            await self.sample("load")
            next_at += self.args.sample
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))

    def client(self, port: int) -> httpx.AsyncClient:
        n = self.args.concurrency
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=httpx.Timeout(self.args.op_timeout / 2),
            limits=httpx.Limits(
                max_connections=n, max_keepalive_connections=n, keepalive_expiry=KEEPALIVE_EXPIRY
            ),
        )

    async def settle(self, base: Sample) -> Sample:
        """Wait until fds, tasks and open counts are back to the baseline; the final sample (GC'd)."""
        deadline = time.monotonic() + self.args.settle
        while True:
            s = await self.sample("settle")
            back = s.fds <= base.fds and s.tasks <= base.tasks and not any(s.open.values())
            if back or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        return await self.sample("final", collect=True)

    async def run(self) -> None:
        args = self.args
        port = self.server.port
        self.stats_client = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=STATS_TIMEOUT,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY),
        )
        try:
            await self.sample("start")
            # warm-up: each kind a few times, one at a time
            async with self.client(port) as client:
                ctx = Context("127.0.0.1", port, client)
                rng = random.Random(args.seed)
                for _ in range(args.warmup_rounds):
                    for kind in self.kinds:
                        await self.one(ctx, kind, rng)
            self.warmup_ops = self.totals.ops
            await asyncio.sleep(1.0)
            base = await self.settle_baseline()
            # the load
            self.load_started = time.monotonic()
            deadline = self.load_started + args.seconds
            stop = asyncio.Event()
            sampler = asyncio.ensure_future(self.sampler(args.seconds, stop))
            async with self.client(port) as client:
                ctx = Context("127.0.0.1", port, client)
                workers = [self.worker(ctx, args.seed + 1 + i, deadline) for i in range(args.concurrency)]
                await asyncio.gather(*workers)
            stop.set()
            await sampler
            self.load_seconds = time.monotonic() - self.load_started
            await self.sample("load-end")
            self.final = await self.settle(base)
            self.base = base
        finally:
            await self.stats_client.aclose()

    async def settle_baseline(self) -> Sample:
        """The idle baseline after warm-up: the lowest fds/tasks seen over a few quiet seconds."""
        deadline = time.monotonic() + self.args.settle
        best: Sample | None = None
        while True:
            s = await self.sample("baseline")
            if best is None or (s.fds, s.tasks) < (best.fds, best.tasks):
                best = s
            if not any(s.open.values()) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        self.samples.remove(s)
        self.samples.append(best)
        best.phase = "baseline"
        return best


# -- checks and the report ---------------------------------------------------------------------------------

ACCESS = re.compile(r'"(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|TRACE|CONNECT|WebSocket) [^"]*" (\d{3})\b')


LEVEL = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):")


def server_log_findings(text: str) -> tuple[Counter[str], Counter[str]]:
    """Status counts of uvicorn's access log, and the errors it logged (by their exception line).

    An error is an ERROR/CRITICAL record or a traceback; it is named by its message and the last line
    of the traceback that follows it (the exception), e.g. "Exception in ASGI application: ValueError: ...".
    """
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    current: list[str] | None = None

    def close() -> None:
        if current is not None:
            tail = next((line.strip() for line in reversed(current[1:]) if line.strip()), "")
            errors[f"{current[0]}: {tail}"[:300] if tail else current[0][:300]] += 1

    for line in text.splitlines():
        level = LEVEL.match(line)
        if level or ACCESS.search(line):
            close()
            current = None
            if level and level.group(1) in ("ERROR", "CRITICAL"):
                current = [line.split(":", 1)[1].strip()]
            m = ACCESS.search(line)
            if m:
                statuses[m.group(1)] += 1
        elif current is not None:
            current.append(line)
        elif line.startswith("Traceback"):
            current = ["traceback"]
    close()
    return statuses, errors


def pick(samples: list[Sample], phase: str, at: float | None = None) -> Sample:
    load = [s for s in samples if s.phase == phase]
    if at is None:
        return load[-1]
    return next((s for s in load if s.t >= at), load[-1])


def mb(kb: int) -> str:
    return f"{kb / 1024:.1f} MB"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def evaluate(soak: Soak, server_code: int | None, log_text: str) -> tuple[list[str], list[str]]:
    """(report lines, failures)."""
    args = soak.args
    totals = soak.totals
    failures: list[str] = []
    out: list[str] = []
    samples = soak.samples
    base, final = soak.base, soak.final
    duration = soak.load_seconds
    first = pick(samples, "load", 0.0)
    warm = pick(samples, "load", 0.2 * duration)
    middle = pick(samples, "load", 0.5 * duration)
    end = pick(samples, "load-end")

    out.append("== samples (t: seconds into the load; tasks include the stats request's own) ==")
    header = (
        f"{'sample':<14}{'t':>8}{'RSS':>11}{'fds':>6}{'tasks':>7}{'threads':>8}{'gc objs':>9}"
        f"{'open deps/streams/ws/bg':>25}{'ops':>9}"
    )
    out.append(header)
    rows = [("baseline", base), ("load start", first), ("20% (warm)", warm), ("middle", middle)]
    rows += [("load end", end), ("final (gc)", final)]
    for name, s in rows:
        o = s.open
        opened = f"{o['deps']}/{o['streams']}/{o['ws'] + o['ws_deps']}/{o['bg']}"
        out.append(
            f"{name:<14}{s.t:>8.1f}{mb(s.rss_kb):>11}{s.fds:>6}{s.tasks:>7}{s.threads:>8}"
            f"{s.gc_objects:>9}{opened:>25}{s.ops:>9}"
        )

    # RSS growth after warm-up
    growth_kb = final.rss_kb - warm.rss_kb
    limit_kb = min(warm.rss_kb * args.rss_growth_pct / 100, args.rss_growth_mb * 1024)
    load_rss = [s for s in samples if s.phase == "load" and s.t >= 0.2 * duration]
    peak = max((s.rss_kb for s in load_rss), default=warm.rss_kb)
    out.append("")
    out.append(
        f"RSS: baseline {mb(base.rss_kb)}, 20% {mb(warm.rss_kb)}, peak after 20% {mb(peak)}, "
        f"load end {mb(end.rss_kb)}, final {mb(final.rss_kb)}; growth after warm-up "
        f"{growth_kb / 1024:+.1f} MB (limit {limit_kb / 1024:.1f} MB = min({args.rss_growth_pct:g}% of "
        f"the 20% sample, {args.rss_growth_mb:g} MB))"
    )
    if growth_kb > limit_kb:
        failures.append(
            f"RSS grew by {growth_kb / 1024:.1f} MB after warm-up (limit {limit_kb / 1024:.1f} MB)"
        )
    if final.fds > base.fds:
        failures.append(f"open fds {final.fds} after the load, baseline {base.fds}")
    if final.tasks > base.tasks:
        failures.append(f"asyncio tasks {final.tasks} after the load, baseline {base.tasks}")
    still_open = {k: v for k, v in final.open.items() if v}
    if still_open:
        failures.append(f"still open after the load: {still_open}")
    if not final.gc_enabled:
        failures.append("the cyclic GC is disabled after the load")
    out.append(
        f"fds: baseline {base.fds}, load end {end.fds}, final {final.fds}; "
        f"tasks: baseline {base.tasks}, load end {end.tasks}, final {final.tasks}"
    )

    # per kind
    out.append("")
    out.append(f"== requests per kind ({totals.ops} operations, {soak.warmup_ops} of them warm-up) ==")
    out.append(f"{'kind':<22}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  outcomes")
    client_statuses: Counter[str] = Counter()
    for kind in soak.kinds:
        labels = totals.labels.get(kind.name, Counter())
        lat = totals.latencies.get(kind.name, [])
        client_statuses.update(labels)
        outcomes = ", ".join(f"{label} x{n}" for label, n in labels.most_common())
        out.append(
            f"{kind.name:<22}{sum(labels.values()):>8}{percentile(lat, 0.5) * 1000:>9.1f}"
            f"{percentile(lat, 0.99) * 1000:>9.1f}{max(lat, default=0) * 1000:>9.1f}  {outcomes}"
        )
    out.append(f"{'total':<22}{totals.ops:>8}   ({totals.ops / max(duration, 1e-9):.0f}/s over the load)")

    # statuses
    server_statuses, error_lines = server_log_findings(log_text)
    out.append("")
    out.append("== outcomes seen by the clients ==")
    out.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(client_statuses.items())))
    out.append("== statuses in the server's access log (every response uvicorn sent) ==")
    out.append("  " + ", ".join(f"{k}: {v}" for k, v in sorted(server_statuses.items())))
    client_5xx = sum(n for k, n in client_statuses.items() if k.isdigit() and k.startswith("5"))
    server_5xx = sum(n for k, n in server_statuses.items() if k.startswith("5"))
    out.append(f"5xx: {client_5xx} seen by clients, {server_5xx} in the access log")
    if client_5xx or server_5xx:
        failures.append(f"5xx responses: {client_5xx} seen by clients, {server_5xx} in the access log")
    if soak.hangs:
        failures.append(f"{soak.hangs} operations hung (no answer within {args.op_timeout:g}s)")
    problems = sum(totals.problems.values())
    if problems:
        failures.append(f"{problems} unexpected outcomes: {dict(totals.problems)}")
        out.append("")
        out.append("== unexpected outcomes (examples) ==")
        out.extend(f"  {e}" for e in totals.examples)
    if error_lines:
        failures.append(f"{sum(error_lines.values())} errors in the server log")
        out.append("")
        out.append("== server log errors ==")
        out.extend(f"  {n:>6} x {summary}" for summary, n in error_lines.most_common(20))
    if server_code != 0:
        failures.append(f"the server did not stop cleanly (exit code {server_code})")
    return out, failures


def header_lines(args: argparse.Namespace, server: Server, soak: Soak) -> list[str]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        "?",
    )  # fmt: skip
    import uvicorn
    import websockets

    now = datetime.datetime.now(datetime.timezone.utc)
    return [
        f"# ferroapi soak, {now:%Y-%m-%d %H:%M} UTC, commit {commit}",
        f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores: {cpu}",
        f"# server: {server.cmd} (uvicorn {uvicorn.__version__}, pid {server.pid}, port {server.port})",
        f"# load: {args.seconds:g} s, {args.concurrency} workers, think 0-{args.think * 1000:g} ms, "
        f"sample every "
        f"{args.sample:g} s, {len(soak.kinds)} kinds, seed {args.seed}; httpx {httpx.__version__}, "
        f"websockets {websockets.__version__}",
    ]


def main(argv: list[str] | None = None) -> int:
    env_seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--seconds", type=float, default=env_seconds, help="load duration (SOAK_SECONDS, 600)"
    )
    parser.add_argument("--concurrency", type=int, default=24, help="concurrent load workers (24)")
    parser.add_argument(
        "--think", type=float, default=0.002, help="max random pause between a worker's ops (s)"
    )
    parser.add_argument(
        "--sample", type=float, default=None, help="seconds between samples (seconds/60, 1-10)"
    )
    parser.add_argument(
        "--settle", type=float, default=30.0, help="max seconds to wait for the baseline again"
    )
    parser.add_argument("--rss-growth-pct", type=float, default=20.0)
    parser.add_argument("--rss-growth-mb", type=float, default=30.0)
    parser.add_argument("--op-timeout", type=float, default=20.0, help="an operation taking longer hangs (s)")
    parser.add_argument("--warmup-rounds", type=int, default=3, help="each kind this many times first")
    parser.add_argument(
        "--known-issues", action="store_true", help="add the kinds of known issues to the mix"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="the report file")
    parser.add_argument("--keep-log", type=Path, default=None, help="copy the server log here")
    args = parser.parse_args(argv)
    if args.sample is None:
        args.sample = min(10.0, max(1.0, args.seconds / 60))

    with tempfile.TemporaryDirectory(prefix="ferroapi-soak-") as tmp:
        log_path = Path(tmp) / "server.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        server = Server(log_path, env)
        soak = Soak(args, server)
        error: str | None = None
        code: int | None = None
        try:
            server.wait_started()
            print(
                f"soak: uvicorn pid {server.pid} on 127.0.0.1:{server.port}; load for {args.seconds:g} s",
                flush=True,
            )
            asyncio.run(soak.run())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            code = server.stop()
        log_text = server.log_text()
        if args.keep_log:
            args.keep_log.write_text(log_text)
        lines = header_lines(args, server, soak)
        if error is None:
            body, failures = evaluate(soak, code, log_text)
        else:
            body, failures = [log_text[-4000:]], [f"the soak did not complete: {error}"]
    lines += ["", *body, ""]
    lines.append("== verdict ==")
    lines += [f"FAIL: {f}" for f in failures] or ["PASS: no 5xx, no hang, no unexpected outcome, no leak"]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = args.results.with_suffix(args.results.suffix + ".tmp")
        tmp_path.write_text(report)
        tmp_path.replace(args.results)
        print(f"soak: report written to {args.results}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
