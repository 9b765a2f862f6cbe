"""SSE framing (`ferroapi._ferroapi.format_sse_event` and friends) against FastAPI's formatter.

Every valid event must frame to the same bytes as `fastapi.sse.format_sse_event`; every value that
FastAPI's `ServerSentEvent` model rejects (it would inject fields or events) must raise ValueError
here too, because the native formatter is used without the model in front of it.
"""

from __future__ import annotations

import pytest
from fastapi import sse as fastapi_sse
from hypothesis import example, given
from hypothesis import strategies as st

from ferroapi._ferroapi import (
    KEEPALIVE_COMMENT,
    format_sse_data_batch,
    format_sse_event,
)

U64_MAX = 2**64 - 1
TERMINATORS = ("\r", "\n", "\r\n")

# Arbitrary unicode, heavy on the bytes that matter: line terminators, NUL and field-like text.
texts = st.lists(
    st.one_of(
        st.sampled_from([*TERMINATORS, "\x00", "data: x", "\u2028", "\x85"]),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)
single_line = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
ids = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)
retries = st.one_of(st.integers(min_value=0, max_value=U64_MAX), st.sampled_from([0, 1, U64_MAX]))


@given(
    data_str=st.none() | texts,
    event=st.none() | single_line,
    id=st.none() | ids,
    retry=st.none() | retries,
    comment=st.none() | texts,
)
@example(data_str=None, event=None, id=None, retry=None, comment=None)
@example(data_str="", event="", id="", retry=0, comment="")
@example(data_str="a\r\r\nb\n", event=None, id=None, retry=None, comment="\r\n\n\r")
def test_valid_events_match_fastapi(
    data_str: str | None, event: str | None, id: str | None, retry: int | None, comment: str | None
) -> None:
    kwargs = {"data_str": data_str, "event": event, "id": id, "retry": retry, "comment": comment}
    assert format_sse_event(**kwargs) == fastapi_sse.format_sse_event(**kwargs)  # type: ignore[arg-type]


def test_full_event_wire_format() -> None:
    frame = format_sse_event(data_str="a\nb", event="update", id="7", retry=3000, comment="hi")
    assert frame == b": hi\nevent: update\ndata: a\ndata: b\nid: 7\nretry: 3000\n\n"


@st.composite
def with_terminator(draw: st.DrawFn) -> str:
    """A single-line value with one CR, LF or CRLF spliced in somewhere."""
    value = draw(single_line)
    at = draw(st.integers(min_value=0, max_value=len(value)))
    return value[:at] + draw(st.sampled_from(TERMINATORS)) + value[at:]


@given(event=with_terminator(), data_str=st.none() | texts)
def test_line_break_in_event_is_rejected(event: str, data_str: str | None) -> None:
    with pytest.raises(ValueError, match="'event' must be a single line"):
        format_sse_event(event=event, data_str=data_str)
    with pytest.raises(ValueError):
        fastapi_sse.ServerSentEvent(event=event)


@given(id=with_terminator())
def test_line_break_in_id_is_rejected(id: str) -> None:
    with pytest.raises(ValueError, match="'id' must"):
        format_sse_event(id=id, data_str="x")
    with pytest.raises(ValueError):
        fastapi_sse.ServerSentEvent(id=id)


@given(prefix=ids, suffix=ids)
def test_nul_in_id_is_rejected(prefix: str, suffix: str) -> None:
    id = f"{prefix}\x00{suffix}"
    with pytest.raises(ValueError, match="'id' must not contain null characters"):
        format_sse_event(id=id)
    with pytest.raises(ValueError):
        fastapi_sse.ServerSentEvent(id=id)


@given(retry=st.integers(max_value=-1))
def test_negative_retry_is_rejected(retry: int) -> None:
    with pytest.raises(ValueError, match="'retry' must be a non-negative integer"):
        format_sse_event(retry=retry)
    with pytest.raises(ValueError):
        fastapi_sse.ServerSentEvent(retry=retry)


@given(retry=st.integers(min_value=U64_MAX + 1))
def test_retry_beyond_u64_is_rejected(retry: int) -> None:
    with pytest.raises((ValueError, OverflowError), match="'retry' must be at most"):
        format_sse_event(retry=retry)


@given(
    event=st.none() | texts,
    id=st.none() | texts,
    retry=st.none() | st.integers(min_value=-(2**70), max_value=U64_MAX),
)
def test_rejects_exactly_what_server_sent_event_rejects(
    event: str | None, id: str | None, retry: int | None
) -> None:
    try:
        fastapi_sse.ServerSentEvent(event=event, id=id, retry=retry)
    except ValueError:
        with pytest.raises(ValueError):
            format_sse_event(event=event, id=id, retry=retry)
    else:
        assert format_sse_event(event=event, id=id, retry=retry) == fastapi_sse.format_sse_event(
            event=event, id=id, retry=retry
        )


def test_nul_is_allowed_in_data_comment_and_event() -> None:
    ours = format_sse_event(data_str="a\x00b", comment="\x00", event="e\x00")
    assert ours == fastapi_sse.format_sse_event(data_str="a\x00b", comment="\x00", event="e\x00")


def test_bool_retry_is_framed_as_the_model_coerces_it() -> None:
    # FastAPI's raw formatter would write "retry: True"; its ServerSentEvent model (what apps
    # yield) coerces True to 1 first, which is what goes on FastAPI's wire and on ours.
    assert fastapi_sse.ServerSentEvent(retry=True).retry == 1
    assert format_sse_event(retry=True) == b"retry: 1\n\n"


class Index:
    """An integer-like object (numpy scalars behave so): usable wherever an int index is."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


def test_index_objects_are_integers() -> None:
    assert format_sse_event(retry=Index(5)) == b"retry: 5\n\n"  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative"):
        format_sse_event(retry=Index(-5))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most"):
        format_sse_event(retry=Index(2**65))  # type: ignore[arg-type]


@pytest.mark.parametrize("retry", [1.5, "10", b"1"])
def test_non_int_retry_is_a_type_error(retry: object) -> None:
    with pytest.raises(TypeError, match="'retry' must be an int"):
        format_sse_event(retry=retry)  # type: ignore[arg-type]


def test_lone_surrogate_fails_like_fastapi() -> None:
    with pytest.raises(UnicodeEncodeError):
        fastapi_sse.format_sse_event(data_str="\ud800")
    with pytest.raises(UnicodeEncodeError):
        format_sse_event(data_str="\ud800")


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        format_sse_event("data")  # type: ignore[call-arg]


def test_keepalive_is_fastapis() -> None:
    assert KEEPALIVE_COMMENT == fastapi_sse.KEEPALIVE_COMMENT
    assert isinstance(KEEPALIVE_COMMENT, bytes)


@given(st.lists(texts, max_size=12))
def test_batch_is_the_concatenation(data_strs: list[str]) -> None:
    expected = b"".join(fastapi_sse.format_sse_event(data_str=s) for s in data_strs)
    assert format_sse_data_batch(data_strs) == expected
    assert format_sse_data_batch(tuple(data_strs)) == expected


def test_batch_reports_the_bad_item() -> None:
    with pytest.raises(TypeError, match=r"data_strs\[2\] must be str, not bytes"):
        format_sse_data_batch(["a", "b", b"c"])  # type: ignore[list-item]


def test_batch_refuses_a_bare_str() -> None:
    with pytest.raises(TypeError, match="not a str"):
        format_sse_data_batch("abc")
