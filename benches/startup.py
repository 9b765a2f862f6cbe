"""Start-up: importing ferroapi vs fastapi, and building the 1,000-route app of benches/apps/scale.py.

Every figure comes from fresh interpreters (nothing imported, no cache warm but the .pyc files and the
page cache, which a warm-up run fills):

- import: `python -c` running `import ferroapi` (and `from ferroapi import FerroAPI`, what an app runs;
  ferroapi defers most of its modules to first use), timed with perf_counter around the statement;
  the resident memory it adds (VmRSS), the modules it loads, and the heap it leaves live (the malloc
  interposer of benches/memory.py: interpreter, Rust and pydantic-core allocations alike).
- build: `scale.build(fw)` (1,000 routes with a path parameter each, plus two streaming routes) once
  the framework is imported, then the first request (to the last route; a framework may defer work
  to it), timed; its VmRSS growth; heap bytes left live by the build (the app's size) and allocated
  during it.
- total: from-import + build + first request, what a process pays before its first answer.

Wall-clock times are medians of RUNS fresh processes (alternating the frameworks); on a shared
machine they swing, so each step is also counted in instructions by callgrind, PYTHONHASHSEED fixed.
Every measuring process ends with `os._exit` right after its step (no teardown is counted). An import
is the whole `python -c` process minus the same process running `pass`. Build and first request run in
a process that imports uncounted (`--instr-atstart=no`, several times faster) and turns counting on
(`callgrind_control -i on`) just before the step; minus the same process turning it on with no step.
`--no-callgrind` leaves the counts out (seconds instead of ~2 minutes).

    python benches/startup.py [--runs 7] [--no-callgrind] [--json FILE]     # make bench-startup
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FRAMEWORKS = ("ferroapi", "fastapi")
APP_CLASS = {"ferroapi": "FerroAPI", "fastapi": "FastAPI"}
RUNS = 7
STEPS = ("import", "build", "request")
CHILD_TIMEOUT = 600
_UNDER_CALLGRIND = "FERROAPI_STARTUP_CALLGRIND"

# Runs in a bare interpreter (`python -c`): only `sys`, `time` and `os` before the measured statement.
IMPORT_SNIPPET = """
import os, sys, time
def rss():
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
live = None
if os.environ.get('LD_PRELOAD', '').endswith('libferrocount.so'):
    import ctypes, gc
    live = ctypes.c_longlong.in_dll(ctypes.CDLL(None), 'ferro_live')
modules, rss0, live0 = len(sys.modules), rss(), live.value if live else 0
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
rss1 = rss()
if live:
    gc.collect()
