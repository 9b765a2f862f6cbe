"""pytest plugin: run a FastAPI app's unchanged test suite on ferroapi.

    pytest -p ferroapi.pytest_plugin          # or in the pytest configuration:
                                              #   addopts = "-p ferroapi.pytest_plugin"

Loading the plugin installs `ferroapi.install_as_fastapi()` before pytest imports the first conftest,
so the tests, the app and its extensions all get ferroapi when they import `fastapi`.
`FERROAPI_FASTAPI_ALIAS=1` in the environment does the same at interpreter start-up (also for plugins
that import `fastapi` while pytest loads them).

The plugin is not registered automatically (no `pytest11` entry point): pytest would then rewrite the
`assert` statements of the whole ferroapi package, changing the messages of the assertion errors
ferroapi raises for invalid declarations, which FastAPI-era tests compare.
"""

from __future__ import annotations

import pytest

from ferroapi._alias import install_as_fastapi

__all__ = ["pytest_load_initial_conftests"]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    install_as_fastapi()
