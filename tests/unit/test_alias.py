"""`install_as_fastapi()`, `FERROAPI_FASTAPI_ALIAS`, the pytest plugin and `ferroapi run` on an app written
for FastAPI. Each case runs in a fresh interpreter: the alias is process-wide, and this test process
has the real FastAPI imported (the compat tests use it).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from _servers import free_port, wait_for_port
from ferroapi._alias import ALIAS_ENV, FASTAPI_VERSION, FastAPIAliasFinder


def run_python(code: str, *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != ALIAS_ENV}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_fastapi_resolves_to_ferroapi_modules() -> None:
    out = run_python(
        """
        import sys
        import ferroapi
        ferroapi.install_as_fastapi()
        ferroapi.install_as_fastapi()  # twice: harmless
        import fastapi
        import fastapi.routing
        import fastapi.security.oauth2
        from fastapi.dependencies.utils import solve_dependencies
        import ferroapi.routing, ferroapi.security.oauth2, ferroapi.dependencies.utils
        assert fastapi.FastAPI is ferroapi.FerroAPI
        assert fastapi.APIRouter is ferroapi.APIRouter and fastapi.Depends is ferroapi.Depends
        assert fastapi.routing is ferroapi.routing
        assert sys.modules["fastapi.security.oauth2"] is ferroapi.security.oauth2
        assert solve_dependencies is ferroapi.dependencies.utils.solve_dependencies
        # Imported by `import fastapi` in FastAPI too: reachable as attributes.
        assert fastapi.openapi.utils.get_openapi is not None
        # A patch through the fastapi path is a patch of what ferroapi runs.
        fastapi.routing.some_hook = 1
        assert ferroapi.routing.some_hook == 1
        print(fastapi.__version__, ferroapi.__version__ != fastapi.__version__)
        """
    )
    assert out == f"{FASTAPI_VERSION} True"


def test_a_module_ferroapi_lacks_is_not_found() -> None:
    out = run_python(
        """
        import ferroapi
        ferroapi.install_as_fastapi()
        try:
            import fastapi.no_such_module
        except ModuleNotFoundError as exc:
            print(exc.name)
        """
    )
    assert out == "fastapi.no_such_module"


def test_refused_once_the_real_fastapi_is_imported() -> None:
    out = run_python(
        """
        import sys
        import fastapi
        import ferroapi
        try:
            ferroapi.install_as_fastapi()
        except ferroapi._alias.AliasError as exc:
            print(str(exc).split(",")[0])
        # Nothing half-done: the real fastapi stays, no finder was installed.
        assert not ferroapi._alias.alias_installed()
        assert "ferroapi" not in fastapi.FastAPI.__module__
        """
    )
    assert out == "ferroapi.install_as_fastapi() must run before anything imports fastapi"


def test_the_metadata_of_the_real_distribution_is_found_first() -> None:
    out = run_python(
        """
        import importlib.metadata, ferroapi
        ferroapi.install_as_fastapi()
        installed = importlib.metadata.distribution("fastapi").read_text("INSTALLER") is not None
        print(importlib.metadata.version("fastapi"), installed)
        """
    )
    assert out == f"{importlib.metadata.version('fastapi')} True"


def test_metadata_at_fastapis_version_where_none_is_installed(tmp_path: Path) -> None:
    # A search path holding no fastapi distribution: the alias answers for it.
    finder = FastAPIAliasFinder()
    context = importlib.metadata.DistributionFinder.Context(name="FastAPI", path=[str(tmp_path)])
    (found,) = finder.find_distributions(context)
    assert (found.metadata["Name"], found.version) == ("fastapi", FASTAPI_VERSION)
    other = importlib.metadata.DistributionFinder.Context(name="starlette", path=[str(tmp_path)])
    assert list(finder.find_distributions(other)) == []
    # Where the real one is installed, only the real one.
    site = str(importlib.metadata.distribution("fastapi").locate_file(""))
    installed = importlib.metadata.DistributionFinder.Context(name="fastapi", path=[site])
    assert list(finder.find_distributions(installed)) == []


@pytest.mark.parametrize("value", ["1", "true", "on"])
def test_the_environment_variable_installs_it_at_start_up(value: str) -> None:
    out = run_python(
        "import fastapi; print(fastapi.__version__, fastapi.FastAPI.__module__)", env={ALIAS_ENV: value}
    )
    assert out == f"{FASTAPI_VERSION} ferroapi.applications"


def test_without_the_variable_nothing_is_imported_at_start_up() -> None:
    assert run_python("import sys; print('ferroapi' in sys.modules)", env={ALIAS_ENV: "0"}) == "False"


SUITE_CONFTEST = """
import fastapi  # the app's conftest imports fastapi before any test runs
"""
SUITE_TEST = """
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_runs_on_ferroapi():
    app = FastAPI()

    @app.get("/")
    def root():
        return {"served_by": type(app).__module__}

    assert TestClient(app).get("/").json() == {"served_by": "ferroapi.applications"}
    assert app.openapi()["info"]["title"] == "FastAPI"
