"""JSON Lines: ferroapi's native join vs the Python join of what FastAPI streams item by item."""

from __future__ import annotations

import json

from _harness import compare, header
from ferroapi._ferroapi import join_json_lines

ITEMS = [json.dumps({"id": i, "ok": True}).encode() for i in range(1_000)]


def python_join(items: list[bytes]) -> bytes:
    return b"".join([item + b"\n" for item in items])


def main() -> None:
    header("JSON Lines join", 'b"".join(item + b"\\n" for item in items)')
    compare(
        "1,000 small items",
        lambda: join_json_lines(ITEMS),
        lambda: python_join(ITEMS),
        2_000,
        same=join_json_lines(ITEMS) == python_join(ITEMS),
    )


if __name__ == "__main__":
    main()
