//! Server-Sent Events framing, byte-identical to FastAPI's `fastapi.sse.format_sse_event`.
//!
//! A frame is, in this order: one `: ` line per comment line, `event: `, one `data: ` line per data
//! line, `id: `, `retry: `, then the blank line that dispatches the event. Every line ends in `\n`.
//! Comment and data values are split on the SSE line terminators (`\r\n`, `\r`, `\n`), keeping
//! trailing empty pieces, so a value can never end a field early. `event` and `id` are single-line
//! fields: a terminator in them (or NUL in `id`) is an error, never emitted, because it would let a
//! value inject fields or whole events into the stream.
//!
//! The output is built in one `Vec<u8>` sized exactly up front ([`Event::encoded_len`]), splitting
//! with a byte scan; CR and LF are ASCII, so they never occur inside a multi-byte UTF-8 sequence.

use std::fmt;

/// The keepalive frame FastAPI sends on an idle stream: one comment, then the blank line.
pub const KEEPALIVE_COMMENT: &[u8] = b": ping\n\n";

const COMMENT: &[u8] = b": ";
const EVENT: &[u8] = b"event: ";
const DATA: &[u8] = b"data: ";
const ID: &[u8] = b"id: ";
const RETRY: &[u8] = b"retry: ";

/// One event to frame; `None` fields are left out of the frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Event<'a> {
    /// Pre-serialized payload; one `data: ` line per line of it.
    pub data: Option<&'a str>,
    /// Event type name; must be a single line.
    pub event: Option<&'a str>,
    /// Event id; must be a single line without NUL.
    pub id: Option<&'a str>,
    /// Reconnection time in milliseconds.
    pub retry: Option<u64>,
    /// Comment; one `: ` line per line of it.
    pub comment: Option<&'a str>,
}

/// Why an event cannot be framed. The messages are FastAPI's `ServerSentEvent` validation messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SseError {
    /// `event` contains CR or LF: the rest of the value would be parsed as new fields.
    EventNotSingleLine,
    /// `id` contains CR or LF: the rest of the value would be parsed as new fields.
    IdNotSingleLine,
    /// `id` contains NUL: browsers ignore such an id, so `Last-Event-ID` would silently not update.
    IdContainsNul,
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EventNotSingleLine => "SSE 'event' must be a single line",
            Self::IdNotSingleLine => "SSE 'id' must be a single line",
            Self::IdContainsNul => "SSE 'id' must not contain null characters",
        })
    }
}

impl std::error::Error for SseError {}

impl<'a> Event<'a> {
    /// A data-only event.
    pub fn data(data: &'a str) -> Self {
        Self {
            data: Some(data),
            ..Self::default()
        }
    }

    /// Checks the single-line fields; the checks run in FastAPI's order (NUL in `id` first).
    pub fn validate(&self) -> Result<(), SseError> {
        if self.event.is_some_and(|e| has_terminator(e.as_bytes())) {
            return Err(SseError::EventNotSingleLine);
        }
        if let Some(id) = self.id {
            if id.as_bytes().contains(&0) {
                return Err(SseError::IdContainsNul);
            }
            if has_terminator(id.as_bytes()) {
                return Err(SseError::IdNotSingleLine);
            }
        }
        Ok(())
    }

    /// The exact length of the frame in bytes.
    pub fn encoded_len(&self) -> usize {
        let multi = |prefix: &[u8], value: Option<&str>| {
            value.map_or(0, |v| {
                let shape = LineShape::of(v.as_bytes());
                shape.lines * (prefix.len() + 1) + v.len() - shape.terminator_bytes
            })
        };
        let single =
            |prefix: &[u8], value: Option<&str>| value.map_or(0, |v| prefix.len() + v.len() + 1);
        multi(COMMENT, self.comment)
            + single(EVENT, self.event)
            + multi(DATA, self.data)
            + single(ID, self.id)
            + self.retry.map_or(0, |r| RETRY.len() + decimal_len(r) + 1)
            + 1
    }

