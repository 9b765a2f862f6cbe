"""Shared pytest configuration: async tests run on every anyio backend that is installed."""

from __future__ import annotations

import re
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

# trio is optional: a test marked `@pytest.mark.anyio` runs on it too when it is installed.
ANYIO_BACKENDS = ["asyncio", *(["trio"] if find_spec("trio") is not None else [])]


@pytest.fixture(params=ANYIO_BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# FastAPI 0.165.0, the reference the compat tests compare against, needs CPython 3.11+ (as does
# starlette 1.10). Under 3.10 the test group cannot install it: the modules that import it (or the
# dual-run harness) are not collected there, and the rest of the suite runs as everywhere else.
REFERENCE_FASTAPI = find_spec("fastapi") is not None
_NEEDS_FASTAPI = re.compile(r"^(?:from|import) (?:fastapi\b|tests\.compat\b|\._dual\b|_dual\b)", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if REFERENCE_FASTAPI or collection_path.suffix != ".py":
        return None
    if "compat" in collection_path.parts:
        return True
    return bool(_NEEDS_FASTAPI.search(collection_path.read_text(encoding="utf-8"))) or None


def pytest_report_header(config: pytest.Config) -> str | None:
    if REFERENCE_FASTAPI:
        return None
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"FastAPI 0.165.0 not installed (CPython {version}): compat tests not collected"


def _missing_reference(exc: BaseException) -> bool:
    name = getattr(exc, "name", None) or ""
    return isinstance(exc, ModuleNotFoundError) and (name == "fastapi" or name.startswith("fastapi."))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> object:
    """A fixture that imports the reference FastAPI where it cannot be installed: skipped (3.10)."""
    try:
        return (yield)
    except ModuleNotFoundError as exc:
        if REFERENCE_FASTAPI or not _missing_reference(exc):
            raise
        pytest.skip("needs FastAPI 0.165.0, which needs CPython 3.11+")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    """A test that imports the reference FastAPI where it cannot be installed: skipped (3.10)."""
    try:
        return (yield)
    except ModuleNotFoundError as exc:
        if REFERENCE_FASTAPI or not _missing_reference(exc):
            raise
        pytest.skip("needs FastAPI 0.165.0, which needs CPython 3.11+")
