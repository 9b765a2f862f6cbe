"""Shared timing harness: every bench measures ferroapi and its baseline in ONE run and prints a ratio.

Timings use the best of several repeats (least disturbed by the other core's noise); a bench also
records whether both sides produced the same result, so a fast wrong answer is visible.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

ROW = "{name:<46} {ferro:>12} {base:>12} {ratio:>8}  {note}"


def best_time(fn: Callable[[], Any], number: int, repeat: int = 5) -> float:
    """Best per-call time in seconds over `repeat` batches of `number` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.2f} {unit}"
    return f"{seconds / 1e-9:.2f} ns"


def header(title: str, baseline: str) -> None:
    print(f"\n== {title} (baseline: {baseline}) ==")
    print(ROW.format(name="case", ferro="ferroapi", base="baseline", ratio="speedup", note=""))


def compare(
    name: str,
    ferro: Callable[[], Any],
    base: Callable[[], Any],
    number: int,
    *,
    same: bool | None = None,
    repeat: int = 7,
) -> float:
    """Time both callables in this run; print one row; return the speedup (baseline / ferroapi).

    The batches alternate (ferroapi, baseline, ferroapi, ...) and each side keeps its best batch, so a
    burst of load on a shared machine hits both sides alike instead of skewing one of them.
    """
    t_ferro = t_base = float("inf")
    for _ in range(repeat):
        t_ferro = min(t_ferro, best_time(ferro, number, repeat=1))
        t_base = min(t_base, best_time(base, number, repeat=1))
    ratio = t_base / t_ferro if t_ferro else float("inf")
    note = "" if same is None else ("same result" if same else "RESULTS DIFFER")
    row = ROW.format(
        name=name, ferro=fmt_time(t_ferro), base=fmt_time(t_base), ratio=f"{ratio:.2f}x", note=note
    )
    print(row)
    return ratio
