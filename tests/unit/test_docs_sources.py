"""The user documentation keeps up with its sources: every difference the README lists has its section
in the migration guide, and the PyPI page's figures are those of the recorded bench run."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench_report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "docs" / "hooks" / "bench_report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_report", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _readme_differences() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Differences from FastAPI (by design)", 1)[1].split("\n## ", 1)[0]
    return [title.rstrip(".").strip() for title in re.findall(r"^- \*\*(.+?)\*\*", section, re.MULTILINE)]


def test_every_readme_difference_has_a_section_in_the_migration_guide() -> None:
    differences = _readme_differences()
    assert len(differences) >= 9
    headings = {
        heading.strip().lower()
        for heading in re.findall(r"^### (.+)$", (ROOT / "docs" / "migrating.md").read_text(), re.M)
    }
    missing = [title for title in differences if title.lower() not in headings]
    assert missing == [], "add a section (what, why, the way back) to docs/migrating.md for each of these"


def test_the_pypi_page_shows_the_recorded_figures() -> None:
    report = _bench_report()
    page = (ROOT / "docs" / "pypi.md").read_text()
    block = report.PYPI_BLOCK.search(page)
    assert block is not None
    table = report.pypi_table(report.RESULTS.read_text())
    assert table.count("\n") >= 5
    assert table in page, (
        "run `python docs/hooks/bench_report.py` (make bench-record does) to update docs/pypi.md"
    )


def test_the_bench_output_parses_into_groups_and_rows() -> None:
    _, groups = _bench_report().parse((ROOT / "benches" / "results" / "latest.txt").read_text())
    titles = [group.title.split(":")[0] for group in groups]
    assert "request pipeline" in titles and "dependency injection" in titles
    assert all(row.speedup is None or row.speedup > 0 for group in groups for row in group.rows)
