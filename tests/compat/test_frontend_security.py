"""`frontend()` under hostile paths: the frontend that serves a file is the one whose dependencies ran.

The requests are sent as raw ASGI scopes: an HTTP client would normalize `//`, `/./` and `/../` away
before they reach the app, a server does not (uvicorn hands `%2e%2e` and `%2f` over decoded). Where
FastAPI 0.165.0 answers safely the answers are compared with it; where it does not (it chooses the
frontend on the raw path and serves `/admin`'s files through `/` without `/admin`'s dependencies, and
answers other methods 405 or 404 by file existence before any dependency ran) ferroapi's answers are
asserted as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from _dual import Framework, load

SECRET = b"SECRET PDF"
PUBLIC = b"public index"
AUTH = (b"authorization", b"Bearer admin")


def _build(fw: Framework, dist: Path) -> Any:
    m = fw.mod

    def require_admin(authorization: str | None = m.Header(None)) -> None:
        if authorization != "Bearer admin":
            raise m.HTTPException(401, "admins only")

    admin = m.APIRouter(dependencies=[m.Depends(require_admin)])
    admin.frontend("/admin", directory=dist / "admin")
    app = fw.App()
    app.include_router(admin)
    app.frontend("/", directory=dist)
    return app


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "admin" / "docs").mkdir(parents=True)
    (root / "index.html").write_bytes(PUBLIC)
    (root / "app.js").write_bytes(b"public js")
    (root / "admin" / "secret.pdf").write_bytes(SECRET)
    (root / "admin" / "docs" / "index.html").write_bytes(b"admin docs")
    return root


class Answer:
    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    def __repr__(self) -> str:
        return f"Answer({self.status}, {self.body[:40]!r})"


def call(app: Any, method: str, raw_path: str, headers: list[tuple[bytes, bytes]] = ()) -> Answer:  # type: ignore[assignment]
    """One request as a server sends it: `path` percent-decoded, `raw_path` as received."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
    }
    answer = Answer()

    async def run() -> None:
        done = anyio.Event()
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = list(message.get("headers", []))
            else:
                answer.body += message.get("body", b"")
                if not message.get("more_body", False):
                    done.set()

        with anyio.fail_after(30):
            await app(scope, receive, send)

    anyio.run(run)
    return answer


# Ways to spell /admin/secret.pdf that a server hands to the app as they are.
ADMIN_SPELLINGS = [
    "/admin/secret.pdf",
    "//admin/secret.pdf",
    "///admin//secret.pdf",
    "/./admin/secret.pdf",
    "/admin/./secret.pdf",
    "/x/../admin/secret.pdf",
    "/x/y/../../admin/secret.pdf",
    "/admin/../admin/secret.pdf",
    "/%2e/admin/secret.pdf",
    "/%2E/admin/secret.pdf",
    "/x/%2e%2e/admin/secret.pdf",
    "/x/%2E%2e/admin/secret.pdf",
    "/x%2f..%2fadmin/secret.pdf",
    "/x%2F%2E%2E%2Fadmin%2Fsecret.pdf",
    "/.//admin/secret.pdf",
    "/admin/secret.pdf/",
    "/admin/docs/../secret.pdf",
]
# The same for the protected directory's index (a redirect to the slash, or the page).
ADMIN_DIRECTORY_SPELLINGS = ["/admin/docs/", "//admin/docs/", "/x/../admin/docs/", "/%2e/admin/docs/"]


@pytest.mark.parametrize("raw_path", ADMIN_SPELLINGS + ADMIN_DIRECTORY_SPELLINGS)
def test_every_spelling_of_a_protected_file_runs_its_dependencies(dist: Path, raw_path: str) -> None:
    app = _build(load("ferroapi"), dist)
    for method in ("GET", "HEAD"):
        refused = call(app, method, raw_path)
        assert refused.status == 401, (method, raw_path, refused)
        assert SECRET not in refused.body and b"admin docs" not in refused.body
    allowed = call(app, "GET", raw_path, [AUTH])
    expected = b"admin docs" if "docs" in raw_path and raw_path.endswith("/") else SECRET
    assert (allowed.status, allowed.body) == (200, expected), raw_path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("raw_path", ["/admin/secret.pdf", "/admin/missing.pdf", "//admin/secret.pdf"])
