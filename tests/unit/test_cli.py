"""`ferroapi run` / `ferroapi dev`: finding the app, the uvicorn options, and a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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
    for name in set(sys.modules) - before:
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_dash_m_ferroapi_serves_the_app(project: Path) -> None:
    write(project / "main.py", APP.format(name="app", title="served by the CLI"))
    port = _free_port()
    command = [sys.executable, "-m", "ferroapi", "run", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
