"""decode_json vs json.loads on typical request bodies (what Starlette's Request.json() calls)."""

from __future__ import annotations

import json
import math
from functools import partial
from typing import Any

from _bodies import megabyte_list, row
from _harness import compare, header
from ferroapi._ferroapi import decode_json


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _documents() -> list[tuple[str, bytes, int]]:
    small = json.dumps(row(42)).encode()
    big = megabyte_list()
    strings = json.dumps(
        {f"field{i}": 'Lorem ipsum dolor sit, caf\u00e9 \u20ac \\ " ' * (1 + i % 5) for i in range(2000)}
    ).encode()
    numbers = json.dumps(
        [[i, -i * 7919, i * 1.5e-3, 2**70 + i, -0.0, 1e300 / (i + 1)] for i in range(20_000)]
    ).encode()
    # Emoji as \uXXXX surrogate-pair escapes (what json.dumps writes by default), and lone surrogates
    # (escaped, as json.dumps writes them): alone, a few in short strings, long runs.
    pairs = json.dumps([f"{i} \U0001f600 ok \U0001f680" * (1 + i % 20) for i in range(1000)]).encode()
    lone = json.dumps(
        ["".join(chr(0xD800 + (i * 31 + j) % 0x800) for j in range(i % 60)) + f" {i}" for i in range(1000)]
        + [chr(0xDC00 + i % 0x400) for i in range(1000)]
    ).encode()
    return [
        (f"small object ({len(small)} B, 10 fields)", small, 20_000),
        (f"list of 10-field objects ({len(big) / 1e6:.1f} MB)", big, 5),
        (f"string-heavy object ({len(strings) / 1e3:.0f} kB)", strings, 50),
        (f"number-heavy list ({len(numbers) / 1e6:.1f} MB)", numbers, 5),
        (f"surrogate pairs, escaped ({len(pairs) / 1e3:.0f} kB)", pairs, 50),
        (f"lone surrogates, escaped ({len(lone) / 1e3:.0f} kB)", lone, 50),
    ]


def main() -> None:
    header("JSON body decoding: decode_json(bytes)", "json.loads(bytes)")
    for name, doc, number in _documents():
        same = _same(decode_json(doc), json.loads(doc))
        compare(name, partial(decode_json, doc), partial(json.loads, doc), number, same=same)


if __name__ == "__main__":
    main()
