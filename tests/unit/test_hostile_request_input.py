"""Request input chosen to hurt the server, through the public API (issue #12 security review).

- JSON bodies with fresh object keys must not leave anything behind: the decoder's key cache once
  interned keys, and CPython 3.12 makes interned strings immortal (memory grew with every body).
- A `{x:int}` path parameter longer than `sys.get_int_max_str_digits()` must not reach `int()`
  (ValueError, a 500): the route does not match, as if its regex had failed.
"""

from __future__ import annotations

import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest

from ferroapi import FerroAPI
from ferroapi.testclient import TestClient

# On CPython 3.12+ an immortal object's reference count reads as a constant near 2**32 (PEP 683).
IMMORTAL_REFCOUNT = 2**30


# ---- JSON keys ----------------------------------------------------------------------------------


def _keys_app(seen: list[dict[str, Any]]) -> FerroAPI:
    app = FerroAPI()

    # Decimal values: validated as FastAPI does, from the decoded JSON (the native decoder's
    # output reaches the endpoint), not in one pass from the bytes.
    @app.post("/totals")
    def totals(body: dict[str, Decimal]) -> int:
        seen.append(body)
        return len(body)

    return app


@pytest.mark.skipif(sys.version_info < (3, 12), reason="immortal objects exist from CPython 3.12 (PEP 683)")
def test_fresh_body_keys_are_not_made_immortal() -> None:
    seen: list[dict[str, Any]] = []
    client = TestClient(_keys_app(seen))
    tag = uuid.uuid4().hex
    for n in range(3):
        keys = [f"{tag[:8]}{n}x{i}" for i in range(300)] + [f"{tag}-{n}-{i}" for i in range(300)]
        response = client.post("/totals", json={k: i for i, k in enumerate(keys)})
        assert response.status_code == 200, response.text[:300]
        assert response.json() == len(keys)
    assert len(seen) == 3
    immortal = [k for body in seen for k in body if sys.getrefcount(k) >= IMMORTAL_REFCOUNT]
    assert immortal == [], f"{len(immortal)} body keys made immortal, e.g. {immortal[0]!r}"
