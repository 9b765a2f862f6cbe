"""Run every bench module (benches/bench_*.py, each exposing main()) in one process, in name order."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    wanted = set(argv)
    for path in sorted(HERE.glob("bench_*.py")):
        if wanted and path.stem not in wanted and path.stem.removeprefix("bench_") not in wanted:
            continue
        importlib.import_module(path.stem).main()


if __name__ == "__main__":
    main(sys.argv[1:])
