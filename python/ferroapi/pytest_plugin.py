"""pytest plugin (registered by the package): run a FastAPI app's unchanged test suite on ferroapi.

    pytest --fastapi-alias            # or, in the pytest configuration: fastapi_alias = true

installs `ferroapi.install_as_fastapi()` before pytest imports the first conftest, so the tests, the
app and its extensions all get ferroapi when they import `fastapi`. Without the option nothing changes.
`FERROAPI_FASTAPI_ALIAS=1` in the environment does the same at interpreter start-up (for plugins that
import `fastapi` themselves while pytest loads them).
"""

from __future__ import annotations

import pytest

from ferroapi._alias import install_as_fastapi

__all__ = ["pytest_addoption", "pytest_load_initial_conftests"]

_HELP = "make `import fastapi` resolve to ferroapi (ferroapi.install_as_fastapi()) before conftests load"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ferroapi")
    group.addoption("--fastapi-alias", action="store_true", default=False, help=_HELP)
    parser.addini("fastapi_alias", type="bool", default=False, help=_HELP)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    if early_config.known_args_namespace.fastapi_alias or early_config.getini("fastapi_alias"):
        install_as_fastapi()
