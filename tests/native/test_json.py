"""decode_json against the oracle, json.loads(bytes): same values, same errors, same positions.

Valid documents come from a recursive strategy over JSON *text* (so NaN/Infinity tokens, escapes,
lone surrogates, big ints, float spellings, whitespace and duplicate keys all appear); malformed ones
are mutations of valid ones. The `slow` variants run many more examples under `make fuzz`.
"""

from __future__ import annotations

import codecs
import gc
import json
import math
import os
import sys
import tracemalloc
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferroapi._ferroapi import DEFAULT_MAX_DEPTH, JSONDecodeError, JSONDepthError, decode_json

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_EXAMPLES = int(os.environ.get("FERRO_FUZZ_EXAMPLES", "20000"))
SLOW = settings(
    max_examples=SLOW_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- the oracle comparison ------------------------------------------------------------------------


def same_value(a: Any, b: Any) -> bool:
    """Deep equality that also requires equal types, NaN == NaN, the sign of 0.0 and key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_value(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(decode: Any, doc: bytes) -> tuple[Any, ...]:
    """What a decoder does with doc, as a comparable tuple (value wrapped, errors by their fields)."""
    try:
        return ("ok", decode(doc))
    except json.JSONDecodeError as e:
        return ("JSONDecodeError", e.msg, e.doc, e.pos, e.lineno, e.colno)
    except UnicodeDecodeError as e:
        return ("UnicodeDecodeError", e.encoding, e.start, e.end, e.reason)
    except ValueError as e:
        return ("ValueError", str(e))


def assert_like_json_loads(doc: bytes) -> None:
    expected = outcome(json.loads, doc)
    got = outcome(decode_json, doc)
    if expected[0] == "ok" and got[0] == "ok":
        assert same_value(expected[1], got[1]), (doc, expected[1], got[1])
    else:
        assert got == expected, doc


# ---- strategies over JSON text --------------------------------------------------------------------

WS = st.text(alphabet=" \t\n\r", max_size=2)
SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


@st.composite
def json_string(draw: st.DrawFn) -> str:
    chars = draw(
        st.lists(
            st.one_of(
                st.characters(codec="utf-8"),
                st.characters(max_codepoint=0x7F),
                st.characters(categories=["Cs"]),  # lone surrogates
                st.sampled_from(list(SHORT_ESCAPES)),
            ),
            max_size=12,
        )
    )
    out = []
    for ch in chars:
        how = draw(st.integers(0, 3))
        if ch in ('"', "\\") or ord(ch) < 0x20 or (0xD800 <= ord(ch) <= 0xDFFF and how == 0):
            how = max(how, 1)
        if how == 0:
            out.append(ch)  # raw (a raw surrogate is written with surrogatepass below)
        elif how == 1 and ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif ord(ch) > 0xFFFF:
            high, low = divmod(ord(ch) - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04X}")
        else:
            out.append(f"\\u{ord(ch):04x}" if how % 2 else f"\\u{ord(ch):04X}")
    return '"' + "".join(out) + '"'


NUMBER = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        ["0", "-0", "-0.0", "0.0", "1e400", "-1e400", "1e-400", "9223372036854775808", "-9223372036854775809"]
    ),
    st.from_regex(r"-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
SCALAR = st.one_of(
    st.sampled_from(["null", "true", "false", "NaN", "Infinity", "-Infinity"]),
    NUMBER,
    json_string(),
)
KEY = st.one_of(st.sampled_from(['"a"', '"b"', '"id"', '"\\u0061"']), json_string())


def containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def array(items: list[tuple[str, str, str]]) -> str:
        return "[" + ",".join(a + v + b for a, v, b in items) + "]"

    def obj(members: list[tuple[str, str, str, str, str]]) -> str:
        return "{" + ",".join(a + k + b + ":" + v + c for a, k, b, v, c in members) + "}"

    return st.one_of(
        st.lists(st.tuples(WS, children, WS), max_size=5).map(array),
        st.lists(st.tuples(WS, KEY, WS, children, WS), max_size=5).map(obj),
    )


VALUE = st.recursive(SCALAR, containers, max_leaves=25)
DOCUMENT = st.tuples(WS, VALUE, WS).map(lambda t: "".join(t).encode("utf-8", "surrogatepass"))

GARBAGE = [
    b'"',
    b"\\",
    b",",
    b":",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\x00",
    b"\x1f",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
]
GARBAGE += [b"u", b"\\u", b"\\ud800", b"e", b"-", b".", b"0", b"1", b"n", b"N", b" ", b"\n", b"\xef\xbb\xbf"]


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    doc = bytearray(draw(DOCUMENT))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(doc)))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            del doc[at:]
        elif kind == 1 and at < len(doc):
            doc[at] = draw(st.integers(0, 255))
        elif kind == 2 and at < len(doc):
            del doc[at]
        else:
            doc[at:at] = draw(st.sampled_from(GARBAGE))
    return bytes(doc)


# ---- property tests -------------------------------------------------------------------------------


@FAST
@given(DOCUMENT)
def test_valid_documents_decode_like_json_loads(doc: bytes) -> None:
    assert_like_json_loads(doc)


@FAST
@given(malformed())
def test_malformed_documents_fail_like_json_loads(doc: bytes) -> None:
    assert_like_json_loads(doc)


@pytest.mark.slow
# FERRO_FUZZ_EXAMPLES documents (20,000 by default, about 30 ms each on two shared cores).
@pytest.mark.timeout(60 + SLOW_EXAMPLES // 10)
@SLOW
@given(st.one_of(DOCUMENT, malformed()))
def test_fuzz_against_json_loads(doc: bytes) -> None:
    assert_like_json_loads(doc)


# ---- explicit cases -------------------------------------------------------------------------------

ERROR_CASES = [
    b"",
    b" ",
    b"[",
    b"[1,",
    b"[1,]",
    b"[1 , \n]",
    b"[[1,],2]",
    b'{"a":[1,]}',
    b'["\xc3\xa9",]',
    b'[{"a":1,]',
    b'{"a":]',
    b"[1 2]",
    b"{",
    b'{"a"',
    b'{"a":',
    b'{"a":1,',
    b'{"a":1,}',
    b'{"a" 1}',
    b'{"a":1 "b":2}',
    b"{1:2}",
    b'"abc',
    b'"ab\x01"',
    b'"a\\x"',
    b'"a\\',
    b'"\\u12"',
    b'"\\u0041',
    b'"\\uZZZZ"',
    b'"\\ud800\\u12"',
    b'"\\ud800\\udc0"',
    b'"\\ud800\\udc00',
    b"1.",
    b"01",
    b"-",
    b"-a",
    b"nul",
    b"nullx",
    b"NaNx",
    b"1e",
    b"1e+",
    b"1 2",
    b"[1]\n\n  x",
    b"[1]\x00",
    b'{"\xc3\xa9": [1, \n "\xe2\x82\xac" x]}',
]


@pytest.mark.parametrize("doc", ERROR_CASES)
def test_error_messages_and_positions(doc: bytes) -> None:
    assert_like_json_loads(doc)
    with pytest.raises(JSONDecodeError) as info:
        decode_json(doc)
    assert isinstance(info.value, json.JSONDecodeError)
    assert isinstance(info.value, ValueError)


VALID_CASES = [
    b'{"a": 1, "b": 2, "a": 3}',
    b"123456789012345678901234567890",
    b"-123456789012345678901",
    b"-0",
    b"-0.0",
    b"1e400",
    b"-1e400",
    b"1.5E-3",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b'"\\ud83d\\ude00"',
    b'"\\ud83d"',
    b'"\\udc00\\ud800"',
    b'"\\ud83d\xed\xb8\x80"',
    b'"\xed\xa0\x80"',
    b'"\\ud800\\u0041"',
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b" \t\n\r[ ] ",
    b'{"": {"": []}}',
    b'"\\/\\b\\f\\n\\r\\t"',
    b'"\x7f"',
    b"\xef\xbb\xbf[1]",
    b'[1.0, 2, "x", null, true, false, {}, []]',
]


@pytest.mark.parametrize("doc", VALID_CASES)
def test_valid_cases(doc: bytes) -> None:
    assert_like_json_loads(doc)


def test_duplicate_keys_keep_first_position_and_last_value() -> None:
    assert list(decode_json(b'{"a": 1, "b": 2, "a": 3}').items()) == [("a", 3), ("b", 2)]


def test_big_ints_are_exact_and_digit_limit_matches() -> None:
    digits = "9" * 4000
    assert decode_json(digits.encode()) == int(digits)
    assert_like_json_loads(b"1" * 5000)  # both: ValueError, int's max-str-digits limit


INVALID_UTF8 = [
    b'"\xc0\x80"',
    b'"\xe0\x80\x80"',
    b'"\xf0\x80\x80\x80"',  # overlong
    b'"\xe2\x82"',
    b'"\xf0\x9f\x98"',
    b'"\xe2\x82',  # truncated
    b"\xff",
    b'"\x80"',
    b'"\xf4\x90\x80\x80"',  # stray bytes, above U+10FFFF
    b'"\xed\xa0"',
    b'{"a": 1} \xed',  # a truncated surrogate; trailing garbage after a valid value
    b"\xef\xbb\xbf\xff[1]",  # invalid after a BOM
]


@pytest.mark.parametrize("doc", INVALID_UTF8)
def test_invalid_utf8_raises_unicode_decode_error(doc: bytes) -> None:
    assert_like_json_loads(doc)
    with pytest.raises(UnicodeDecodeError):
        decode_json(doc)


def test_encoded_surrogates_are_accepted_as_json_loads_does() -> None:
    # json.loads decodes bytes with "surrogatepass": UTF-8-encoded surrogate halves are lone surrogates.
    assert decode_json(b'"\xed\xa0\x80"') == "\ud800"
    assert decode_json(b'["\xed\xa0\xbd\xed\xb8\x80"]') == ["\ud83d\ude00"]  # two code points, not one


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("text", ['{"a": [1, "\u20ac", "\\ud800"]}', "[1, 2 x]", '{"a" 1}', '"\ud83d\ude00"'])
def test_utf16_and_utf32_are_decoded_like_json_loads(codec: str, text: str) -> None:
    assert_like_json_loads(text.encode(codec, "surrogatepass"))


def test_odd_utf16_is_a_unicode_decode_error() -> None:
    assert_like_json_loads(b"[\x001\x00]")  # utf-16-le detected, odd length


def test_utf8_bom_is_skipped_and_positions_count_after_it() -> None:
    # json.loads(bytes) decodes with utf-8-sig; only json.loads(str) rejects a BOM.
    assert decode_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert_like_json_loads(b"\xef\xbb\xbf[1 2]")


@pytest.mark.parametrize("opener,closer", [(b"[", b"]"), (b'{"k":', b"}")])
@pytest.mark.parametrize("max_depth", [0, 1, 2, 7, DEFAULT_MAX_DEPTH])
def test_max_depth_is_exact(opener: bytes, closer: bytes, max_depth: int) -> None:
    def nested(depth: int) -> bytes:
        return opener * depth + b"1" + closer * depth

    assert decode_json(nested(max_depth), max_depth=max_depth) == json.loads(nested(max_depth))
    with pytest.raises(JSONDepthError, match=f"max_depth={max_depth}") as info:
        decode_json(nested(max_depth + 1), max_depth=max_depth)
    assert isinstance(info.value, ValueError)
    assert not isinstance(info.value, json.JSONDecodeError)


def test_default_max_depth() -> None:
    assert DEFAULT_MAX_DEPTH == 512
    decode_json(b"[" * 512 + b"]" * 512)
    with pytest.raises(JSONDepthError, match=r"char 512\)"):
        decode_json(b"[" * 513 + b"]" * 513)


@pytest.mark.parametrize("doc", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 10_000_000])
def test_deep_nesting_fails_cleanly(doc: bytes) -> None:
    with pytest.raises(JSONDepthError):
        decode_json(doc)


def test_deep_nesting_within_a_raised_limit_does_not_overflow_the_stack() -> None:
    depth = 100_000
    value = decode_json(b"[" * depth + b"]" * depth, max_depth=depth)
    for _ in range(depth - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview])
def test_accepts_bytes_like(wrap: Any) -> None:
    assert decode_json(wrap(b'{"a": [1, 2.5, "x"]}')) == {"a": [1, 2.5, "x"]}


def test_rejects_str() -> None:
    with pytest.raises(TypeError):
        decode_json('{"a": 1}')  # type: ignore[arg-type]


def test_existing_except_clauses_keep_working() -> None:
    try:
        decode_json(b'{"a": }')
    except json.JSONDecodeError as e:
        assert (e.msg, e.pos, e.lineno, e.colno, e.doc) == ("Expecting value", 6, 1, 7, '{"a": }')
    else:  # pragma: no cover
        pytest.fail("no error")


def test_key_cache_does_not_mix_up_similar_keys() -> None:
    keys = [f"k{i}" for i in range(5000)] + ["x" * 17 + "a", "x" * 17 + "b", "a" * 40 + "b" + "a" * 8]
    doc = json.dumps([{k: i} for i, k in enumerate(keys)] * 2).encode()
    assert decode_json(doc) == json.loads(doc)


# ---- object keys: cached, never interned (issue #12) ----------------------------------------------

# On CPython 3.12+ an immortal object's reference count reads as a constant near 2**32 (PEP 683).
IMMORTAL_REFCOUNT = 2**30


def fresh_keys(count: int) -> list[str]:
    """Keys this process has never seen, of the lengths the key cache treats differently: up to 16
    bytes (the fingerprint is the key), 17-64 (compared), over 64 (not cached)."""
    tag = uuid.uuid4().hex
    keys = [f"{tag[:8]}{i}" for i in range(count)]
    keys += [f"{tag}-{i}" for i in range(count)]
    keys += [f"{tag * 2}-{i}" for i in range(count)]
    return keys


@pytest.mark.skipif(sys.version_info < (3, 12), reason="immortal objects exist from CPython 3.12 (PEP 683)")
def test_object_keys_are_not_made_immortal() -> None:
    keys = fresh_keys(200)
    doc = json.dumps({k: i for i, k in enumerate(keys)}).encode()
    escaped = json.dumps({k + "\u00e9": 1 for k in keys[:50]}, ensure_ascii=True).encode()
    for value in (decode_json(doc), decode_json(escaped)):
        immortal = [k for k in value if sys.getrefcount(k) >= IMMORTAL_REFCOUNT]
        assert immortal == [], f"{len(immortal)} of {len(value)} keys made immortal, e.g. {immortal[0]!r}"


@pytest.mark.skipif(not hasattr(sys, "_is_interned"), reason="sys._is_interned is new in CPython 3.13")
def test_object_keys_are_not_interned() -> None:
    keys = fresh_keys(200)
    value = decode_json(json.dumps({k: i for i, k in enumerate(keys)}).encode())
    assert [k for k in value if sys._is_interned(k)] == []  # type: ignore[attr-defined]


def test_fresh_keys_do_not_accumulate_memory() -> None:
    # 100,000 fresh keys in 20 bodies (~9 MB of str objects): what survives them is the key cache's
    # bounded content (2048 strings of at most 64 bytes), not the keys (interned on 3.12: immortal).
    docs = [json.dumps({k: 1 for k in fresh_keys(1700)}).encode() for _ in range(20)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for doc in docs:
            decode_json(doc)
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert retained < 1_000_000, f"{retained:,} bytes retained after 20 bodies of fresh keys"


def test_repeated_keys_share_one_cached_string() -> None:
    # What the cache is for: a key seen again is the same object, not a new str each time.
    key = f"cached-{uuid.uuid4().hex}"
    first, second = decode_json(json.dumps({key: 1}).encode()), decode_json(json.dumps({key: 2}).encode())
    assert next(iter(first)) is next(iter(second))


# ---- surrogate-heavy strings (issue #12) ---------------------------------------------------------

ALL_SURROGATES = "".join(chr(cp) for cp in range(0xD800, 0xE000))


def surrogate_heavy_values() -> list[Any]:
    """Strings of lone surrogates in every arrangement the builder treats differently: alone, with a
    few other pieces, long runs; next to ASCII, Latin-1, BMP, astral characters, backslashes and
    quotes; high surrogates never followed by a low one; pairs (emoji) as escapes."""
    lone_high = "".join(chr(0xD800 + i % 0x400) for i in range(3000))
    lone_low = "".join(chr(0xDC00 + i % 0x400) for i in range(3000))
    short = ["\ud800", "\udfff", "a\ud800", "\udc00b", "a\ud800b", "\udc00\ud800", "\ud800\ud800\ud800"]
    short += [
        "x\udfffy\ud800z",
        '\\\ud800"',
        "\u00e9\ud800\u20ac",
        "\U0001f600\udc00\U0010ffff",
        "\x00\ud800\x1f\x7f",
    ]
    return [
        "\U0001f600" * 2000,
        lone_high,
        lone_low,
        ALL_SURROGATES,
        ALL_SURROGATES[::-1],
        list(ALL_SURROGATES),
        short,
        "".join(short) * 50,
        ["ab\udc80c"] * 200,
        {s: i for i, s in enumerate(short)},
        {"k" + ALL_SURROGATES[i : i + 3]: ALL_SURROGATES[i::7] for i in range(0, 2048, 97)},
        'caf\u00e9 \\ " \n' * 20 + lone_low[:100] + "\u20ac" * 20,
    ]


def surrogate_heavy_documents() -> list[bytes]:
    docs = []
    for value in surrogate_heavy_values():
        docs.append(json.dumps(value).encode())  # surrogates as \uXXXX escapes
        # ... and as raw UTF-8-encoded halves, which json.loads(bytes) reads with "surrogatepass"
        docs.append(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    # A high surrogate escape followed by a low one that is raw, or by another escape: never paired.
    docs += [b'"\\ud83d\xed\xb8\x80" ', b'["\\ud83d\\u0041", "\\udbff\\udfff", "\\ud800\\ud800\\udc00"]']
    return docs


@pytest.mark.parametrize("doc", surrogate_heavy_documents())
def test_surrogate_heavy_strings_decode_like_json_loads(doc: bytes) -> None:
    assert_like_json_loads(doc)


def test_lone_surrogates_do_not_go_through_an_error_handler_each() -> None:
    # What made these strings 10-50 times slower than json.loads: built by a codec with
    # "surrogatepass", whose error handler runs (and builds an exception) once per lone surrogate.
    # Counted here by standing in for the handler; speed itself is in benches/bench_json.py.
    original = codecs.lookup_error("surrogatepass")
    calls = 0

    def counting(error: UnicodeError) -> tuple[str | bytes, int]:
        nonlocal calls
        calls += 1
        return original(error)

    docs = surrogate_heavy_documents()
    codecs.register_error("surrogatepass", counting)
    try:
        for doc in docs:
            decode_json(doc)
    finally:
        codecs.register_error("surrogatepass", original)
    assert calls == 0
