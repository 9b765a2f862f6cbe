"""The release wheel works on its own: build it, install it into a clean virtualenv, serve a request.

This is what a user gets from `pip install ferroapi`: no source tree on sys.path, dependencies resolved
from the package index, the native module loaded from the wheel. Every step has a bounded timeout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 1200  # a cold release build of the crate on two cores
INSTALL_TIMEOUT = 600
SERVER_TIMEOUT = 30

APP = textwrap.dedent(
    """
    import ferroapi
    from ferroapi import FerroAPI

    app = FerroAPI()


    @app.get("/items/{item_id}")
    async def read(item_id: int, q: str | None = None) -> dict:
        return {"item_id": item_id, "q": q, "native": ferroapi._ferroapi.__name__, "file": ferroapi.__file__}
    """
)


def maturin() -> str:
    found = shutil.which("maturin", path=str(Path(sys.executable).parent)) or shutil.which("maturin")
    if found is None:
        pytest.fail("maturin is not installed in this environment (make setup installs it)")
    return found


def check(
    cmd: list[str], timeout: float, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, server: subprocess.Popen[bytes], deadline: float) -> object:
    """Poll until the server answers (or exits, or the deadline passes)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, ConnectionError) as exc:
            if server.poll() is not None:
                out = server.stdout.read().decode(errors="replace") if server.stdout else ""
                pytest.fail(f"uvicorn exited with {server.returncode} before answering:\n{out[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no answer from {url} within {SERVER_TIMEOUT}s: {exc}")
            time.sleep(0.05)


def test_wheel_installs_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    check([maturin(), "build", "--release", "--quiet", "--out", str(dist)], BUILD_TIMEOUT, cwd=ROOT)
    (wheel,) = dist.glob("ferroapi-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip_env.pop("PYTHONPATH", None)
    check([str(python), "-m", "pip", "install", "-q", str(wheel), "uvicorn"], INSTALL_TIMEOUT, env=pip_env)

    app_dir = tmp_path / "app"  # outside the source tree: only the installed wheel can be imported
    app_dir.mkdir()
    (app_dir / "wheel_app.py").write_text(APP)
    port = free_port()
    # Served through the wheel's `ferroapi` console script (ferroapi run -> uvicorn).
    cmd = [str(env_dir / "bin" / "ferroapi"), "run", "wheel_app.py", "--host", "127.0.0.1"]
    cmd += ["--port", str(port)]
    server = subprocess.Popen(cmd, cwd=app_dir, env=pip_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body = get_json(f"http://127.0.0.1:{port}/items/7?q=x", server, time.monotonic() + SERVER_TIMEOUT)
        # The docs pages' assets ship inside the wheel (vendored ReDoc, Swagger UI from its package).
        redoc = urllib.request.urlopen(f"http://127.0.0.1:{port}/redoc", timeout=5).read().decode()
        (script,) = re.findall(r'src="([^"]+redoc[^"]*\.js)"', redoc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{script}", timeout=5) as asset:
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
    assert body == {"item_id": 7, "q": "x", "native": "ferroapi._ferroapi"}