    /// Appends the frame to `out` after validating it; on error `out` is left untouched.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), SseError> {
        self.validate()?;
        self.write_unchecked(out);
        Ok(())
    }

    /// Appends the frame without validating; callers guarantee `validate()` passed (or there is
    /// nothing to validate, as for data-only events).
    fn write_unchecked(&self, out: &mut Vec<u8>) {
        if let Some(comment) = self.comment {
            write_lines(out, COMMENT, comment.as_bytes());
        }
        if let Some(event) = self.event {
            write_line(out, EVENT, event.as_bytes());
        }
        if let Some(data) = self.data {
            write_lines(out, DATA, data.as_bytes());
        }
        if let Some(id) = self.id {
            write_line(out, ID, id.as_bytes());
        }
        if let Some(retry) = self.retry {
            let mut digits = [0u8; 20];
            write_line(out, RETRY, format_decimal(retry, &mut digits));
        }
        out.push(b'\n');
    }
}

/// Frames one event into a new, exactly sized buffer.
pub fn format_event(event: &Event<'_>) -> Result<Vec<u8>, SseError> {
    event.validate()?;
    let mut out = Vec::with_capacity(event.encoded_len());
    event.write_unchecked(&mut out);
    Ok(out)
}

/// Frames several data-only events into one buffer: the concatenation of
/// `format_event(&Event::data(s))` for each `s`. Data-only events are always valid.
pub fn format_data_batch(data: &[&str]) -> Vec<u8> {
    let len = data.iter().map(|d| Event::data(d).encoded_len()).sum();
    let mut out = Vec::with_capacity(len);
    for d in data {
        Event::data(d).write_unchecked(&mut out);
    }
    out
}

/// The pieces of `value` between SSE line terminators (`\r\n`, `\r`, `\n`), trailing empty pieces
/// kept: `"a\n"` gives `["a", ""]` and `""` gives `[""]`, like Python's `str.split`.
pub fn split_lines(value: &[u8]) -> SplitLines<'_> {
    SplitLines { rest: Some(value) }
}

/// Iterator returned by [`split_lines`].
#[derive(Debug, Clone)]
pub struct SplitLines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for SplitLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
            None => {
                self.rest = None;
                Some(rest)
            }
            Some(i) => {
                let crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                self.rest = Some(&rest[i + if crlf { 2 } else { 1 }..]);
                Some(&rest[..i])
            }
        }
    }
}

/// How a multi-line value splits: the number of lines and the bytes its terminators take.
struct LineShape {
    lines: usize,
    terminator_bytes: usize,
}

impl LineShape {
    fn of(value: &[u8]) -> Self {
        let mut shape = Self {
            lines: 1,
            terminator_bytes: 0,
        };
        let mut after_cr = false;
        for &b in value {
            match b {
                b'\r' => {
                    shape.lines += 1;
                    shape.terminator_bytes += 1;
                    after_cr = true;
                }
                b'\n' => {
                    // The LF of a CRLF belongs to the line break the CR already counted.
                    shape.lines += usize::from(!after_cr);
                    shape.terminator_bytes += 1;
                    after_cr = false;
                }
                _ => after_cr = false,
            }
        }
        shape
    }
}

fn has_terminator(value: &[u8]) -> bool {
    value.iter().any(|&b| b == b'\r' || b == b'\n')
}

fn write_line(out: &mut Vec<u8>, prefix: &[u8], line: &[u8]) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(line);
    out.push(b'\n');
}

fn write_lines(out: &mut Vec<u8>, prefix: &[u8], value: &[u8]) {
    for line in split_lines(value) {
        write_line(out, prefix, line);
    }
}

fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Writes `n` in decimal at the end of `buf` and returns the digits (u64::MAX has 20).
fn format_decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        // n % 10 < 10, so the cast cannot truncate.
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(event: Event<'_>) -> String {
        match format_event(&event) {
            Ok(bytes) => String::from_utf8(bytes).unwrap_or_else(|e| panic!("not UTF-8: {e}")),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    /// The reference splitter: FastAPI's replace-then-split, on `String`s.
    fn reference_split(value: &str) -> Vec<String> {
        value
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .split('\n')
            .map(str::to_owned)
            .collect()
    }

    fn split(value: &str) -> Vec<String> {
        split_lines(value.as_bytes())
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn empty_event_is_the_blank_line() {
        assert_eq!(frame(Event::default()), "\n");
    }

    #[test]
    fn single_data_line() {
        assert_eq!(frame(Event::data("hello")), "data: hello\n\n");
        assert_eq!(frame(Event::data("")), "data: \n\n");
    }

    #[test]
    fn every_field_in_fastapi_order() {
        let event = Event {
            data: Some("line1\nline2"),
            event: Some("update"),
            id: Some("42"),
            retry: Some(3000),
            comment: Some("note"),
        };
        assert_eq!(
            frame(event),
            ": note\nevent: update\ndata: line1\ndata: line2\nid: 42\nretry: 3000\n\n"
        );
    }

    #[test]
    fn data_and_comment_split_on_every_terminator() {
        assert_eq!(
            frame(Event::data("a\r\nb\rc\nd")),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(
            frame(Event::data("\r\r\n\n")),
            "data: \ndata: \ndata: \ndata: \n\n"
        );
        let event = Event {
            comment: Some("x\n"),
            ..Event::default()
        };
        assert_eq!(frame(event), ": x\n: \n\n");
    }

    #[test]
    fn nul_passes_through_data_and_comment() {
        assert_eq!(frame(Event::data("a\0b")), "data: a\0b\n\n");
    }

    #[test]
    fn retry_extremes() {
        let retry = |r| Event {
            retry: Some(r),
            ..Event::default()
        };
        assert_eq!(frame(retry(0)), "retry: 0\n\n");
        assert_eq!(frame(retry(u64::MAX)), "retry: 18446744073709551615\n\n");
    }

    #[test]
    fn injection_is_rejected() {
        let with_event = |e| Event {
            event: Some(e),
            ..Event::default()
        };
        let with_id = |i| Event {
            id: Some(i),
            ..Event::default()
        };
        for bad in ["a\nb", "a\rb", "a\r\nb", "\n", "x\r"] {
            assert_eq!(
                format_event(&with_event(bad)),
                Err(SseError::EventNotSingleLine)
            );
            assert_eq!(format_event(&with_id(bad)), Err(SseError::IdNotSingleLine));
        }
        assert_eq!(format_event(&with_id("a\0b")), Err(SseError::IdContainsNul));
        // NUL is reported first, as FastAPI's validator does.
        assert_eq!(format_event(&with_id("\0\n")), Err(SseError::IdContainsNul));
        // NUL is fine in `event` (FastAPI only forbids it in `id`).
        assert_eq!(frame(with_event("a\0b")), "event: a\0b\n\n");
    }

    #[test]
    fn encode_into_leaves_buffer_untouched_on_error() {
        let mut out = b"prefix".to_vec();
        let bad = Event {
            data: Some("d"),
            id: Some("x\ny"),
            ..Event::default()
        };
        assert_eq!(bad.encode_into(&mut out), Err(SseError::IdNotSingleLine));
        assert_eq!(out, b"prefix");
        assert_eq!(Event::data("d").encode_into(&mut out), Ok(()));
        assert_eq!(out, b"prefixdata: d\n\n");
    }

    #[test]
    fn batch_is_the_concatenation() {
        assert_eq!(format_data_batch(&[]), b"");
        assert_eq!(
            format_data_batch(&["a", "b\nc"]),
            b"data: a\n\ndata: b\ndata: c\n\n"
        );
    }

    #[test]
    fn split_keeps_trailing_empty_pieces() {
        assert_eq!(split(""), [""]);
        assert_eq!(split("a\n"), ["a", ""]);
        assert_eq!(split("\r\n"), ["", ""]);
        assert_eq!(split("a\r\r\nb"), ["a", "", "b"]);
    }

    #[test]
    fn keepalive_is_a_comment_frame() {
        let ping = Event {
            comment: Some("ping"),
            ..Event::default()
        };
        assert_eq!(frame(ping).as_bytes(), KEEPALIVE_COMMENT);
    }

    fn cases() -> u32 {
        std::env::var("FERRO_PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    /// Text rich in line terminators and NUL, so the interesting bytes are hit often.
    fn text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\r".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\0".to_owned()),
            Just("data: x".to_owned()),
            "\\PC{0,4}",
        ];
        prop::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    /// `(data, event, id, retry, comment)`, owned, for building an [`Event`].
    type Parts = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<u64>,
        Option<String>,
    );

    fn event_parts() -> impl Strategy<Value = Parts> {
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(any::<u64>()),
            prop::option::of(text()),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn split_matches_reference(value in text()) {
            prop_assert_eq!(split(&value), reference_split(&value));
        }

        #[test]
        fn frames_cannot_be_escaped((data, event, id, retry, comment) in event_parts()) {
            let ev = Event {
                data: data.as_deref(),
                event: event.as_deref(),
                id: id.as_deref(),
                retry,
                comment: comment.as_deref(),
            };
            let single_line =
                |v: &Option<String>| v.as_deref().is_none_or(|s| !s.contains(['\r', '\n']));
            let valid = single_line(&event)
                && single_line(&id)
                && id.as_deref().is_none_or(|s| !s.contains('\0'));
            let out = match format_event(&ev) {
                Ok(out) => out,
                Err(_) => {
                    prop_assert!(!valid);
                    return Ok(());
                }
            };
            prop_assert!(valid);
            // Sized exactly (`Vec::with_capacity` guarantees the requested capacity): no regrowth.
            prop_assert_eq!(out.len(), ev.encoded_len());
            prop_assert_eq!(out.len(), out.capacity());
            // No CR survives; the frame is its lines, each ended by LF, then the blank line.
            prop_assert!(!out.contains(&b'\r'));
            let text = String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let body = text.strip_suffix('\n').ok_or_else(|| TestCaseError::fail("no blank line"))?;
            let lines: Vec<&str> = if body.is_empty() {
                Vec::new()
            } else {
                let inner =
                    body.strip_suffix('\n').ok_or_else(|| TestCaseError::fail("unterminated"))?;
                inner.split('\n').collect()
            };
            // Parse the frame back as a client would, field by field.
            let (mut comments, mut datas) = (Vec::new(), Vec::new());
            let (mut got_event, mut got_id, mut got_retry) = (None, None, None);
            for line in &lines {
                if let Some(v) = line.strip_prefix(": ") {
                    comments.push(v.to_owned());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    prop_assert!(got_event.replace(v).is_none());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    datas.push(v.to_owned());
                } else if let Some(v) = line.strip_prefix("id: ") {
                    prop_assert!(got_id.replace(v).is_none());
                } else if let Some(v) = line.strip_prefix("retry: ") {
                    prop_assert!(got_retry.replace(v).is_none());
                } else {
                    // Includes the empty line, which would dispatch the event early.
                    prop_assert!(false, "line starts no field: {:?}", line);
                }
            }
            prop_assert_eq!(comments, comment.as_deref().map(reference_split).unwrap_or_default());
            prop_assert_eq!(datas, data.as_deref().map(reference_split).unwrap_or_default());
            prop_assert_eq!(got_event, event.as_deref());
            prop_assert_eq!(got_id, id.as_deref());
            prop_assert_eq!(got_retry.map(str::to_owned), retry.map(|r| r.to_string()));
        }

        #[test]
        fn batch_equals_concatenation(data in prop::collection::vec(text(), 0..6)) {
            let refs: Vec<&str> = data.iter().map(String::as_str).collect();
            let mut expected = Vec::new();
            for d in &refs {
                let one = format_event(&Event::data(d))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                expected.extend(one);
            }
            prop_assert_eq!(format_data_batch(&refs), expected);
        }
    }
}
