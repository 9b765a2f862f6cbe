"""The `fw` fixture: every compatibility test runs once per framework (see _dual.py)."""

from __future__ import annotations

import importlib

import pytest
from _dual import FRAMEWORKS, Framework, load


def _ferroapi_ready() -> str:
    """Empty when `ferroapi.FerroAPI` imports, else why not (the package is being built out)."""
    try:
        importlib.import_module("ferroapi").FerroAPI  # noqa: B018
    except (ImportError, AttributeError) as exc:
        return f"ferroapi.FerroAPI is not importable yet: {exc}"
    return ""


@pytest.fixture(params=FRAMEWORKS)
def fw(request: pytest.FixtureRequest) -> Framework:
    if request.param == "ferroapi" and (why := _ferroapi_ready()):
        pytest.skip(why)
    return load(request.param)
