"""The soak harness itself (benches/soak, `make soak`): a short run passes, and planted faults fail it.

Slow (about a minute): `pytest -m slow tests/e2e/test_soak.py`. Each run is the real thing, a uvicorn
subprocess under the mixed load, only shorter; the second plants one fault per check in the soak app
(SOAK_FAULT) and expects every check to report it, so a check that silently stopped working fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "benches" / "soak" / "soak.py"

# pytest-timeout: each test runs one soak, bounded by run_soak's own timeout (240 s).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def run_soak(results: Path, *args: str, fault: str = "", timeout: float = 240) -> tuple[int, str]:
    env = {**os.environ, "SOAK_FAULT": fault}
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--results", str(results), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    report = results.read_text() if results.exists() else ""
    return proc.returncode, report or proc.stdout + proc.stderr


def test_short_soak_passes(tmp_path: Path) -> None:
    code, report = run_soak(tmp_path / "soak.txt", "--seconds", "20")
    assert code == 0, report
    assert "PASS: no 5xx, no hang, no unexpected outcome, no leak" in report
    # the figures the report is for: the sample table, every kind with requests, both status tallies
    for row in ("baseline", "20% (warm)", "middle", "load end", "final (gc)"):
        assert f"\n{row} " in report, row
    for kind in ("json_ok", "upload_abort", "garbage_head", "sse_abort", "jsonl_abort", "ws_vanish"):
        line = next(line for line in report.splitlines() if line.startswith(kind + " "))
        assert int(line.split()[1]) > 0, line
    assert "5xx: 0 seen by clients, 0 in the access log" in report


def test_planted_faults_fail_the_soak(tmp_path: Path) -> None:
    code, report = run_soak(
        tmp_path / "soak.txt",
        *("--seconds", "8", "--op-timeout", "3", "--settle", "4", "--warmup-rounds", "1"),
        fault="5xx,task-leak,fd-leak,memory-leak,hang",
    )
    assert code == 1, report
    verdict = report.split("== verdict ==", 1)[1]
    for check in (
        "FAIL: RSS grew by",
        "FAIL: open fds",
        "FAIL: asyncio tasks",
        "FAIL: still open after the load",
        "FAIL: 5xx responses",
        "operations hung",
        "unexpected outcomes",
        "errors in the server log",
    ):
        assert check in verdict, f"{check!r} not reported:\n{report}"
    assert "RuntimeError: planted fault: 5xx" in report
