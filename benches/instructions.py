"""Instructions per request, counted by callgrind: the cost of a build choice (abi3 or per-version wheel).

Wall-clock ratios on a shared 2-core machine cannot resolve a 1-2% difference; instruction counts can.
Each case is run twice under `valgrind --tool=callgrind` with N1 and N2 iterations (PYTHONHASHSEED
fixed); the difference divided by N2 - N1 is the cost of one iteration, with interpreter start-up,
imports and app construction cancelled out. Start-up and warm-up run uninstrumented (`callgrind_control
-i on` once the case is warm), which makes a run several times faster.

    python benches/instructions.py run CASE N          # what valgrind runs (in the interpreter to measure)
    python benches/instructions.py compare LABEL=PYTHON [LABEL=PYTHON ...] [--n1 200 --n2 1200]
    python benches/instructions.py frameworks [--scenario S ...] [--json FILE]   # make bench-instr

`compare` prints one row per case with each interpreter's instructions per iteration and the ratio of
each to the first. The interpreters must have ferroapi installed (a wheel each); this file and
benches/apps are put on their sys.path, the source tree is not.

`frameworks` counts, in this interpreter, the same scenarios served by ferroapi, FastAPI, plain
Starlette and a raw ASGI app doing the same work (benches/apps/equivalents.py): instructions per
request, or per streamed item for the JSON Lines and SSE rows (one request of N1 items against one
of N2). Before counting, each scenario's response bodies are compared across the four.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _request_case(app_module: str, scenario: str) -> Callable[[int], None]:
    """`n` in-process ASGI requests of one of benches/apps' scenarios (ferroapi only)."""
    import importlib

    from apps import load
    from apps.asgi import Driver

    module = importlib.import_module(f"apps.{app_module}")
    request = dict(module.SCENARIOS)[scenario]
    driver = Driver(module.build(load("ferroapi")), request)
    loop = asyncio.new_event_loop()

    async def many(n: int) -> None:
        for _ in range(n):
            response = await driver()
            if response.status != 200:
                raise RuntimeError(f"{scenario}: {response.status} {bytes(response.body)[:200]!r}")

    return lambda n: loop.run_until_complete(many(n))


def _native_case(name: str) -> Callable[[int], None]:
    """`n` direct calls of one native function: the boundary cost without the framework around it."""
    from ferroapi._ferroapi import decode_json, format_sse_event

    if name == "decode_json 2 KB":
        body = json.dumps(
            [{"id": i, "name": f"item {i}", "tags": ["a", "b"], "price": i / 3} for i in range(20)]
        )
        data = body.encode()

        def run(n: int) -> None:
            for _ in range(n):
                decode_json(data)

        return run

    def sse(n: int) -> None:
        for i in range(n):
            format_sse_event(data_str='{"n": 1}', event="tick", id=str(i))

    return sse


CASES: dict[str, Callable[[], Callable[[int], None]]] = {
    "GET small dict": lambda: _request_case("pipeline", "GET small dict"),
    "GET int path param + query param": lambda: _request_case("pipeline", "GET int path param + query param"),
    "POST 10-field model, response_model": lambda: _request_case(
        "pipeline", "POST 10-field model, response_model"
    ),
    "GET 10 dependencies": lambda: _request_case("dependencies", "10 trivial dependencies"),
    "native decode_json 2 KB": lambda: _native_case("decode_json 2 KB"),
    "native format_sse_event": lambda: _native_case("sse"),
}
FRAMEWORKS = ("ferroapi", "fastapi", "starlette", "raw")
HEAVY = 50
HEAVY_SCENARIOS = frozenset({"POST 1 MB JSON -> list[Model]"})


def _scenarios() -> dict[str, tuple[str, Any, bool]]:
    """Scenario name -> (app module for ferroapi/FastAPI, request or stream path, per item?).

    The 1 MB body costs some 200x a small request: it runs with N1 and N2 divided by `HEAVY`."""
    from _bodies import megabyte_list, row
    from apps.asgi import Request

    json_headers = {"content-type": "application/json"}
    return {
        "GET small dict": ("pipeline", Request("GET", "/hello"), False),
        "GET int path + query": ("pipeline", Request("GET", "/items/42", query={"q": "search"}), False),
        "POST 10-field model, response_model": (
            "pipeline",
            Request("POST", "/items", headers=json_headers, body=json.dumps(row(7)).encode()),
            False,
        ),
        "3-dependency chain (yield, header)": (
            "dependencies",
            Request("GET", "/chain", headers={"x-user": "alice"}),
            False,
        ),
        "1,000 routes, the last": ("scale", Request("GET", "/r999/items/7"), False),
        "POST 1 MB JSON -> list[Model]": (
            "pipeline",
            Request("POST", "/bulk", headers=json_headers, body=megabyte_list()),
            False,
        ),
        "JSON Lines, per item": ("scale", "/jsonl", True),
        "SSE, per item": ("scale", "/sse", True),
    }


def _framework_app(framework: str, module: str) -> Any:
    import importlib

    from apps import load
    from apps.equivalents import raw_app, starlette_app

    if framework == "starlette":
        return starlette_app()
    if framework == "raw":
        return raw_app()
    return importlib.import_module(f"apps.{module}").build(load(framework))


