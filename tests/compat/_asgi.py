"""Bare ASGI pieces for in-process stream tests that drive an app without a client."""

from __future__ import annotations

from typing import Any

import anyio


def scope(path: str) -> dict[str, Any]:
    """A minimal GET scope (ASGI spec 2.3, so the app listens for `http.disconnect` itself)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "server": ("test", 80),
    }


async def never_disconnects() -> dict[str, Any]:
    """A `receive` whose client stays connected for as long as the test runs."""
    await anyio.sleep_forever()
    raise AssertionError("unreachable")
