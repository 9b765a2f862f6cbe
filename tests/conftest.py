"""Shared pytest configuration: async tests run on every anyio backend that is installed."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

# trio is optional: a test marked `@pytest.mark.anyio` runs on it too when it is installed.
ANYIO_BACKENDS = ["asyncio", *(["trio"] if find_spec("trio") is not None else [])]


@pytest.fixture(params=ANYIO_BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
