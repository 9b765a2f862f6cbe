"""Request bodies shared by the benches: the same 10-field row and the same 1 MB list everywhere."""

from __future__ import annotations

import json
from typing import Any


def row(i: int) -> dict[str, Any]:
    """One 10-field object, as a typical API payload carries."""
    return {
        "id": i,
        "name": f"user {i}",
        "email": f"user{i}@example.com",
        "active": i % 3 != 0,
        "score": i * 0.37,
        "age": 18 + i % 60,
        "city": ["Berlin", "Paris", "Lisbon", "Osaka"][i % 4],
        "tags": ["a", "b"] if i % 2 else [],
        "balance": i * 1337,
        "manager": None,
    }


def megabyte_list() -> bytes:
    """A JSON list of rows just over 1 MB."""
    rows: list[dict[str, Any]] = []
    size = 0
    while size < 1_000_000:
        rows.append(row(len(rows)))
        size += len(json.dumps(rows[-1])) + 2
    return json.dumps(rows).encode()
