"""The documentation site (`make docs`): built offline, then rendered in a real headless Chromium.

The site is built here with `mkdocs build --strict` into a temporary directory (the `docs` dependency
group: MkDocs, Material, mkdocstrings) and served by starlette's StaticFiles on 127.0.0.1. Chromium
resolves no other host (`--host-resolver-rules`), so a page that needed a CDN, a web font or an
external script would not render. Checked: the navigation reaches every section, the search finds a
setting, the performance page's plots are drawn from the recorded bench output, and no page loaded a
resource from anywhere but the site. Screenshots go to screenshots/ (gitignored). Skipped, with the
reason, when chromium or MkDocs is absent.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.staticfiles import StaticFiles
from test_docs_browser import CDP, _chromium, _page_websocket, _screenshot

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300
# pytest-timeout: the first test builds the site (module fixture, mkdocs), some drive a browser.
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT + 120)
RENDER_TIMEOUT = 30.0
SECTIONS = {
    "Getting started",
    "Migrating from FastAPI",
    "Performance",
    "Deployment",
    "Security defaults",
    "The Rust core",
    "API reference",
}


@pytest.fixture(scope="module")
def site() -> Iterator[Path]:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    if not mkdocs.exists():
        pytest.skip("MkDocs is not installed (pip install --group docs; make test installs it)")
    with tempfile.TemporaryDirectory(prefix="ferroapi-site-") as directory:
        built = subprocess.run(
            [str(mkdocs), "build", "--strict", "--site-dir", directory],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        )
        assert built.returncode == 0, built.stderr[-4000:]
        yield Path(directory)


def test_no_page_refers_to_an_asset_elsewhere(site: Path) -> None:
    """Scripts, stylesheets, images and fonts all come from the site itself."""
    import re

    external = re.compile(
        r"""<(?:script|img|source)[^>]+src=["']https?:|<link[^>]+href=["']https?:[^"']+\.(?:css|js|woff2?)"""
    )
    offenders = {
        str(page.relative_to(site)): external.findall(page.read_text())
        for page in site.rglob("*.html")
        if external.search(page.read_text())
    }
    assert offenders == {}
    assert "fonts.googleapis" not in (site / "index.html").read_text()


def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """The port Chromium bound (port 0 asked), from `DevToolsActivePort` once it is fully written."""
    deadline = time.monotonic() + RENDER_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode}")
        lines = (
            (profile / "DevToolsActivePort").read_text().splitlines()
            if (profile / "DevToolsActivePort").exists()
            else []
        )
        if lines and lines[0].isdigit():
            return int(lines[0])
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


@pytest.fixture
def page() -> Iterator[CDP]:
    """A headless Chromium page that can reach nothing but 127.0.0.1."""
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    # Chromium's helper processes may still write to the profile as the browser exits.
    with tempfile.TemporaryDirectory(prefix="ferroapi-chromium-", ignore_cleanup_errors=True) as profile:
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
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,1400",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cdp = CDP(_page_websocket(_devtools_port(Path(profile), process)), timeout=30)
            try:
                yield cdp
            finally:
                cdp.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def base_url(site: Path, serve: Callable[..., str]) -> str:
    return serve(StaticFiles(directory=site, html=True))


def _wait_for(page: CDP, expression: str, done: Callable[[Any], bool]) -> Any:
    """Poll `expression` until `done(value)`; an evaluation that fails because a navigation replaced
    the page's JavaScript context under it is retried."""
    deadline = time.monotonic() + RENDER_TIMEOUT
    value: Any = None
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(expression)
        except RuntimeError as exc:  # "Execution context was destroyed" while navigating
            value = exc
        else:
            if done(value):
                return value
        time.sleep(0.1)
    raise AssertionError(f"the page did not render in {RENDER_TIMEOUT}s; last seen: {value!r}")


def _open(page: CDP, url: str, ready: str) -> Any:
    page.call("Page.navigate", url=url)
    return _wait_for(page, ready, bool)


def _only_local_resources(page: CDP, base_url: str) -> None:
    loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    assert loaded, "the page loaded no resources at all"
    assert [url for url in loaded if not url.startswith(base_url)] == []


NAV_TITLES = (
    "Array.from(document.querySelectorAll('.md-nav--primary .md-nav__link')).map(a => a.textContent.trim())"
)


def test_navigation_reaches_every_section(page: CDP, base_url: str) -> None:
    titles = _open(page, f"{base_url}/", NAV_TITLES)
    assert set(titles) >= SECTIONS, titles
    assert page.evaluate("document.querySelector('h1').firstChild.textContent") == "ferroapi"
    # Follow the navigation link as a reader would.
    page.evaluate(
        "Array.from(document.querySelectorAll('.md-nav--primary a.md-nav__link'))"
        ".find(a => a.textContent.trim() == 'Security defaults').click()"
    )
    heading = _wait_for(
        page,
        "location.pathname.endsWith('/security/') && document.querySelector('h1').firstChild.textContent",
        bool,
    )
    assert heading == "Security defaults"
    assert "max_body_size" in page.evaluate("document.querySelector('article').textContent")
    _only_local_resources(page, base_url)
    _screenshot(page, "docs-site-security.png")


SEARCH = """
(() => {
  const input = document.querySelector('input.md-search__input');
  input.focus();
  input.value = 'forwarded';
  input.dispatchEvent(new Event('input', {bubbles: true}));
  input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true, key: 'd'}));
  return true;
})()
"""
RESULTS = """
Array.from(document.querySelectorAll('.md-search-result__item a')).map(a => a.getAttribute('href'))
"""


def test_search_finds_a_setting(page: CDP, base_url: str) -> None:
    _open(page, f"{base_url}/", "document.querySelector('input.md-search__input') !== null")
    # The search index is loaded by a web worker from the site; typing before it is ready finds nothing.
    links = _wait_for(page, f"{SEARCH} && {RESULTS}", bool)
    assert any("deployment/" in link for link in links), links
    _screenshot(page, "docs-site-search.png")


PLOTS = """
Array.from(document.querySelectorAll('svg.bench-plot')).map(svg => ({
  group: svg.dataset.group,
  width: svg.getBoundingClientRect().width,
  bars: Array.from(svg.querySelectorAll('rect.bench-bar')).map(bar => bar.getBoundingClientRect().width),
}))
"""


def test_performance_page_plots_the_recorded_bench(page: CDP, base_url: str) -> None:
    plots = _open(page, f"{base_url}/performance/", PLOTS)
    groups = {plot["group"] for plot in plots}
    assert {
        "request-pipeline-in-process-asgi-per-request",
        "dependency-injection-in-process-asgi-per-request",
    } <= groups
    for plot in plots:
        assert plot["width"] > 300, plot
        assert plot["bars"] and all(width > 0 for width in plot["bars"]), plot
    # A table beside each plot, from the same recorded run.
    assert page.evaluate("document.querySelectorAll('article table').length") >= len(plots)
    _only_local_resources(page, base_url)
    _screenshot(page, "docs-site-performance.png")
