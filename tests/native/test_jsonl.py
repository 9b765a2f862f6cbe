"""JSON Lines joining (`ferroapi._ferroapi.join_json_lines`): each item followed by b"\\n"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferroapi._ferroapi import join_json_lines


def python_join(items: list[bytes]) -> bytes:
    """What FastAPI puts on the wire, item by item."""
    return b"".join(item + b"\n" for item in items)


@given(st.lists(st.binary(max_size=40), max_size=50))
def test_equals_item_by_item_join(items: list[bytes]) -> None:
    assert join_json_lines(items) == python_join(items)
    assert join_json_lines(tuple(items)) == python_join(items)


def test_empty_sequence_gives_empty_bytes() -> None:
    assert join_json_lines([]) == b""
    assert type(join_json_lines([])) is bytes


def test_serialized_json_items() -> None:
    assert join_json_lines([b'{"a":1}', b"[]", b'"x"']) == b'{"a":1}\n[]\n"x"\n'


@pytest.mark.parametrize("bad", ["text", bytearray(b"x"), memoryview(b"x"), 1, None])
def test_non_bytes_item_names_its_index(bad: object) -> None:
    with pytest.raises(TypeError, match=r"items\[1\] must be bytes"):
        join_json_lines([b"ok", bad])  # type: ignore[list-item]


def test_bare_bytes_is_refused() -> None:
    with pytest.raises(TypeError, match="not bytes"):
        join_json_lines(b"{}")  # type: ignore[arg-type]


def test_non_iterable_is_refused() -> None:
    with pytest.raises(TypeError):
        join_json_lines(1)  # type: ignore[arg-type]
