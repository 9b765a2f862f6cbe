"""Instructions per request, counted by callgrind: the cost of a build choice (abi3 or per-version wheel).

Wall-clock ratios on a shared 2-core machine cannot resolve a 1-2% difference; instruction counts can.
Each case is run twice under `valgrind --tool=callgrind` with N1 and N2 iterations (PYTHONHASHSEED
fixed); the difference divided by N2 - N1 is the cost of one iteration, with interpreter start-up,
imports and app construction cancelled out. Start-up and warm-up run uninstrumented (`callgrind_control
-i on` once the case is warm), which makes a run several times faster.

    python benches/instructions.py run CASE N          # what valgrind runs (in the interpreter to measure)
    python benches/instructions.py compare LABEL=PYTHON [LABEL=PYTHON ...] [--n1 200 --n2 1200]

`compare` prints one row per case with each interpreter's instructions per iteration and the ratio of
each to the first. The interpreters must have ferroapi installed (a wheel each); this file and
benches/apps are put on their sys.path, the source tree is not.
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
_UNDER_CALLGRIND = "FERROAPI_UNDER_CALLGRIND"
WARM_UP = 20  # iterations before the counted ones: caches filled, lazy imports done, in both runs


def run(case: str, n: int) -> None:
    sys.path.insert(0, str(HERE))
    step = CASES[case]()
    step(WARM_UP)
    if os.environ.get(_UNDER_CALLGRIND):
        # Start-up ran uninstrumented (--instr-atstart=no: several times faster under valgrind); count from
        # here. What follows this call is the same in both runs, so the difference is the iterations'.
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    step(n)


def _instructions(python: str, case: str, n: int) -> int:
    with tempfile.TemporaryDirectory(prefix="ferroapi-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", _UNDER_CALLGRIND: "1"}
        env.pop("PYTHONPATH", None)
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
        cmd += [python, str(Path(__file__).resolve()), "run", case, str(n)]
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


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run")
    one.add_argument("case", choices=list(CASES))
    one.add_argument("n", type=int)
    many = commands.add_parser("compare")
    many.add_argument("pythons", nargs="+", metavar="LABEL=PYTHON")
    many.add_argument("--case", action="append", choices=list(CASES), help="default: every case")
    many.add_argument("--n1", type=int, default=200)
    many.add_argument("--n2", type=int, default=1200)
    many.add_argument("--json", type=Path, help="also write the rows here")
    options = parser.parse_args(argv)
    if options.command == "run":
        run(options.case, options.n)
        return
    pythons = [tuple(item.split("=", 1)) for item in options.pythons]
    rows = compare(pythons, options.case or list(CASES), options.n1, options.n2)  # type: ignore[arg-type]
    if options.json:
        options.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
