"""`ferroapi run` / `ferroapi dev`: finding the app, the uvicorn options, and a real server."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from _servers import free_port
from ferroapi import cli

APP = """
from ferroapi import FerroAPI

{name} = FerroAPI(title="{title}")


@{name}.get("/")
def root() -> dict[str, str]:
    return {{"title": "{title}"}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A scratch project directory; the modules it imported are forgotten afterwards."""
    before = set(sys.modules)
    path_before = list(sys.path)
    yield tmp_path
    root = str(tmp_path)
    for name in set(sys.modules) - before:
        # Only the project's own: a ferroapi module first imported by discovery (lazily resolved names)
        # must stay, or the next test's app is an instance of a class `discover` no longer knows.
        if (getattr(sys.modules[name], "__file__", None) or root).startswith(root):
            del sys.modules[name]
    sys.path[:] = path_before


@pytest.fixture(autouse=True)
def alias_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """`cli.main` in this process must not alias `fastapi` (the compat tests import the real one):
    the alias is recorded here and tested for real in test_alias.py, in fresh interpreters."""
    calls: list[bool] = []
    monkeypatch.setattr(cli, "_install_alias", lambda: calls.append(True))
    return calls


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_default_file_and_name(project: Path) -> None:
    write(project / "main.py", APP.format(name="app", title="cli_main_1"))
    target = cli.discover(None, cwd=project)
    assert (target.module, target.attribute, target.directory) == ("main", "app", project.resolve())


def test_a_module_inside_packages_gets_its_dotted_name(project: Path) -> None:
    write(project / "cli_shop" / "__init__.py", "")
    write(project / "cli_shop" / "web" / "__init__.py", "")
    write(project / "cli_shop" / "web" / "server.py", APP.format(name="api", title="shop"))
    target = cli.discover(project / "cli_shop" / "web" / "server.py")
    assert target.import_string == "cli_shop.web.server:api"
    assert target.directory == project.resolve()


def test_an_explicit_name_and_a_lone_instance(project: Path) -> None:
    write(project / "cli_named.py", APP.format(name="service", title="named"))
    assert cli.discover(project / "cli_named.py").attribute == "service"
    assert cli.discover(project / "cli_named.py", app_name="service").attribute == "service"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "none of main.py"),
        ({"main.py": "x = 1\n"}, "No FerroAPI app"),
        (
            {"main.py": APP.format(name="one", title="a") + APP.format(name="two", title="b")},
            "several apps",
        ),
    ],
)
def test_what_cannot_be_served_is_explained(project: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        write(project / name, text)
    with pytest.raises(cli.AppNotFound, match=message):
        cli.discover(None, cwd=project)


def test_run_and_dev_pass_their_options_to_uvicorn(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    alias_calls: list[bool],
) -> None:
    import uvicorn

    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    write(project / "cli_served.py", APP.format(name="app", title="served"))
    cli.main(["run", str(project / "cli_served.py"), "--root-path", "/api/v1", "--workers", "2"])
    cli.main(["dev", "--entrypoint", "cli_served:app", "--port", "9000"])
    cli.main(["dev", "--entrypoint", "cli_served:app", "--no-fastapi-alias"])
    assert alias_calls == [True, True]  # on by default, off with --no-fastapi-alias
    (run_app, run), (dev_app, dev), _ = calls
    assert run_app == dev_app == "cli_served:app"
    assert (run["host"], run["port"], run["reload"], run["workers"]) == ("0.0.0.0", 8000, False, 2)
    assert run["root_path"] == "/api/v1" and run["proxy_headers"] is True
    assert (dev["host"], dev["port"], dev["reload"]) == ("127.0.0.1", 9000, True)
    assert "Serving cli_served:app on http://127.0.0.1:8000" in capsys.readouterr().out


def test_a_missing_app_exits_with_the_reason(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit) as exited:
        cli.main(["run"])
    assert exited.value.code == 1
    assert "ferroapi run: No app file given" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["dev", "nowhere.py"])
    assert "Path does not exist nowhere.py" in capsys.readouterr().out


def test_python_dash_m_ferroapi_serves_the_app(project: Path) -> None:
    write(project / "main.py", APP.format(name="app", title="served by the CLI"))
    port = free_port()
    command = [sys.executable, "-m", "ferroapi", "run", "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    reply = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        output = server.stdout.read().decode() if server.stdout else ""
                        raise AssertionError(f"the server did not come up:\n{output}") from None
                    time.sleep(0.05)
            assert reply.json() == {"title": "served by the CLI"}
        finally:
            server.terminate()
            server.wait(timeout=15)


def test_fastapi_cli_options_reach_uvicorn(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    write(project / "cli_opts.py", APP.format(name="app", title="opts"))
    (project / "src").mkdir()
    cli.main(
        [
            *("dev", str(project / "cli_opts.py"), "--reload-dir", str(project / "src"), "--reload-dir", "."),
            *("--forwarded-allow-ips", "10.0.0.1,10.0.0.2", "--verbose"),
        ]
    )
    cli.main(["run", str(project / "cli_opts.py")])
    verbose, quiet = calls
    assert verbose["reload_dirs"] == [str((project / "src").resolve()), str(Path.cwd().resolve())]
    assert verbose["forwarded_allow_ips"] == "10.0.0.1,10.0.0.2" and verbose["log_level"] == "debug"
    assert quiet["reload_dirs"] is None and quiet["forwarded_allow_ips"] is None
    assert quiet["log_level"] is None  # uvicorn's own default
    out = capsys.readouterr().out
    assert f"Importing from {project.resolve()}" in out
    assert "Importing the app with: from cli_opts import app" in out


def test_verbose_before_the_command_counts_too(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    write(project / "cli_v.py", APP.format(name="app", title="v"))
    cli.main(["--verbose", "run", str(project / "cli_v.py")])
    assert calls[0]["log_level"] == "debug"
    assert "Import string from: path argument" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == "ferroapi 0.1.0 (FastAPI 0.165.0 API)"


@pytest.mark.parametrize("table", ["fastapi", "ferroapi"])
def test_the_entrypoint_from_pyproject(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
) -> None:
    import uvicorn

    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    monkeypatch.chdir(project)
    write(
        project / "pyproject.toml",
        f'[project]\nname = "x"\n\n[tool.{table}]\nentrypoint = "shop.api:service"\n',
    )
    cli.main(["run", "--verbose"])
    cli.main(["run", "-e", "other:app"])  # the option wins over the file
    (app, options), (other, _) = calls
    assert (app, options["app_dir"], other) == ("shop.api:service", str(project.resolve()), "other:app")
    assert f"Import string from: entrypoint in pyproject.toml [tool.{table}]" in capsys.readouterr().out


def test_ferroapis_table_wins_over_fastapis(project: Path) -> None:
    write(
        project / "pyproject.toml",
        '[tool.fastapi]\nentrypoint = "a:app"\n\n[tool.ferroapi]\nentrypoint = "b:app"\n',
    )
    assert cli.configured_entrypoint(project) == ("b:app", "tool.ferroapi")
    write(project / "pyproject.toml", "[tool.ruff]\nline-length = 1\n")
    assert cli.configured_entrypoint(project) is None


@pytest.mark.parametrize(
    ("argv", "pyproject", "message"),
    [
        (["run", "main.py", "-e", "main:app"], None, "Cannot use --entrypoint together with path or --app"),
        (["run", "--app", "api", "-e", "main:app"], None, "Cannot use --entrypoint together"),
        (["run", "-e", "main"], None, "Import string must be in the format module.submodule:app_name"),
        (["run"], "[tool.fastapi]\nentrypoint = 3\n", "tool.fastapi.entrypoint in .*valid string"),
        (["run"], "[tool.fastapi\n", "ferroapi run: "),  # a TOML error, reported as one
    ],
)
def test_entrypoint_errors_exit_with_the_reason(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    pyproject: str | None,
    message: str,
) -> None:
    monkeypatch.chdir(project)
    if pyproject is not None:
        write(project / "pyproject.toml", pyproject)
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 1
    assert re.search(message, capsys.readouterr().out)


def test_auto_discovery_suggests_the_pyproject_entrypoint(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    monkeypatch.chdir(project)
    write(project / "main.py", APP.format(name="app", title="found"))
    cli.main(["run"])
    out = capsys.readouterr().out
    assert "(auto-discovered, use --verbose to learn more)" in out
    assert '[tool.fastapi]\n    entrypoint = "main:app"' in out


def test_server_granian_gets_the_options(
    project: Path, monkeypatch: pytest.MonkeyPatch, alias_calls: list[bool]
) -> None:
    import granian

    created: list[tuple[str, dict[str, Any]]] = []

    class FakeGranian:
        def __init__(self, target: str, **options: Any) -> None:
            created.append((target, options))

        def serve(self) -> None:
            pass

    monkeypatch.setattr(granian, "Granian", FakeGranian)
    monkeypatch.delenv("FERROAPI_SERVE_TARGET", raising=False)
    write(project / "cli_gr.py", APP.format(name="app", title="granian"))
    cli.main(
        [
            *("dev", str(project / "cli_gr.py"), "--server", "granian", "--port", "9001", "--workers", "3"),
            *("--reload-dir", str(project), "--root-path", "/api", "--forwarded-allow-ips", "*"),
        ]
    )
    ((target, options),) = created
    assert (target, options["factory"], options["interface"].value) == (
        "ferroapi.cli:granian_app",
        True,
        "asgi",
    )
    assert (options["address"], options["port"], options["workers"]) == ("127.0.0.1", 9001, 3)
    assert (options["reload"], options["reload_paths"]) == (True, [project.resolve()])
    assert options["url_path_prefix"] == "/api" and alias_calls == [True]
    # What the worker processes read: the app, its directory, the proxy settings.
    import json
    import os

    spec = json.loads(os.environ["FERROAPI_SERVE_TARGET"])
    assert spec == {
        "module": "cli_gr",
        "attribute": "app",
        "directory": str(project.resolve()),
        "proxy_headers": True,
        "forwarded_allow_ips": "*",
    }
    app = cli.granian_app()  # the proxy-headers wrapper around the app
    assert app is not sys.modules["cli_gr"].app and callable(app)
    monkeypatch.setenv("FERROAPI_SERVE_TARGET", json.dumps({**spec, "proxy_headers": False}))
    assert cli.granian_app() is sys.modules["cli_gr"].app


@contextlib.contextmanager
def served(command: list[str], cwd: Path, path: str = "/") -> Iterator[httpx.Response]:
    """A real server started by `command` in `cwd`; yields the first answer to `path`."""
    port = free_port()
    command = [*command, "--host", "127.0.0.1", "--port", str(port)]
    with subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    reply = httpx.get(
                        f"http://127.0.0.1:{port}{path}",
                        headers={"X-Forwarded-For": "203.0.113.9"},
                        timeout=5,
                    )
                    break
                except httpx.TransportError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        server.kill()
                        output = server.stdout.read().decode() if server.stdout else ""
                        raise AssertionError(f"the server did not come up:\n{output}") from None
                    time.sleep(0.05)
            yield reply
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


CLIENT_APP = """
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/client")
def client(request: Request) -> dict[str, str]:
    return {"client": request.client.host if request.client else "", "root_path": request.scope["root_path"]}
"""


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_an_unchanged_fastapi_app_from_pyproject_served_by_each_server(project: Path, server: str) -> None:
    """`[tool.fastapi] entrypoint` as fastapi-cli reads it; the alias in the server's worker process;
    proxy headers trusted from 127.0.0.1 (the default) by both servers."""
    write(project / "svc" / "__init__.py", "")
    write(project / "svc" / "web.py", CLIENT_APP)
    write(project / "pyproject.toml", '[tool.fastapi]\nentrypoint = "svc.web:app"\n')
    command = [sys.executable, "-m", "ferroapi", "run", "--server", server, "--workers", "1"]
    with served(command, project, "/client") as reply:
        assert reply.status_code == 200
        assert reply.json()["client"] == "203.0.113.9"
    with served([*command, "--no-proxy-headers"], project, "/client") as reply:
        assert reply.json()["client"] == "127.0.0.1"


def test_the_version_of_the_installed_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ferroapi", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("ferroapi 0.1.0 ")
