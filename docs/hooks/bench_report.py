"""MkDocs hook: the performance page's tables and plots, generated from a recorded `make bench` output.

`make bench-record` writes benches/results/latest.txt (the `make bench` output under a few `#` lines
saying where and when it ran). In docs/performance.md, `<!-- bench:tables -->` becomes one section
per bench group: an inline SVG bar chart of the speedups (no script, no external asset) and the table
of times, and `<!-- bench:about -->` the recording's header lines, `<!-- bench:headline -->` (the
home page) the whole-app request rows, `<!-- bench:abi3 -->` the instruction counts of
benches/instructions.py (benches/results/abi3-instructions.json), `<!-- bench:instructions -->` those
of `make bench-instr` (instructions.json) and `<!-- bench:e2e -->` the rows of `make bench-e2e`
(e2e.json).
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benches" / "results"
RESULTS = RESULTS_DIR / "latest.txt"
ABI3 = RESULTS_DIR / "abi3-instructions.json"
FRAMEWORKS_INSTRUCTIONS = RESULTS_DIR / "instructions.json"
END_TO_END = RESULTS_DIR / "e2e.json"
HEADLINE_GROUPS = ("request pipeline", "dependency injection")
GROUP = re.compile(r"^== (?P<title>.+?) \(baseline: (?P<baseline>.+)\) ==$")
ROW = re.compile(
    r"^(?P<name>.+?)\s+(?P<ferro>\d[\d.]* \w+)\s+(?P<base>\d[\d.]* \w+)\s+"
    r"(?P<ratio>\d[\d.]*)x\s*(?P<note>.*)$"
)
NOT_AVAILABLE = re.compile(r"^(?P<name>.+?)\s+n/a\s+n/a: (?P<note>.*)$")


@dataclass
class Row:
    name: str
    ferro: str
    base: str
    speedup: float | None
    note: str


@dataclass
class Group:
    title: str
    baseline: str
    rows: list[Row] = field(default_factory=list)


def parse(text: str) -> tuple[list[str], list[Group]]:
    """The header lines (`# ...`) and the groups of a `make bench` output."""
    about: list[str] = []
    groups: list[Group] = []
    for line in text.splitlines():
        if line.startswith("#"):
            about.append(line.lstrip("# ").rstrip())
        elif match := GROUP.match(line):
            groups.append(Group(match["title"], match["baseline"]))
        elif groups and (match := ROW.match(line)) and match["name"].strip() != "case":
            speedup = float(match["ratio"])
            groups[-1].rows.append(
                Row(match["name"].strip(), match["ferro"], match["base"], speedup, match["note"])
            )
        elif groups and (match := NOT_AVAILABLE.match(line)):
            groups[-1].rows.append(Row(match["name"].strip(), "n/a", "", None, match["note"]))
    return about, groups


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def plot(group: Group) -> str:
    """A horizontal bar per case: its speedup over the baseline on a log scale (speedups range from
    about 1x to 1000x in one group), with the 1x line marked."""
    rows = [row for row in group.rows if row.speedup is not None]
    label_width, bar_width, bar_height, gap = 330, 380, 18, 6
    top = 8
    height = top + len(rows) * (bar_height + gap) + 24
    speedups = [row.speedup or 1.0 for row in rows] or [1.0]
    low, high = math.log(min([1.0, *speedups]) / 1.5), math.log(max([1.0, *speedups]) * 1.2)

    def x(value: float) -> float:
        return (math.log(value) - low) / (high - low) * bar_width

    parts = [
        f'<svg class="bench-plot" data-group="{html.escape(slug(group.title))}" role="img" '
        f'viewBox="0 0 {label_width + bar_width + 70} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">',
        f"<title>{html.escape(group.title)}: speedup over {html.escape(group.baseline)} (log scale)</title>",
    ]
    for index, row in enumerate(rows):
        speedup = row.speedup or 1.0
        y = top + index * (bar_height + gap)
        width = max(1.0, x(speedup))
        colour = "#e65100" if speedup >= 1 else "#9e9e9e"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 13}" text-anchor="end" fill="currentColor">'
            f"{html.escape(row.name)}</text>"
        )
        parts.append(
            f'<rect class="bench-bar" x="{label_width}" y="{y}" width="{width:.1f}" height="{bar_height}" '
            f'fill="{colour}"><title>{html.escape(row.name)}: {speedup:.2f}x</title></rect>'
        )
        value_x = label_width + width + 6
        parts.append(f'<text x="{value_x:.1f}" y="{y + 13}" fill="currentColor">{speedup:.2f}x</text>')
    one = label_width + x(1.0)
    parts.append(
        f'<line x1="{one:.1f}" y1="{top - 4}" x2="{one:.1f}" y2="{height - 18}" stroke="currentColor" '
        'stroke-dasharray="3 3"/>'
    )
    parts.append(f'<text x="{one:.1f}" y="{height - 4}" text-anchor="middle" fill="currentColor">1x</text>')
    parts.append("</svg>")
    return "".join(parts)


def table(group: Group) -> str:
    lines = [
        f"| case | ferroapi | {group.baseline} | speedup | |",
        "|---|---:|---:|---:|---|",
    ]
    for row in group.rows:
        speedup = f"**{row.speedup:.2f}x**" if row.speedup is not None else "n/a"
        lines.append(f"| {row.name} | {row.ferro} | {row.base} | {speedup} | {row.note} |")
    return "\n".join(lines)


def render(text: str) -> tuple[str, str]:
    about, groups = parse(text)
    sections = []
    for group in groups:
        sections.append(
            f"### {group.title}\n\nBaseline: {group.baseline}.\n\n"
            f'<div class="bench-figure">\n{plot(group)}\n</div>\n\n{table(group)}\n'
        )
    about_text = "\n".join(f"- {line}" for line in about)
    return about_text, "\n".join(sections)


def headline(text: str) -> str:
    """The whole-app request rows: one table, one plot."""
    _, groups = parse(text)
    chosen = Group("Requests", groups[0].baseline if groups else "FastAPI")
    for group in groups:
        if group.title.split(":")[0] in HEADLINE_GROUPS:
            chosen.rows += group.rows
    return f'<div class="bench-figure">\n{plot(chosen)}\n</div>\n\n{table(chosen)}\n'


def abi3_table() -> str:
    """Instructions per iteration, per-version wheel vs abi3 wheel (benches/instructions.py --json)."""
    if not ABI3.exists():
        return "*Not recorded yet (`benches/instructions.py compare ... --json " + str(ABI3.name) + "`).*"
    rows = json.loads(ABI3.read_text())
    lines = [
        "| case | per-version wheel | abi3 wheel | abi3 / per-version |",
        "|---|---:|---:|---:|",
    ]
    for row in rows:
        per_version, abi3 = row["per-version"], row["abi3"]
        lines.append(f"| {row['case']} | {per_version:,.0f} | {abi3:,.0f} | {abi3 / per_version:.3f} |")
    return "\n".join(lines)


def instructions_table() -> str:
    """Instructions per request (or streamed item): ferroapi, FastAPI, Starlette, raw ASGI."""
    if not FRAMEWORKS_INSTRUCTIONS.exists():
        return "*Not recorded yet (`make bench-instr`).*"
    lines = [
        "| scenario | per | ferroapi | FastAPI | Starlette | raw ASGI "
        "| ferroapi / raw | FastAPI / ferroapi |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in json.loads(FRAMEWORKS_INSTRUCTIONS.read_text()):
        ferro, fastapi, starlette, raw = row["ferroapi"], row["fastapi"], row["starlette"], row["raw"]
        lines.append(
            f"| {row['scenario']} | {row['per']} | {ferro:,.0f} | {fastapi:,.0f} | {starlette:,.0f} "
            f"| {raw:,.0f} | {ferro / raw:.2f}x | {fastapi / ferro:.2f}x |"
        )
    return "\n".join(lines)


def e2e_table() -> str:
    """Requests per second and latency under real servers (wrk), the four apps in one run."""
    if not END_TO_END.exists():
        return "*Not recorded yet (`make bench-e2e`).*"
    lines = [
        "| server | scenario | ferroapi req/s (p50 / p99 ms) | FastAPI | Starlette | raw ASGI "
        "| ferroapi / FastAPI |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in json.loads(END_TO_END.read_text()):
        cells = [
            f"{row[fw]['rps']:,.0f} ({row[fw]['p50']:g} / {row[fw]['p99']:g})"
            for fw in ("ferroapi", "fastapi", "starlette", "raw")
        ]
        ratio = row["ferroapi"]["rps"] / row["fastapi"]["rps"]
        lines.append(f"| {row['server']} | {row['scenario']} | " + " | ".join(cells) + f" | {ratio:.2f}x |")
    return "\n".join(lines)


PYPI_PAGE = Path(__file__).resolve().parents[1] / "pypi.md"
PYPI_BLOCK = re.compile(r"(<!-- bench:pypi:start -->\n).*?(<!-- bench:pypi:end -->)", re.DOTALL)


def pypi_table(text: str) -> str:
    """The PyPI page's figures (a static page: no plot), from the same recorded run."""
    _, groups = parse(text)
    lines = ["| request | ferroapi | FastAPI | speedup |", "|---|---:|---:|---:|"]
    for group in groups:
        if group.title.split(":")[0] in HEADLINE_GROUPS:
            lines += [
                f"| {row.name} | {row.ferro} | {row.base} | {row.speedup:.1f}x |"
                for row in group.rows
                if row.speedup is not None
            ]
    return "\n".join(lines)