print(elapsed, rss1 - rss0, (live.value - live0) if live else 0, len(sys.modules) - modules, flush=True)
os._exit(0)
"""


def statements(framework: str) -> dict[str, str]:
    return {
        f"import {framework}": f"import {framework}",
        f"from {framework} import {APP_CLASS[framework]}": f"from {framework} import {APP_CLASS[framework]}",
    }


def resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _count_from_here(step: str, until: str) -> None:
    """Under callgrind (started with --instr-atstart=no), count from here if `step` is the last one."""
    if step == until and os.environ.get(_UNDER_CALLGRIND):
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)


def child(framework: str, until: str) -> None:
    """Import the framework and scale.py, then (per `until`) build the app and serve its first request.

    Prints the time, VmRSS growth and (under the interposer) heap figures of each step as JSON, then
    leaves with os._exit. Under callgrind only the last step is counted (then the print and the exit,
    the same whatever the step: the `import` step, which runs nothing, counts just those)."""
    sys.path.insert(0, str(HERE))
    from apps import load
    from apps.asgi import Driver, Request

    fw = load(framework)
    from apps.scale import ROUTES, build

    heap = None
    if os.environ.get("LD_PRELOAD", "").endswith("libferrocount.so"):
        from memory import Heap

        heap = Heap()
    request = Request("GET", f"/r{ROUTES - 1}/items/7")
    loop = asyncio.new_event_loop()
    out: dict[str, Any] = {}
    live = heap.live() if heap else 0
    allocated = heap.allocated()[0] if heap else 0
    _count_from_here("import", until)
    if until != "import":
        _count_from_here("build", until)
        rss, start = resident(), time.perf_counter()
        app = build(fw)
        out["build"] = {"s": time.perf_counter() - start, "rss": resident() - rss}
        if heap:
            out["build"]["allocated"] = heap.allocated()[0] - allocated
            out["build"]["live"] = heap.live() - live
    if until == "request":
        _count_from_here("request", until)
        rss, start = resident(), time.perf_counter()
        response = loop.run_until_complete(Driver(app, request)())
        out["request"] = {"s": time.perf_counter() - start, "rss": resident() - rss}
        if response.status != 200:
            raise RuntimeError(f"{framework}: {response.status} {bytes(response.body)[:200]!r}")
        if heap:
            out["request"]["live"] = heap.live() - live - out["build"]["live"]
    print(json.dumps(out), flush=True)
    os._exit(0)


def _python(args: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args], check=True, capture_output=True, text=True, env=env, timeout=CHILD_TIMEOUT
    )
    return done.stdout.strip().splitlines()[-1]


def _imported(statement: str, env: dict[str, str] | None = None) -> dict[str, float]:
    seconds, rss, live, modules = _python(["-c", IMPORT_SNIPPET.format(statement=statement)], env).split()
    return {"s": float(seconds), "rss": int(rss), "live": int(live), "modules": int(modules)}


def _built(framework: str, env: dict[str, str] | None = None) -> Any:
    return json.loads(_python([str(Path(__file__).resolve()), "child", framework, "request"], env))


def _callgrind(args: list[str]) -> int:
    """Instructions of `python ARGS` under callgrind (PYTHONHASHSEED fixed); from its start for `-c`
    snippets, else from where the child turns counting on (its import phase runs uncounted, faster)."""
    with tempfile.TemporaryDirectory(prefix="ferroapi-startup-") as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", _UNDER_CALLGRIND: "1"}
        start = "yes" if args[0] == "-c" else "no"
        cmd = ["valgrind", "--tool=callgrind", f"--instr-atstart={start}", f"--callgrind-out-file={out}"]
        cmd += [sys.executable, *args]
        subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=CHILD_TIMEOUT)
        match = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no instruction total in {out}")
        return int(match.group(1))


def instructions() -> dict[str, dict[str, int]]:
    """Instructions per step and framework: differences of callgrind runs (two at a time)."""
    me = str(Path(__file__).resolve())
    jobs: dict[tuple[str, str], list[str]] = {("", "pass"): ["-c", IMPORT_SNIPPET.format(statement="pass")]}
    for fw in FRAMEWORKS:
        for label, statement in statements(fw).items():
            jobs[fw, label] = ["-c", IMPORT_SNIPPET.format(statement=statement)]
        for step in STEPS:
            jobs[fw, step] = [me, "child", fw, step]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(jobs, pool.map(_callgrind, jobs.values()), strict=True))
    rows: dict[str, dict[str, int]] = {}
    for fw in FRAMEWORKS:
        bare, app_class = statements(fw)
        rows[fw] = {
            "import": counts[fw, bare] - counts["", "pass"],
            "from-import": counts[fw, app_class] - counts["", "pass"],
            "build": counts[fw, "build"] - counts[fw, "import"],
            "request": counts[fw, "request"] - counts[fw, "import"],
        }
        rows[fw]["total"] = rows[fw]["from-import"] + rows[fw]["build"] + rows[fw]["request"]
    return rows


def measure(runs: int, callgrind: bool) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from memory import about, build_counter, counted_env

    for fw in FRAMEWORKS:  # warm-up: .pyc files written, files in the page cache
        _imported(statements(fw)[f"from {fw} import {APP_CLASS[fw]}"])
        _built(fw)
    timed: dict[str, dict[str, list[dict[str, Any]]]] = {fw: {} for fw in FRAMEWORKS}
    for _ in range(runs):
        for fw in FRAMEWORKS:
            for label, statement in statements(fw).items():
                timed[fw].setdefault(label, []).append(_imported(statement))
            timed[fw].setdefault("app", []).append(_built(fw))
    with tempfile.TemporaryDirectory(prefix="ferroapi-startup-") as tmp:
        env = counted_env(build_counter(Path(tmp)))
        heap = {
            fw: {
                **{label: _imported(statement, env) for label, statement in statements(fw).items()},
                "app": _built(fw, env),
            }
            for fw in FRAMEWORKS
        }
    result: dict[str, Any] = {"about": about(), "runs": runs, "frameworks": {}}
    for fw in FRAMEWORKS:
        bare, app_class = statements(fw)
        built = timed[fw]["app"]

        def median(values: list[float]) -> float:
            return float(statistics.median(values))

        steps = {
            "import": {
                "s": median([r["s"] for r in timed[fw][bare]]),
                "rss": median([r["rss"] for r in timed[fw][bare]]),
                "modules": timed[fw][bare][0]["modules"],
                "live": heap[fw][bare]["live"],
            },
            "from-import": {
                "s": median([r["s"] for r in timed[fw][app_class]]),
                "rss": median([r["rss"] for r in timed[fw][app_class]]),
                "modules": timed[fw][app_class][0]["modules"],
                "live": heap[fw][app_class]["live"],
            },
            "build": {
                "s": median([r["build"]["s"] for r in built]),
                "rss": median([r["build"]["rss"] for r in built]),
                "live": heap[fw]["app"]["build"]["live"],
                "allocated": heap[fw]["app"]["build"]["allocated"],
            },
            "request": {
                "s": median([r["request"]["s"] for r in built]),
                "rss": median([r["request"]["rss"] for r in built]),
                "live": heap[fw]["app"]["request"]["live"],
            },
        }
        steps["total"] = {
            key: sum(steps[step][key] for step in ("from-import", "build", "request"))
            for key in ("s", "rss", "live")
        }
        result["frameworks"][fw] = steps
    if callgrind:
        for fw, counts in instructions().items():
            for step, count in counts.items():
                result["frameworks"][fw][step]["instructions"] = count
    return result


ROWS = (
    ("import", "import ferroapi / fastapi"),
    ("from-import", "from ... import FerroAPI / FastAPI"),
    ("build", "build the 1,000-route app"),
    ("request", "its first request"),
    ("total", "from-import + build + request"),
)
METRICS = (
    ("s", "ms (median)", 1e3),
    ("instructions", "instructions (callgrind)", 1.0),
    ("rss", "RSS growth, KiB", 1 / 1024),
    ("live", "heap left live, KiB", 1 / 1024),
    ("allocated", "heap allocated, KiB", 1 / 1024),
    ("modules", "modules loaded", 1.0),
)


def table(result: dict[str, Any]) -> None:
    frameworks = result["frameworks"]
    print(f"\n== start-up: fresh processes, {result['runs']} runs each ==")
    print(f"{'step':<36}{'metric':<26}" + "".join(f"{fw:>14}" for fw in FRAMEWORKS) + "  fastapi/ferroapi")
    for step, label in ROWS:
        first = True
        for key, metric, scale in METRICS:
            if key not in frameworks["ferroapi"][step]:
                continue
            values = [frameworks[fw][step][key] * scale for fw in FRAMEWORKS]
            ratio = f"{values[1] / values[0]:>15.2f}x" if values[0] > 0 else ""
            cells = "".join(f"{v:>14,.1f}" if key == "s" else f"{v:>14,.0f}" for v in values)
            print(f"{label if first else '':<36}{metric:<26}{cells}  {ratio}", flush=True)
            first = False


def main(argv: list[str]) -> None:
    if argv[:1] == ["child"]:
        child(argv[1], argv[2])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--no-callgrind", dest="callgrind", action="store_false")
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args(argv)
    started = time.monotonic()
    result = measure(options.runs, options.callgrind)
    table(result)
    print(f"\n({time.monotonic() - started:.0f} s)")
    if options.json:
        options.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
