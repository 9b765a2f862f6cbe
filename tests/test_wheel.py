"""The release wheel works on its own: install it into a clean virtualenv, serve HTTP, SSE and a websocket.

This is what a user gets from `pip install "ferroapi[standard]"`: no source tree on sys.path,
dependencies resolved from the package index, the native module loaded from the wheel, served by the
wheel's `ferroapi` command. Every step has a bounded timeout.

- `make test`: one wheel is built for this interpreter (`maturin build --release`) and tested.
- `make test-wheels`: FERROAPI_WHEEL_DIR names `make wheel`'s dist/; each manylinux2014 wheel there is
  installed into a clean virtualenv of the CPython it was built for (an abi3 wheel: of each version in
  FERROAPI_WHEEL_PYTHONS), and the sdist is built into a wheel with nothing but cargo and maturin.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from _servers import free_port

ROOT = Path(__file__).resolve().parents[1]
WHEEL_DIR = os.environ.get("FERROAPI_WHEEL_DIR")
ABI3_PYTHONS = os.environ.get("FERROAPI_WHEEL_PYTHONS", "3.10 3.13").split()
BUILD_TIMEOUT = 1200  # a cold release build of the crate on two cores
INSTALL_TIMEOUT = 600
SERVER_TIMEOUT = 30
# pytest-timeout: the cold build (in the first test, through its fixture), then the installs.
pytestmark = [pytest.mark.wheel, pytest.mark.timeout(BUILD_TIMEOUT + 2 * INSTALL_TIMEOUT)]

APP = textwrap.dedent(
    """
    from collections.abc import AsyncIterator

    import ferroapi
    from ferroapi import FerroAPI, WebSocket
    from ferroapi.sse import EventSourceResponse
    from pydantic import BaseModel

    app = FerroAPI()


    class Tick(BaseModel):
        n: int


    @app.get("/items/{item_id}")
    async def read(item_id: int, q: str | None = None) -> dict:
        return {"item_id": item_id, "q": q, "native": ferroapi._ferroapi.__file__, "file": ferroapi.__file__}


    @app.get("/ticks", response_class=EventSourceResponse)
    async def ticks(count: int = 3) -> AsyncIterator[Tick]:
        for n in range(count):
            yield Tick(n=n)


    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            text = await websocket.receive_text()
            await websocket.send_json({"echo": text})
    """
)


def maturin() -> str:
    found = shutil.which("maturin", path=str(Path(sys.executable).parent)) or shutil.which("maturin")
    if found is None:
        pytest.fail("maturin is not installed in this environment (make setup installs it)")
    return found


def check(
    cmd: list[str], timeout: float, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def find_python(version: str) -> str:
    if version == f"{sys.version_info.major}.{sys.version_info.minor}" and not WHEEL_DIR:
        return sys.executable
    found = subprocess.run([str(ROOT / "scripts" / "find-python"), version], capture_output=True, text=True)
    if found.returncode != 0:
        pytest.skip(found.stderr.strip())
    return found.stdout.strip()


def wheel_cases() -> list[tuple[str, str]]:
    """(wheel file or "build", CPython X.Y) pairs to test."""
    if not WHEEL_DIR:
        return [("build", f"{sys.version_info.major}.{sys.version_info.minor}")]
    cases = []
    for wheel in sorted(Path(WHEEL_DIR).glob("ferroapi-*.whl")):
        _, _, python_tag, abi_tag, _ = wheel.stem.split("-")
        versions = ABI3_PYTHONS if abi_tag == "abi3" else [f"{python_tag[2]}.{python_tag[3:]}"]
        cases += [(str(wheel), version) for version in versions]
    return cases


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The wheel `make test` tests: built here for the running interpreter."""
    dist = tmp_path_factory.mktemp("dist")
    check(
        [maturin(), "build", "--release", "--out", str(dist), "-i", sys.executable], BUILD_TIMEOUT, cwd=ROOT
    )
    (wheel,) = dist.glob("ferroapi-*.whl")
    yield wheel


def clean_env() -> dict[str, str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "FERROAPI_FASTAPI_ALIAS"):
        env.pop(name, None)
    return env


def make_venv(python: str, where: Path) -> Path:
    if python == sys.executable:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    else:
        check([python, "-m", "venv", "--clear", str(where)], INSTALL_TIMEOUT)
    return where


def check_wheel_contents(wheel: Path) -> None:
    """The files and the metadata a user's installer sees."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
    assert "ferroapi_fastapi_alias.pth" in names  # the FERROAPI_FASTAPI_ALIAS start-up hook
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(re.fullmatch(r"ferroapi/_ferroapi\.[\w.-]+\.so", n) for n in names)
    assert "ferroapi/py.typed" in names
    assert metadata["License-Expression"] == "MIT"
    assert "Framework :: FastAPI" in metadata.get_all("Classifier", [])
    assert any(url.startswith("Documentation, ") for url in metadata.get_all("Project-URL", []))
    extras = {"standard", "all", "opentelemetry", "redis"}  # no test/lint: dependency groups
    assert set(metadata.get_all("Provides-Extra", [])) == extras
    assert "ferroapi run main.py" in str(metadata.get_payload())  # the PyPI page is the user's


def get_json(url: str, server: subprocess.Popen[bytes], deadline: float) -> object:
    """Poll until the server answers (or exits, or the deadline passes)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError) as exc:
            if server.poll() is not None:
                out = server.stdout.read().decode(errors="replace") if server.stdout else ""
                pytest.fail(f"the server exited with {server.returncode} before answering:\n{out[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from {url} within {SERVER_TIMEOUT}s: {exc}")
            time.sleep(0.05)


