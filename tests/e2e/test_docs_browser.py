"""The example app's /docs and /redoc in a real headless Chromium, with no network but the app's own.

Debian's `chromium` is driven over the DevTools protocol (a tiny client below: one WebSocket, stdlib
only). Every host name except 127.0.0.1 is made unresolvable, so the pages can only render if their
assets are served by the app (no CDN). Each test waits (polls, bounded) until the operations are listed,
checks them, and saves a screenshot under screenshots/ (gitignored). Skipped when chromium is absent.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
BROWSER_TIMEOUT = 30.0
RENDER_TIMEOUT = 30.0
# pytest-timeout: Chromium may take BROWSER_TIMEOUT to start, then a page RENDER_TIMEOUT to render.
pytestmark = pytest.mark.timeout(2 * (BROWSER_TIMEOUT + RENDER_TIMEOUT))
# The example app's operations, as Swagger UI lists them: (method, path).
EXPECTED = {
    ("GET", "/"),
    ("GET", "/items"),
    ("GET", "/items/{item_id}"),
    ("POST", "/items"),
}


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


# --- a minimal DevTools client -------------------------------------------------------------------


class CDP:
    """One WebSocket to a page target: `call(method, **params)` sends a command, returns its result."""

    def __init__(self, ws_url: str, timeout: float) -> None:
        host_port, _, path = ws_url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        self.next_id = 0

    def close(self) -> None:
        self.sock.close()

    def _read_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send(self, payload: bytes) -> None:
        header = bytes([0x81])  # FIN, text frame; client frames are masked
        size = len(payload)
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", size)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _receive(self) -> dict[str, Any]:
        message = b""
        while True:
            first, second = self._read_exact(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._read_exact(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._read_exact(8))
            payload = self._read_exact(size)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    decoded: dict[str, Any] = json.loads(message)
                    return decoded
            # ping/pong frames carry nothing for us

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}).encode())
        while True:
            message = self._receive()
            if message.get("id") == self.next_id:  # events (no id) are ignored
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


@pytest.fixture
def browser() -> Iterator[CDP]:
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="ferroapi-chromium-") as profile:
        args = [
            binary,
            "--headless=new",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            # Offline but for the app: any other host fails to resolve (a CDN asset would not load).
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,1400",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        # Its own process group: chromium's helper processes (zygote, renderers, crashpad) are
        # stopped with it, and none still writes to the profile while the directory is removed.
        process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            port = _devtools_port(Path(profile), process)
            cdp = CDP(_page_websocket(port), timeout=BROWSER_TIMEOUT)
            try:
                yield cdp
            finally:
                cdp.close()
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to chromium's process group, SIGKILL to what is left after 10 s; then wait until no
    process of the group remains (bounded)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # helpers that outlived the main process
        except ProcessLookupError:
            return  # the group is empty
        time.sleep(0.05)


def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it bound (port 0 asked) to `DevToolsActivePort` in the profile."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + BROWSER_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


def _page_websocket(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=BROWSER_TIMEOUT) as answer:
        targets = json.load(answer)
    return str(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture
def example_app() -> ModuleType:
    """A fresh import of examples/app.py (its in-memory store starts empty)."""
    spec = importlib.util.spec_from_file_location("ferroapi_example_app", ROOT / "examples" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait_for(cdp: CDP, expression: str, done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + RENDER_TIMEOUT
    value = None
    while time.monotonic() < deadline:
        value = cdp.evaluate(expression)
        if done(value):
            return value
        time.sleep(0.1)
    raise AssertionError(f"the page did not render in {RENDER_TIMEOUT}s; last seen: {value!r}")


def _screenshot(cdp: CDP, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    path = SCREENSHOTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


SWAGGER_OPERATIONS = """
Array.from(document.querySelectorAll('.opblock')).map(block => [
  (block.querySelector('.opblock-summary-method') || {}).textContent || '',
  ((block.querySelector('.opblock-summary-path') || {}).getAttribute || (() => ''))
    .call(block.querySelector('.opblock-summary-path'), 'data-path') || '',
])
"""


def test_swagger_ui_lists_the_operations(
    browser: CDP, serve: Callable[..., str], example_app: ModuleType
) -> None:
    base_url = serve(example_app.app)
    browser.call("Page.navigate", url=f"{base_url}/docs")
    listed = _wait_for(
        browser, SWAGGER_OPERATIONS, lambda ops: bool(ops) and {tuple(op) for op in ops} >= EXPECTED
    )
    assert {tuple(op) for op in listed} == EXPECTED
    assert browser.evaluate("document.querySelector('.information-container .title').textContent")
    assert "Inventory" in browser.evaluate("document.querySelector('.information-container').textContent")
    assert browser.evaluate("document.querySelector('.errors-wrapper') === null")
    shot = _screenshot(browser, "docs-swagger-ui.png")
    assert shot.stat().st_size > 10_000


REDOC_OPERATIONS = """
Array.from(document.querySelectorAll('[data-section-id^="operation/"]')).map(
  section => section.getAttribute('data-section-id'))
"""


def test_redoc_lists_the_operations(browser: CDP, serve: Callable[..., str], example_app: ModuleType) -> None:
    base_url = serve(example_app.app)
    browser.call("Page.navigate", url=f"{base_url}/redoc")
    operation_ids = {route.unique_id for route in example_app.app.routes if hasattr(route, "unique_id")}
    listed = _wait_for(browser, REDOC_OPERATIONS, lambda ids: bool(ids) and len(ids) >= len(EXPECTED))
    assert {section.removeprefix("operation/") for section in listed} == operation_ids
    shot = _screenshot(browser, "docs-redoc.png")
    assert shot.stat().st_size > 10_000
