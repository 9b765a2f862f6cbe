"""An unhandled error inside an app mounted in another app: exactly one 500 reaches the client."""

from __future__ import annotations

from typing import Any

import pytest
from _dual import Framework
from starlette.testclient import TestClient


def outer_with_failing_inner(fw: Framework) -> Any:
    inner = fw.App()

    @inner.get("/boom")
    async def boom() -> None:
        raise RuntimeError("unhandled")

    outer = fw.App()
    outer.mount("/sub", inner)
    return outer


@pytest.mark.parametrize("path", ["/sub/boom"])
def test_one_500_for_an_error_in_a_mounted_app(fw: Framework, path: str) -> None:
    app = outer_with_failing_inner(fw)
    messages: list[str] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def record(message: Any) -> None:
            messages.append(message["type"])
            await send(message)

        await app(scope, receive, record)

    client = TestClient(recording, raise_server_exceptions=False)
    response = client.get(path)
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert messages == ["http.response.start", "http.response.body"]
