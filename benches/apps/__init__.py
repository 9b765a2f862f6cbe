"""Scenario apps for benches/bench_app.py, each written ONCE against a framework namespace `fw`.

`load("fastapi")` / `load("ferroapi")` give `fw.mod` (the package) and `fw.App` (FastAPI or
FerroAPI); an app module exposes `build(fw) -> ASGI app` and `SCENARIOS`, the requests to time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Framework:
    name: str
    mod: ModuleType
    App: Any


def load(name: str) -> Framework:
    mod = importlib.import_module(name)
    return Framework(name, mod, mod.FastAPI if name == "fastapi" else mod.FerroAPI)
