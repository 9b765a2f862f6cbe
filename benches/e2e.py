"""End to end: ferroapi, FastAPI, Starlette and raw ASGI under uvicorn and granian, driven by wrk.

One worker per server on 127.0.0.1, wrk with 64 connections for a bounded duration per row (after a
short warm-up), requests per second and wrk's p50/p99 latency, ratios within one run (the machine's
other load hits every row alike only roughly: read ratios, not absolutes). wrk and the server share
the machine's cores, as in any single-host measurement.

    python benches/e2e.py [--seconds 5] [--server uvicorn --server granian] [--scenario get|post]

`make bench-e2e` runs it (and installs wrk from Debian's packages when it is missing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bodies import row  # noqa: E402

FRAMEWORKS = ("ferroapi", "fastapi", "starlette", "raw")
SERVERS = ("uvicorn", "granian")
CONNECTIONS = 64
POST_BODY = json.dumps(row(7))
SCENARIOS = {
    "get": ("GET small dict", "/hello", None),
    "post": ("POST 10-field model", "/items", POST_BODY),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(server: str, framework: str, port: int) -> list[str]:
    bindir = Path(sys.executable).parent
    target = f"e2e_apps:{framework}"
    if server == "uvicorn":
        return [str(bindir / "uvicorn"), target, "--host", "127.0.0.1", "--port", str(port),
                "--workers", "1", "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return [str(bindir / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "1", "--log-level", "warning", "--no-ws", target]  # fmt: skip


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def wrk(port: int, path: str, body: str | None, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if body is not None:
            script.write(
                'wrk.method = "POST"\n'
                'wrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(body)}\n"
            )
    try:
        cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name,
               f"http://127.0.0.1:{port}{path}"]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} non-2xx responses:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": latency(out, "50%"), "p99": latency(out, "99%")}


def latency(out: str, percentile: str) -> float:
    """wrk's latency for `percentile`, in milliseconds."""
    match = re.search(rf"^\s+{re.escape(percentile)}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def measure(server: str, framework: str, scenario: str, seconds: int) -> dict[str, float]:
    _, path, body = SCENARIOS[scenario]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    process = subprocess.Popen(server_command(server, framework, port), cwd=HERE, env=env)
    try:
        wait_ready(port, process)
        wrk(port, path, body, 1)  # warm-up: imports, caches, connection set-up
        return wrk(port, path, body, seconds)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--server", action="append", choices=SERVERS)
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS))
    parser.add_argument("--json", type=Path, help="also write the rows here")
    options = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is required (Debian: apt-get install wrk)")
    rows = []
    print(f"{'server':<8} {'scenario':<20}" + "".join(f"{fw:>22}" for fw in FRAMEWORKS)
          + "   ferroapi/fastapi  ferroapi/raw")  # fmt: skip
    print(f"{'':<29}" + "".join(f"{'req/s p50/p99 ms':>22}" for _ in FRAMEWORKS))
    for server in options.server or SERVERS:
        for scenario in options.scenario or list(SCENARIOS):
            results = {fw: measure(server, fw, scenario, options.seconds) for fw in FRAMEWORKS}
            cells = "".join(f"{r['rps']:>10,.0f} {r['p50']:>5.1f}/{r['p99']:<5.1f}" for r in results.values())
            ferro = results["ferroapi"]["rps"]
            ratios = f"{ferro / results['fastapi']['rps']:>15.2f}x  {ferro / results['raw']['rps']:>11.2f}x"
            print(f"{server:<8} {SCENARIOS[scenario][0]:<20}{cells}   {ratios}", flush=True)
            rows.append({"server": server, "scenario": SCENARIOS[scenario][0], **results})
    if options.json:
        options.json.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
