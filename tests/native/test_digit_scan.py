"""has_digit_run (the skip-ahead scan for integer literals too long for a float) against a regex."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ferroapi._ferroapi import has_digit_run

DIGIT_HEAVY = st.lists(st.one_of(st.sampled_from(b"0123456789"), st.integers(0, 255)), max_size=400).map(
    bytes
)


@settings(max_examples=500, deadline=None)
@given(DIGIT_HEAVY, st.integers(1, 50))
def test_agrees_with_a_regex(data: bytes, length: int) -> None:
    assert has_digit_run(data, length) == (re.search(rb"[0-9]{%d}" % length, data) is not None)


def test_a_309_digit_literal_in_a_large_body() -> None:
    body = b"[" + b'{"n": 12345, "s": "x"},' * 50_000
    assert not has_digit_run(body + b"1]", 309)
    assert has_digit_run(body + b"9" * 309 + b"]", 309)
    assert not has_digit_run(body + b"9" * 308 + b"]", 309)