def sync_pypi_page() -> bool:
    """Rewrite docs/pypi.md's figures from benches/results/latest.txt; True when they changed."""
    page = PYPI_PAGE.read_text()
    updated = PYPI_BLOCK.sub(lambda m: m[1] + pypi_table(RESULTS.read_text()) + "\n" + m[2], page)
    if updated != page:
        PYPI_PAGE.write_text(updated)
    return updated != page


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    if "<!-- bench:" not in markdown:
        return markdown
    text = RESULTS.read_text()
    about, sections = render(text)
    replacements = {
        "<!-- bench:about -->": about,
        "<!-- bench:tables -->": sections,
        "<!-- bench:headline -->": headline(text),
    }
    if "<!-- bench:abi3 -->" in markdown:
        replacements["<!-- bench:abi3 -->"] = abi3_table()
    if "<!-- bench:instructions -->" in markdown:
        replacements["<!-- bench:instructions -->"] = instructions_table()
    if "<!-- bench:e2e -->" in markdown:
        replacements["<!-- bench:e2e -->"] = e2e_table()
    for marker, content in replacements.items():
        markdown = markdown.replace(marker, content)
    return markdown


if __name__ == "__main__":  # `make bench-record` runs this: the PyPI page's figures follow the recording
    print("docs/pypi.md:", "figures updated" if sync_pypi_page() else "figures already current")
