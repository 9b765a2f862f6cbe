"""The end-to-end bench's apps, one ASGI attribute per framework, for `uvicorn e2e_apps:<name>`.

The same scenario app as the in-process benches (benches/apps/pipeline.py, written once for
ferroapi and FastAPI; benches/apps/equivalents.py for Starlette and raw ASGI).
"""

from __future__ import annotations

from apps import load
from apps.equivalents import raw_app as _raw_app
from apps.equivalents import starlette_app as _starlette_app
from apps.pipeline import build

ferroapi = build(load("ferroapi"))
fastapi = build(load("fastapi"))
starlette = _starlette_app()
raw = _raw_app()
