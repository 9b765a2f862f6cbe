"""The files of a frontend build: what `frontend()` serves for a path, and its fallback files.

GET/HEAD of an existing file (or a directory's `index.html`) serves it; a missing file answers
`404.html` (status 404) for any request, or `index.html` (status 200) for a navigation request (one
whose `Accept` explicitly admits HTML). Other methods answer 405 where a file exists, else 404.
Symlinks never lead outside the directory; every lookup runs in the thread pool.

Stricter than FastAPI 0.165: only a 200 may become a 304 (its `404.html` answered `If-None-Match: *`
with a 304), and a path longer than `MAX_PATH_LENGTH` is a 404 without touching the file system (what
FastAPI answers once the OS refuses the name, after resolving it a segment at a time: quadratic work
for a path of many segments).
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Iterator
from typing import Literal

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ferroapi._routing.scope import fastapi_scope

__all__ = [
    "MAX_PATH_LENGTH",
    "PATH_KEY",
    "Fallback",
    "FrontendStaticFiles",
    "is_navigation_request",
    "resolve_check_dir",
]

Fallback = Literal["auto", "index.html", "404.html"] | None
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Key of FastAPI's private scope dict: the file's path under the frontend's prefix.
PATH_KEY = "frontend_path"
# Linux's PATH_MAX: no longer file name can be opened (the directory's own path only adds to it).
MAX_PATH_LENGTH = 4096


def _absolute(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def _missing_directory(directory: str | os.PathLike[str]) -> str:
    return (
        f"Frontend directory '{directory}' does not exist. Resolved absolute path: '{_absolute(directory)}'"
    )


def resolve_check_dir(directory: str | os.PathLike[str], check_dir: bool | Literal["auto"]) -> bool:
    """`"auto"`: check, except under `fastapi dev` (FASTAPI_ENV=development), where a missing directory
    only warns. Call it directly from the public method: the warning points at the caller's caller."""
    if check_dir != "auto":
        return check_dir
    if os.environ.get("FASTAPI_ENV") != "development":
        return True
    if not os.path.isdir(directory):
        warnings.warn(_missing_directory(directory), stacklevel=3)
    return False


def _accepted_types(accept: str) -> Iterator[tuple[str, float]]:
    """(media type, q) per entry of an Accept header; an unparsable q counts as 1."""
    for entry in accept.split(","):
        media_type, *params = (part.strip() for part in entry.split(";"))
        media_type = media_type.lower()
        if media_type.count("/") != 1:
            media_type = "text/plain"  # what a malformed type reads as (email.message's default)
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value, quality)
        yield media_type, quality


def _quality(value: str, default: float) -> float:
    try:
        return float(value.strip().strip('"'))
    except ValueError:
        return default


def is_navigation_request(scope: Scope) -> bool:
    """A browser navigation: the Accept header names HTML (not through a wildcard) with q > 0."""
    accept = Headers(scope=scope).get("accept", "")
    return any(media in _HTML_TYPES and q != 0 for media, q in _accepted_types(accept))


class FrontendStaticFiles(StaticFiles):
    """StaticFiles for one frontend build: no symlinks out, directory indexes, the fallback files."""

    def __init__(self, *, directory: str | os.PathLike[str], fallback: Fallback, check_dir: bool) -> None:
        self.fallback = fallback
        if check_dir and not os.path.isdir(directory):
            raise RuntimeError(_missing_directory(directory))
        super().__init__(directory=directory, html=True, check_dir=check_dir, follow_symlink=False)
        if check_dir and fallback in ("index.html", "404.html"):
            _, found = self.lookup_path(fallback)
            if found is None or not stat.S_ISREG(found.st_mode):
                raise RuntimeError(self._missing_fallback(fallback))

    def _missing_fallback(self, fallback: str) -> str:
        assert self.directory is not None
        return (
            f"Frontend fallback file '{fallback}' does not exist in directory '{self.directory}'. "
            f"Resolved absolute directory: '{_absolute(self.directory)}'"
        )

    def get_path(self, scope: Scope) -> str:
        path: str = fastapi_scope(scope).get(PATH_KEY, "")
        if len(path) > MAX_PATH_LENGTH:
            return path  # `_lookup` refuses it: no need to split and join it first
        return os.path.normpath(os.path.join(*path.split("/")))

    async def get_response_for_scope(self, scope: Scope) -> Response:
        if not self.config_checked:
            await self.check_config()
            self.config_checked = True
        return await self.get_response(self.get_path(scope), scope)

    async def get_response(self, path: str, scope: Scope) -> Response:
        resource = await self._resource(path)
        if scope["method"] not in ("GET", "HEAD"):
            # 405 only where a file would have been served; a fallback-only path is simply not there.
            raise HTTPException(status_code=404 if resource is None else 405)
        if resource is not None:
            full_path, stat_result, directory_index = resource
            if directory_index and not scope["path"].endswith("/"):
                url = URL(scope=scope)
                return RedirectResponse(url=url.replace(path=url.path + "/"))
            return self.file_response(full_path, stat_result, scope)
        fallback = self.fallback
        if fallback == "404.html" or (fallback == "auto" and await self._is_file("404.html")):
            return await self._fallback_response("404.html", scope, status_code=404)
        wants_index = fallback == "index.html" or (fallback == "auto" and await self._is_file("index.html"))
        if wants_index and is_navigation_request(scope):
            return await self._fallback_response("index.html", scope, status_code=200)
        raise HTTPException(status_code=404)

    async def _lookup(self, path: str) -> tuple[str, os.stat_result | None]:
        if len(path) > MAX_PATH_LENGTH:
            raise HTTPException(status_code=404)  # as ENAMETOOLONG below, without resolving it first
        try:
            return await run_in_threadpool(self.lookup_path, path)
        except PermissionError:
            raise HTTPException(status_code=401) from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise HTTPException(status_code=404) from None
            raise
        except ValueError:
            raise HTTPException(status_code=404) from None

    async def _resource(self, path: str) -> tuple[str, os.stat_result, bool] | None:
        """(file, its stat, whether it is a directory's index.html), or None when nothing is served."""
        full_path, found = await self._lookup(path)
        if found is None:
            return None
        if stat.S_ISREG(found.st_mode):
            return full_path, found, False
        if stat.S_ISDIR(found.st_mode):
            full_path, found = await self._lookup(os.path.join(path, "index.html"))
            if found is not None and stat.S_ISREG(found.st_mode):
                return full_path, found, True
        return None

    async def _is_file(self, name: str) -> bool:
        _, found = await run_in_threadpool(self.lookup_path, name)
        return found is not None and stat.S_ISREG(found.st_mode)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if status_code != 200:
            # A `404.html` fallback stays a 404: conditional headers may only turn a 200 into a 304.
            return FileResponse(full_path, status_code=status_code, stat_result=stat_result)
        return super().file_response(full_path, stat_result, scope, status_code)

    async def _fallback_response(self, name: str, scope: Scope, *, status_code: int) -> Response:
        full_path, found = await run_in_threadpool(self.lookup_path, name)
        if found is None or not stat.S_ISREG(found.st_mode):
            raise RuntimeError(self._missing_fallback(name))
        return self.file_response(full_path, found, scope, status_code=status_code)