"""


@pytest.mark.parametrize("how", ["command line", "configuration"])
def test_the_pytest_plugin_runs_a_fastapi_suite_on_ferroapi(tmp_path: Path, how: str) -> None:
    (tmp_path / "conftest.py").write_text(SUITE_CONFTEST)
    (tmp_path / "test_app.py").write_text(SUITE_TEST)
    args = ["-p", "ferroapi.pytest_plugin"] if how == "command line" else []
    addopts = "addopts = -p ferroapi.pytest_plugin\n" if how == "configuration" else ""
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{addopts}")
    environment = {k: v for k, v in os.environ.items() if k != ALIAS_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_without_the_plugin_the_suite_gets_the_real_fastapi(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SUITE_CONFTEST)
    (tmp_path / "test_app.py").write_text(SUITE_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    environment = {k: v for k, v in os.environ.items() if k != ALIAS_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 1 and "1 failed" in done.stdout


FASTAPI_APP = """
from fastapi import Depends, FastAPI

app = FastAPI()


def current_user() -> str:
    return "ada"


@app.get("/who")
def who(user: str = Depends(current_user)) -> dict[str, str]:
    return {"user": user, "framework": type(app).__module__}
"""


# How long _get waits for a server to accept connections: two workers importing the app on a loaded
# 2-core machine. The tests that start one have a per-test timeout this much longer than pytest's.
SERVER_START = 90


def _serve(project: Path, *flags: str) -> tuple[int, subprocess.Popen[bytes]]:
    port = free_port()
    command = [sys.executable, "-m", "ferroapi", "run", "--host", "127.0.0.1", "--port", str(port), *flags]
    environment = {k: v for k, v in os.environ.items() if k != ALIAS_ENV}
    server = subprocess.Popen(
        command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment
    )
    return port, server


def _get(port: int, server: subprocess.Popen[bytes], path: str) -> httpx.Response:
    """GET `path` once the server accepts connections (polled with plain sockets: an HTTP client's
    own connection errors differ between the httpx versions other tests import)."""
    try:
        wait_for_port("127.0.0.1", port, time.monotonic() + SERVER_START, server)
    except (RuntimeError, TimeoutError):
        output = server.stdout.read().decode() if server.stdout else ""
        raise AssertionError(f"the server did not come up:\n{output}") from None
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)


@pytest.mark.timeout(SERVER_START + 60)
@pytest.mark.parametrize("workers", [None, 2])
def test_ferroapi_run_serves_an_unchanged_fastapi_app(tmp_path: Path, workers: int | None) -> None:
    (tmp_path / "main.py").write_text(FASTAPI_APP)
    flags = ["--workers", str(workers)] if workers else []
    port, server = _serve(tmp_path, *flags)
    with server:  # closes its output pipe
        try:
            reply = _get(port, server, "/who")
            assert reply.json() == {"user": "ada", "framework": "ferroapi.applications"}
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.mark.timeout(120)  # the refusal may take 60 s (server.wait below)
def test_no_fastapi_alias_leaves_the_app_on_fastapi(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(FASTAPI_APP)
    _, server = _serve(tmp_path, "--no-fastapi-alias")
    with server:  # closes its output pipe
        try:
            assert server.wait(timeout=60) == 1  # a FastAPI app is not a FerroAPI app: refused, with why
            output = server.stdout.read().decode() if server.stdout else ""
            assert "--fastapi-alias" in output
        finally:
            if server.poll() is None:
                server.kill()


def _server_commands() -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "uvicorn": [str(bin_dir / "uvicorn"), "main:app", "--host", "127.0.0.1", "--port", "{port}"],
        "gunicorn": [
            str(bin_dir / "gunicorn"),
            "main:app",
            "-k",
            "uvicorn.workers.UvicornWorker",
            "-w",
            "2",
            "-b",
            "127.0.0.1:{port}",
        ],
        "granian": [
            str(bin_dir / "granian"),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "main:app",
        ],
    }


@pytest.mark.timeout(SERVER_START + 60)
@pytest.mark.parametrize("server", ["uvicorn", "gunicorn", "granian"])
def test_server_command_lines_serve_an_unchanged_app_with_the_variable(tmp_path: Path, server: str) -> None:
    command = _server_commands()[server]
    if not Path(command[0]).exists():
        pytest.skip(f"{server} is not installed in this environment")
    (tmp_path / "main.py").write_text(FASTAPI_APP)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != ALIAS_ENV}
    environment[ALIAS_ENV] = "1"
    with subprocess.Popen(
        [part.format(port=port) for part in command],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environment,
    ) as process:
        try:
            reply = _get(port, process, "/who")
            assert reply.json() == {"user": "ada", "framework": "ferroapi.applications"}
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