def test_other_methods_do_not_tell_strangers_which_protected_files_exist(
    dist: Path, method: str, raw_path: str
) -> None:
    app = _build(load("ferroapi"), dist)
    assert call(app, method, raw_path).status == 401
    # Past the dependencies, FastAPI's answer: 405 where a file would be served, else 404.
    exists = "secret" in raw_path
    assert call(app, method, raw_path, [AUTH]).status == (405 if exists else 404)


# Requests FastAPI answers safely: compared with it, and pinned.
SAFE = [
    ("GET", "/admin/secret.pdf", False, 401),
    ("GET", "/admin/secret.pdf", True, 200),
    ("GET", "/admin//secret.pdf", False, 401),
    ("GET", "/admin/./secret.pdf", False, 401),
    ("GET", "/admin/missing.pdf", False, 401),
    ("GET", "/admin/docs", True, 307),
    ("GET", "/index.html", False, 200),
    ("GET", "//app.js", False, 200),
    ("GET", "/x/../app.js", False, 200),
    ("GET", "/%2e/app.js", False, 200),
    ("GET", "/../admin/secret.pdf", False, 404),  # climbs above the root: no file
    ("GET", "/../admin/secret.pdf", True, 404),
    ("GET", "/x/../../app.js", False, 404),
    ("GET", "/admin/..%2f..%2fapp.js", True, 404),
    ("GET", "/admin/secret.pdf%00", True, 404),
    ("POST", "/app.js", False, 405),
    ("POST", "/missing.js", False, 404),
    ("POST", "/admin/secret.pdf", True, 405),
]


@pytest.mark.parametrize(("method", "raw_path", "authorized", "status"), SAFE)
def test_answers_fastapi_gives_safely_are_kept(
    fw: Framework, dist: Path, method: str, raw_path: str, authorized: bool, status: int
) -> None:
    headers = [AUTH] if authorized else []
    want = call(_build(load("fastapi"), dist), method, raw_path, headers)
    got = call(_build(fw, dist), method, raw_path, headers)
    assert (got.status, got.body) == (want.status, want.body)
    assert got.status == status


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_bytes(b"shell")
    (root / "404.html").write_bytes(b"not here")
    return root


CONDITIONS = [(b"if-none-match", b"*"), (b"if-modified-since", b"Fri, 01 Jan 2100 00:00:00 GMT")]


def _site_app(fw: Framework, site: Path) -> Any:
    app = fw.App()
    app.frontend("/", directory=site)
    return app


@pytest.mark.parametrize("condition", CONDITIONS)
def test_a_served_file_still_answers_304(fw: Framework, site: Path, condition: tuple[bytes, bytes]) -> None:
    assert call(_site_app(fw, site), "GET", "/index.html", [condition]).status == 304


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_fallback_404_page_is_never_a_304(site: Path, condition: tuple[bytes, bytes]) -> None:
    """Only a 200 may become a 304 (FastAPI 0.165.0 answers the 404 page's validators with one)."""
    app = _site_app(load("ferroapi"), site)
    for method in ("GET", "HEAD"):
        missing = call(app, method, "/missing", [condition])
        assert missing.status == 404
        assert missing.body == (b"not here" if method == "GET" else b"")


@pytest.mark.parametrize("shape", ["a/", "./", "a/../", "/"])
def test_a_deep_path_costs_bounded_file_system_work(
    dist: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    """40,000 segments: a 404 after a handful of file system calls, not one per segment."""
    app = _build(load("ferroapi"), dist)
    calls = 0
    real_lstat, real_stat = os.lstat, os.stat

    def lstat(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_lstat(*args, **kwargs)

    def stat(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_stat(*args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(os, "stat", stat)
    deep = shape * 40_000
    # Longer than any path the OS could open, or collapsing to /missing.js: a missing file either way.
    assert call(app, "GET", "/" + deep + "missing.js").status == 404
    # Under /admin the dependencies run first, then the same 404 (or the file, once collapsed).
    assert call(app, "GET", "/admin/" + deep + "secret.pdf").status == 401
    authorized = call(app, "GET", "/admin/" + deep + "secret.pdf", [AUTH])
    assert authorized.status == (404 if shape == "a/" else 200)
    assert calls < 300, calls
