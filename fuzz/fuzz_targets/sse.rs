//! SSE framing (`sse::format_event`, `Event::encode_into`, `format_data_batch`, `split_lines`)
//! against a reference encoder written here from FastAPI's `format_sse_event`, and a round trip
//! through a parser written from the WHATWG spec ("Interpreting an event stream"): the frame is
//! exactly one event, and a client reads back every field as given (data and comment lines with
//! `\r\n`/`\r` normalised to `\n`).
//!
//! The input: a first byte of flags (1 data, 2 event, 4 id, 8 retry, 16 comment), then fields
//! separated by 0xFF (never in UTF-8; each field is read with `from_utf8_lossy`): data, event, id,
//! retry (decimal, else up to 8 bytes little-endian), comment, then any number of batch items.
#![no_main]

use _ferroapi::sse::{format_data_batch, format_event, split_lines, Event, SseError};
use libfuzzer_sys::fuzz_target;

/// Replace-then-split, as FastAPI does: trailing empty pieces kept.
fn reference_lines(value: &str) -> Vec<String> {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .map(str::to_owned)
        .collect()
}

/// FastAPI's validators, in their order.
fn reference_validate(ev: &Event<'_>) -> Result<(), SseError> {
    let multi = |s: &str| s.contains(['\r', '\n']);
    if ev.event.is_some_and(multi) {
        return Err(SseError::EventNotSingleLine);
    }
    if let Some(id) = ev.id {
        if id.contains('\0') {
            return Err(SseError::IdContainsNul);
        }
        if multi(id) {
            return Err(SseError::IdNotSingleLine);
        }
    }
    Ok(())
}

/// FastAPI's `format_sse_event`: comment lines, event, data lines, id, retry, blank line.
fn reference_encode(ev: &Event<'_>) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(c) = ev.comment {
        lines.extend(reference_lines(c).into_iter().map(|l| format!(": {l}")));
    }
    if let Some(e) = ev.event {
        lines.push(format!("event: {e}"));
    }
    if let Some(d) = ev.data {
        lines.extend(reference_lines(d).into_iter().map(|l| format!("data: {l}")));
    }
    if let Some(i) = ev.id {
        lines.push(format!("id: {i}"));
    }
    if let Some(r) = ev.retry {
        lines.push(format!("retry: {r}"));
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out.push('\n');
    out.into_bytes()
}

/// What a client's parser holds when the stream's first event is dispatched.
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    data: String,
    /// Whether any `data` field was seen (an empty buffer dispatches no event in browsers).
    data_fields: usize,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    comments: Vec<String>,
    /// Lines after the first blank line (a frame is exactly one event).
    trailing: usize,
}

/// The WHATWG event stream interpretation, over a whole frame.
fn parse_stream(frame: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut dispatched = false;
    let normalised = frame.replace("\r\n", "\n").replace('\r', "\n");
    // The stream ends with a terminator: the last piece of the split is not a line.
    let body = normalised.strip_suffix('\n').unwrap_or(&normalised);
    for line in body.split('\n') {
        if dispatched {
            parsed.trailing += 1;
            continue;
        }
        if line.is_empty() {
            dispatched = true;
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            parsed
                .comments
                .push(comment.strip_prefix(' ').unwrap_or(comment).to_owned());
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => parsed.event = Some(value.to_owned()),
            "data" => {
                parsed.data.push_str(value);
                parsed.data.push('\n');
                parsed.data_fields += 1;
            }
            "id" if !value.contains('\0') => parsed.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // The spec keeps the value as a number; ours are u64 (saturate on overflow).
                parsed.retry = Some(value.parse().unwrap_or(u64::MAX));
            }
            _ => panic!("the frame holds a line that is no field of ours: {line:?}"),
        }
    }
    assert!(dispatched, "the frame does not end its event");
    if parsed.data.ends_with('\n') {
        parsed.data.pop();
    }
    parsed
}

fn retry_from(bytes: &str) -> u64 {
    bytes.parse().unwrap_or_else(|_| {
        let mut le = [0u8; 8];
        for (slot, b) in le.iter_mut().zip(bytes.bytes()) {
            *slot = b;
        }
        u64::from_le_bytes(le)
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let fields: Vec<String> = rest
        .split(|&b| b == 0xFF)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let field = |i: usize, bit: u8| {
        (flags & bit != 0).then(|| fields.get(i).map(String::as_str).unwrap_or(""))
    };
    let ev = Event {
        data: field(0, 1),
        event: field(1, 2),
        id: field(2, 4),
        retry: field(3, 8).map(retry_from),
        comment: field(4, 16),
    };

    for f in &fields {
        let got: Vec<&[u8]> = split_lines(f.as_bytes()).collect();
        let want = reference_lines(f);
        assert_eq!(got.len(), want.len(), "split_lines {f:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(*g, w.as_bytes(), "split_lines {f:?}");
        }
    }

    let result = format_event(&ev);
    let mut buf = b"prefix".to_vec();
    let appended = ev.encode_into(&mut buf);
    assert_eq!(
        result.as_ref().err(),
        reference_validate(&ev).err().as_ref(),
        "{ev:?}"
    );
    assert_eq!(ev.validate().err(), reference_validate(&ev).err(), "{ev:?}");
    let frame = match result {
        Err(e) => {
            assert_eq!(appended, Err(e));
            assert_eq!(buf, b"prefix", "encode_into wrote on error");
            let _ = e.to_string();
            return;
        }
        Ok(frame) => frame,
    };
    assert_eq!(appended, Ok(()));
    assert_eq!(&buf[..6], b"prefix");
    assert_eq!(&buf[6..], &frame[..], "encode_into and format_event differ");
    assert_eq!(frame.len(), ev.encoded_len(), "encoded_len");
    assert_eq!(
        frame,
        reference_encode(&ev),
        "frame differs from the reference for {ev:?}"
    );
    assert!(!frame.contains(&b'\r'));

    // Round trip through a client's parser.
    let text = std::str::from_utf8(&frame).expect("frames are UTF-8");
    let parsed = parse_stream(text);
    assert_eq!(parsed.trailing, 0, "more than one event in {text:?}");
    let normalised = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
    assert_eq!(parsed.data, ev.data.map(normalised).unwrap_or_default());
    assert_eq!(parsed.data_fields > 0, ev.data.is_some());
    assert_eq!(parsed.event.as_deref(), ev.event);
    assert_eq!(parsed.id.as_deref(), ev.id);
    assert_eq!(parsed.retry, ev.retry);
    let comments = ev.comment.map(reference_lines).unwrap_or_default();
    assert_eq!(parsed.comments, comments);

    // A batch of data-only events is the concatenation of their frames; each parses back.
    let items: Vec<&str> = fields.iter().skip(5).map(String::as_str).collect();
    let batch = format_data_batch(&items);
    let mut concatenated = Vec::new();
    for item in &items {
        let one = format_event(&Event::data(item)).expect("data-only events are valid");
        assert_eq!(one, reference_encode(&Event::data(item)));
        concatenated.extend(one);
    }
    assert_eq!(batch, concatenated, "format_data_batch");
});