def serve_and_check(env_dir: Path, app_dir: Path) -> None:
    """HTTP, SSE and a websocket through the wheel's `ferroapi run` (uvicorn from the standard extra)."""
    from websockets.sync.client import connect

    port = free_port()
    cmd = [
        str(env_dir / "bin" / "ferroapi"),
        "run",
        "wheel_app.py",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with subprocess.Popen(
        cmd, cwd=app_dir, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as server:
        base = f"http://127.0.0.1:{port}"
        try:
            body = get_json(f"{base}/items/7?q=x", server, time.monotonic() + SERVER_TIMEOUT)
            with httpx.stream("GET", f"{base}/ticks?count=3", timeout=10) as events:
                assert events.headers["content-type"].startswith("text/event-stream")
                sse = events.read().decode()
            with connect(f"ws://127.0.0.1:{port}/echo", open_timeout=10) as websocket:
                websocket.send("hello")
                echoed = json.loads(websocket.recv(timeout=10))
            # The docs pages' assets ship inside the wheel (vendored ReDoc, Swagger UI from its package).
            with urllib.request.urlopen(f"{base}/redoc", timeout=5) as page:
                redoc = page.read().decode()
            (script,) = re.findall(r'src="([^"]+redoc[^"]*\.js)"', redoc)
            with urllib.request.urlopen(f"{base}{script}", timeout=5) as asset:
                assert asset.status == 200 and len(asset.read()) > 100_000
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    assert isinstance(body, dict)
    assert body.pop("file").startswith(str(env_dir))  # the wheel's copy, not the source tree
    assert body.pop("native").startswith(str(env_dir))
    assert body == {"item_id": 7, "q": "x"}
    assert sse == "".join(f'data: {{"n":{n}}}\n\n' for n in range(3))
    assert echoed == {"echo": "hello"}


@pytest.mark.parametrize(("wheel_file", "version"), wheel_cases())
def test_wheel_installs_and_serves(
    tmp_path: Path, request: pytest.FixtureRequest, wheel_file: str, version: str
) -> None:
    wheel = request.getfixturevalue("built_wheel") if wheel_file == "build" else Path(wheel_file)
    if WHEEL_DIR:
        assert "manylinux2014_x86_64" in wheel.name, wheel.name  # glibc 2.17: installable on older distros
    check_wheel_contents(wheel)

    python = find_python(version)
    env_dir = make_venv(python, tmp_path / "venv")
    env_python = str(env_dir / "bin" / "python")
    # A current pip, as a user has: the one a venv bundles may predate the metadata fields checked below.
    check([env_python, "-m", "pip", "install", "-q", "--upgrade", "pip"], INSTALL_TIMEOUT, env=clean_env())
    check([env_python, "-m", "pip", "install", "-q", f"{wheel}[standard]"], INSTALL_TIMEOUT, env=clean_env())
    shown = check([env_python, "-m", "pip", "show", "-v", "ferroapi"], INSTALL_TIMEOUT, env=clean_env())
    assert "License-Expression: MIT" in shown and "Framework :: FastAPI" in shown and "Repository, " in shown
    # `fastapi[standard]`'s set: the websocket and reload libraries uvicorn[standard] brings, the rest.
    versions = check(
        [
            env_python,
            "-c",
            "import sys, websockets, watchfiles, httpx2, multipart, email_validator, "
            "pydantic_settings, pydantic_extra_types, jinja2; print(sys.version_info[:2])",
        ],
        INSTALL_TIMEOUT,
        env=clean_env(),
    )
    assert versions.strip() == str(tuple(int(part) for part in version.split(".")))

    app_dir = tmp_path / "app"  # outside the source tree: only the installed wheel can be imported
    app_dir.mkdir()
    (app_dir / "wheel_app.py").write_text(APP)
    serve_and_check(env_dir, app_dir)


@pytest.mark.skipif(not WHEEL_DIR, reason="make test-wheels builds the sdist (FERROAPI_WHEEL_DIR)")
def test_the_sdist_builds_with_only_cargo_and_maturin(tmp_path: Path) -> None:
    """pip builds the sdist in an isolated environment (maturin from the index, cargo from PATH)."""
    assert WHEEL_DIR is not None
    (sdist,) = Path(WHEEL_DIR).glob("ferroapi-*.tar.gz")
    env_dir = make_venv(sys.executable, tmp_path / "venv")
    out = tmp_path / "out"
    env = {**clean_env(), "CARGO_TARGET_DIR": str(tmp_path / "target")}
    check(
        [
            str(env_dir / "bin" / "python"),
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            str(sdist),
            "-w",
            str(out),
        ],
        BUILD_TIMEOUT,
        env=env,
    )
    (wheel,) = out.glob("ferroapi-*.whl")
    check_wheel_contents(wheel)