def _framework_driver(framework: str, scenario: str) -> Callable[[int], Any]:
    """`n` requests of `scenario` (or one request of `n` items, for a stream) on `framework`."""
    from apps.asgi import Driver, Request

    module, request, per_item = _scenarios()[scenario]
    app = _framework_app(framework, module)
    loop = asyncio.new_event_loop()
    fixed = None if per_item else Driver(app, request)

    def checked(response: Any) -> Any:
        if response.status != 200:
            raise RuntimeError(f"{framework} {scenario}: {response.status} {bytes(response.body)[:200]!r}")
        return response

    async def many(n: int) -> Any:
        if fixed is None:
            response = checked(await Driver(app, Request("GET", request, query={"n": str(n)}))())
            if bytes(response.body).count(b"\n") < n:  # a line per JSON Lines item, two per event
                raise RuntimeError(f"{framework} {scenario}: fewer than {n} items streamed")
            return response
        for _ in range(n):
            response = checked(await fixed())
        return response

    return lambda n: loop.run_until_complete(many(n))


_UNDER_CALLGRIND = "FERROAPI_UNDER_CALLGRIND"
WARM_UP = 20  # iterations before the counted ones: caches filled, lazy imports done, in both runs


def run(case: str, n: int, framework: str | None = None) -> None:
    sys.path.insert(0, str(HERE))
    step = CASES[case]() if framework is None else _framework_driver(framework, case)
    step(WARM_UP)
    if os.environ.get(_UNDER_CALLGRIND):
        # Start-up ran uninstrumented (--instr-atstart=no: several times faster under valgrind); count from
        # here. What follows this call is the same in both runs, so the difference is the iterations'.
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    step(n)


def _instructions(python: str, case: str, n: int, framework: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="ferroapi-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", _UNDER_CALLGRIND: "1"}
        env.pop("PYTHONPATH", None)
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
        cmd += [python, str(Path(__file__).resolve()), "run", case, str(n)]
        if framework is not None:
            cmd += ["--framework", framework]
        subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=1800)
        match = re.search(r"^(?:summary|totals):\s+(\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no instruction total in {out}")
        return int(match.group(1))


def compare(pythons: list[tuple[str, str]], cases: list[str], n1: int, n2: int) -> list[dict[str, Any]]:
    rows = []
    print(f"{'case':<40}" + "".join(f"{label:>16}" for label, _ in pythons) + "   ratio to the first")
    for case in cases:
        per: dict[str, float] = {}
        for label, python in pythons:
            per[label] = (_instructions(python, case, n2) - _instructions(python, case, n1)) / (n2 - n1)
        first = per[pythons[0][0]]
        ratios = " ".join(f"{per[label] / first:.4f}" for label, _ in pythons[1:])
        print(
            f"{case:<40}" + "".join(f"{per[label]:>16,.0f}" for label, _ in pythons) + f"   {ratios}",
            flush=True,
        )
        rows.append({"case": case, **per})
    return rows


def same_bodies(scenario: str) -> str:
    """Whether the four frameworks answer `scenario` with the same body (run once, uninstrumented)."""
    bodies = {fw: bytes(_framework_driver(fw, scenario)(3).body) for fw in FRAMEWORKS}
    differ = [fw for fw in FRAMEWORKS if bodies[fw] != bodies["ferroapi"]]
    return "same body" if not differ else "body differs: " + ", ".join(differ)


def frameworks(scenarios: list[str], n1: int, n2: int, n1_items: int, n2_items: int) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE))
    rows = []
    columns = "".join(f"{fw:>12}" for fw in FRAMEWORKS)
    print(f"{'scenario':<38}{columns}   ferroapi/raw  fastapi/ferroapi")
    for scenario in scenarios:
        per_item = _scenarios()[scenario][2]
        a, b = (n1_items, n2_items) if per_item else (n1, n2)
        if scenario in HEAVY_SCENARIOS:
            a, b = max(a // HEAVY, 1), max(b // HEAVY, 2)
        note = same_bodies(scenario)
        python = sys.executable
        per = {
            fw: (_instructions(python, scenario, b, fw) - _instructions(python, scenario, a, fw)) / (b - a)
            for fw in FRAMEWORKS
        }
        ratios = f"{per['ferroapi'] / per['raw']:>11.2f}x  {per['fastapi'] / per['ferroapi']:>15.2f}x"
        counts = "".join(f"{per[fw]:>12,.0f}" for fw in FRAMEWORKS)
        print(f"{scenario:<38}{counts}   {ratios}   {note}", flush=True)
        rows.append({"scenario": scenario, "per": "item" if per_item else "request", **per, "bodies": note})
    return rows


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run")
    one.add_argument("case")
    one.add_argument("n", type=int)
    one.add_argument("--framework", choices=FRAMEWORKS)
    many = commands.add_parser("compare")
    many.add_argument("pythons", nargs="+", metavar="LABEL=PYTHON")
    many.add_argument("--case", action="append", choices=list(CASES), help="default: every case")
    many.add_argument("--n1", type=int, default=200)
    many.add_argument("--n2", type=int, default=1200)
    many.add_argument("--json", type=Path, help="also write the rows here")
    four = commands.add_parser("frameworks")
    four.add_argument("--scenario", action="append", help="default: every scenario")
    four.add_argument("--n1", type=int, default=200)
    four.add_argument("--n2", type=int, default=1200)
    four.add_argument("--n1-items", type=int, default=1000)
    four.add_argument("--n2-items", type=int, default=6000)
    four.add_argument("--json", type=Path, help="also write the rows here")
    options = parser.parse_args(argv)
    if options.command == "run":
        run(options.case, options.n, options.framework)
        return
    if options.command == "frameworks":
        sys.path.insert(0, str(HERE))
        chosen = options.scenario or list(_scenarios())
        rows = frameworks(chosen, options.n1, options.n2, options.n1_items, options.n2_items)
        if options.json:
            options.json.write_text(json.dumps(rows, indent=2) + "\n")
        return
    pythons = [tuple(item.split("=", 1)) for item in options.pythons]
    rows = compare(pythons, options.case or list(CASES), options.n1, options.n2)  # type: ignore[arg-type]
    if options.json:
        options.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
