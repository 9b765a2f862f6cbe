//! The JSON decoder (`json::decode`) against serde_json as the reference decoder.
//!
//! The decoder follows Python's `json.loads(bytes)`, which accepts more than RFC 8259 (and
//! serde_json). The differences are mapped so that the comparison stays exact:
//!
//! - `NaN`, `Infinity`, `-Infinity` (outside strings) are rewritten, for serde_json only, into
//!   the sentinel arrays `["\u0000NaN"]`, `["\u0000Infinity"]`, `["\u0000-Infinity"]`: a value
//!   where a value may stand, an error wherever a number would be one (as a key, before more
//!   digits), so accepting/rejecting is unchanged; the trees compare the sentinel with the float.
//!   If the document itself holds the escape `\u0000` (the only way to write U+0000), a sentinel
//!   could be forged: only accept/reject is compared then, not the trees.
//! - Lone surrogates (`\uD800` not followed by a low-surrogate escape, and raw `ED A0..BF 80..BF`
//!   bytes, which `surrogatepass` reads) are rewritten to U+F0000 + (cp - 0xD800) (plane 15
//!   private use, one code point each, injective); the decoder's code points are mapped the same
//!   way before comparing. If the decoded document holds a real U+F0000..U+F07FF too, keys could
//!   collide: trees are not compared then.
//! - Numbers: serde_json keeps the number text (arbitrary_precision). Integers compare as text
//!   (`-0` is the integer 0 in Python, as here); big ints are exact on both sides (Python's
//!   int_max_str_digits is the builder's business, not the decoder's). Floats compare bit for bit
//!   with serde_json's own correctly rounded parser (float_roundtrip); where it reports "out of
//!   range", Python's `float()` gives an infinity, and so must the decoder.
//! - Duplicate keys: last value wins at the first key's position (Python's dict; serde_json's
//!   preserve_order map does the same).
//! - Nesting: serde_json stops at 128 levels ("recursion limit exceeded"): such documents are not
//!   compared with it. Depth limits are checked on the decoder alone instead: run with a small
//!   `max_depth` and with 512 (the default), it must answer as with a large one, except that the
//!   first bracket opening one level too many (found by a plain string-aware scan of the part of
//!   the document the large run accepted) fails with `DepthExceeded` at that bracket.
//! - Error kinds and positions are not compared with serde_json (its conventions differ; they
//!   are checked against CPython in tests/native); every error index must lie within the input.
#![no_main]

use std::vec::Drain;

use _ferroapi::json::{
    char_index, decode, detect_encoding, has_digit_run, strip_bom, Builder, Error, ErrorKind,
    SyntaxError, DEFAULT_MAX_DEPTH,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Ref;

/// The "unlimited" depth of the baseline run (deep enough for any input libFuzzer makes, shallow
/// enough that the recursive comparison and drop of the tree stay far from the stack's end).
const BASELINE_DEPTH: usize = 2048;
const MAX_INPUT: usize = 1 << 16;

#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    BigInt(String),
    Float(f64),
    Str(String),
    Wide(Vec<u32>),
    Array(Vec<V>),
    /// Duplicate keys resolved as Python's dict does: first position, last value.
    Object(Vec<(V, V)>),
}

struct Tree;

impl Builder for Tree {
    type Value = V;
    type Error = ();
    fn null(&mut self) -> Result<V, ()> {
        Ok(V::Null)
    }
    fn boolean(&mut self, v: bool) -> Result<V, ()> {
        Ok(V::Bool(v))
    }
    fn int(&mut self, v: i64) -> Result<V, ()> {
        Ok(V::Int(v))
    }
    fn big_int(&mut self, digits: &str) -> Result<V, ()> {
        Ok(V::BigInt(digits.to_owned()))
    }
    fn float(&mut self, v: f64) -> Result<V, ()> {
        Ok(V::Float(v))
    }
    fn string(&mut self, s: &str) -> Result<V, ()> {
        Ok(V::Str(s.to_owned()))
    }
    fn wide_string(&mut self, cps: &[u32]) -> Result<V, ()> {
        Ok(V::Wide(cps.to_vec()))
    }
    fn array(&mut self, items: Drain<'_, V>) -> Result<V, ()> {
        Ok(V::Array(items.collect()))
    }
    fn object(&mut self, mut members: Drain<'_, V>) -> Result<V, ()> {
        let mut out: Vec<(V, V)> = Vec::new();
        loop {
            match (members.next(), members.next()) {
                (Some(k), Some(v)) => match out.iter_mut().find(|(key, _)| *key == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                },
                (None, None) => break,
                _ => panic!("object members are not key/value pairs"),
            }
        }
        Ok(V::Object(out))
    }
}

fn run(doc: &[u8], max_depth: usize) -> Result<V, SyntaxError> {
    match decode(doc, max_depth, &mut Tree) {
        Ok(v) => Ok(v),
        Err(Error::Syntax(e)) => {
            assert!(e.index <= doc.len(), "error index {} past the end", e.index);
            let _ = char_index(doc, e.index);
            let _ = e.to_string();
            if let ErrorKind::DepthExceeded { max_depth: m } = e.kind {
                assert_eq!(m, max_depth);
                assert!(matches!(doc.get(e.index), Some(b'[' | b'{')));
            }
            Err(e)
        }
        Err(Error::Builder(())) => unreachable!("the tree builder never fails"),
    }
}

/// The plane-15 private-use code point standing for surrogate `cp` on the reference side.
fn pua(cp: u32) -> u32 {
    0xF0000 + (cp - 0xD800)
}

fn is_surrogate(cp: u32) -> bool {
    (0xD800..0xE000).contains(&cp)
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

fn push_char(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

struct Rewritten {
    doc: Vec<u8>,
    specials: usize,
    surrogates: usize,
}

/// The document as strict JSON for serde_json (see the module docs), in one string-aware pass.
fn rewrite(doc: &[u8]) -> Rewritten {
    let mut out = Vec::with_capacity(doc.len() + 16);
    let (mut specials, mut surrogates) = (0, 0);
    let mut in_string = false;
    let mut i = 0;
    while i < doc.len() {
        let rest = &doc[i..];
        if let [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] = rest {
            let cp = (u32::from(rest[1] & 0x3F) << 6 | u32::from(rest[2] & 0x3F)) | 0xD000;
            push_char(&mut out, pua(cp));
            surrogates += 1;
            i += 3;
            continue;
        }
        if in_string {
            match rest {
                [b'\\', b'u', hex @ ..] if hex4(hex).is_some() => {
                    let cp = hex4(hex).unwrap_or(0);
                    let low = match rest.get(6..) {
                        Some([b'\\', b'u', h2 @ ..]) => {
                            hex4(h2).filter(|c| (0xDC00..0xE000).contains(c))
                        }
                        _ => None,
                    };
                    if (0xD800..0xDC00).contains(&cp) && low.is_some() {
                        out.extend_from_slice(&rest[..12]);
                        i += 12;
                    } else if is_surrogate(cp) {
                        push_char(&mut out, pua(cp));
                        surrogates += 1;
                        i += 6;
                    } else {
                        out.extend_from_slice(&rest[..6]);
                        i += 6;
                    }
                }
                [b'\\', _, ..] => {
                    // Any other escape: its second byte cannot end the string. (A raw surrogate
                    // there is an invalid escape on both sides; it stays untouched.)
                    out.extend_from_slice(&rest[..2]);
                    i += 2;
                }
                [b'"', ..] => {
                    in_string = false;
                    out.push(b'"');
                    i += 1;
                }
                [b, ..] => {
                    out.push(*b);
                    i += 1;
                }
                [] => unreachable!(),
            }
            continue;
        }
        let special: Option<(&[u8], &[u8])> = [
            (&b"-Infinity"[..], &br#"["\u0000-Infinity"]"#[..]),
            (b"Infinity", br#"["\u0000Infinity"]"#),
            (b"NaN", br#"["\u0000NaN"]"#),
        ]
        .into_iter()
        .find(|(word, _)| rest.starts_with(word));
        if let Some((word, sentinel)) = special {
            out.extend_from_slice(sentinel);
            specials += 1;
            i += word.len();
            continue;
        }
        if rest[0] == b'"' {
            in_string = true;
        }
        out.push(rest[0]);
        i += 1;
    }
    Rewritten {
        doc: out,
        specials,
        surrogates,
    }
}

/// Whether a decoded string holds a real code point of the surrogate stand-ins' range.
fn holds_pua(v: &V) -> bool {
    let stand_in = |cp: u32| (0xF0000..0xF0800).contains(&cp);
    match v {
        V::Str(s) => s.chars().any(|c| stand_in(u32::from(c))),
        V::Wide(cps) => cps.iter().any(|&c| stand_in(c)),
        V::Array(items) => items.iter().any(holds_pua),
        V::Object(m) => m.iter().any(|(k, v)| holds_pua(k) || holds_pua(v)),
        _ => false,
    }
}

/// A decoded string as the reference side sees it (surrogates -> stand-ins).
fn mapped(v: &V) -> Option<String> {
    match v {
        V::Str(s) => Some(s.clone()),
        V::Wide(cps) => {
            assert!(
                cps.iter().any(|&c| is_surrogate(c)),
                "wide string without a surrogate"
            );
            cps.iter()
                .map(|&c| char::from_u32(if is_surrogate(c) { pua(c) } else { c }))
                .collect()
        }
        _ => None,
    }
}

fn is_int_text(t: &str) -> bool {
    !t.contains(['.', 'e', 'E'])
}

/// The float Python's `float(text)` gives, by serde_json's parser (out of range: an infinity).
fn reference_float(text: &str) -> f64 {
    match serde_json::from_str::<f64>(text) {
        Ok(f) => f,
        Err(e) => {
            assert!(e.to_string().contains("out of range"), "{text}: {e}");
            if text.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
    }
}

/// The sentinel a `NaN`/`Infinity`/`-Infinity` literal was rewritten to, if `r` is one.
fn sentinel(r: &Ref) -> Option<&str> {
    match r {
        Ref::Array(items) if items.len() == 1 => match &items[0] {
            Ref::String(s) => s.strip_prefix('\0'),
            _ => None,
        },
        _ => None,
    }
}

/// Compare a decoded value with the reference's; the path names the place for the report.
fn same(v: &V, r: &Ref, path: &mut String) -> Result<(), String> {
    let differ = |path: &str| Err(format!("at {path}: decoder {v:?}, reference {r:?}"));
    match (v, r) {
        (V::Null, Ref::Null) => Ok(()),
        (V::Bool(a), Ref::Bool(b)) if a == b => Ok(()),
        (V::Int(_) | V::BigInt(_), Ref::Number(n)) => {
            let text = n.to_string();
            let canonical = if text == "-0" { "0".to_owned() } else { text };
            let got = match v {
                V::Int(i) => i.to_string(),
                V::BigInt(d) => {
                    // Only integers outside i64 go to big_int.
                    if d.parse::<i64>().is_ok() {
                        return differ(path);
                    }
                    d.clone()
                }
                _ => unreachable!(),
            };
            if is_int_text(&canonical) && got == canonical {
                Ok(())
            } else {
                differ(path)
            }
        }
        (V::Float(f), Ref::Number(n)) => {
            let text = n.to_string();
            if !is_int_text(&text) && reference_float(&text).to_bits() == f.to_bits() {
                Ok(())
            } else {
                differ(path)
            }
        }
        (V::Float(f), r) if sentinel(r).is_some() => {
            let ok = match sentinel(r) {
                Some("NaN") => f.is_nan(),
                Some("Infinity") => *f == f64::INFINITY,
                Some("-Infinity") => *f == f64::NEG_INFINITY,
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                differ(path)
            }
        }
        (V::Str(_) | V::Wide(_), Ref::String(s)) => {
            if mapped(v).as_deref() == Some(s.as_str()) {
                Ok(())
            } else {
                differ(path)
            }
        }
        (V::Array(items), Ref::Array(refs)) if items.len() == refs.len() => {
            for (i, (a, b)) in items.iter().zip(refs).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                same(a, b, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (V::Object(members), Ref::Object(map)) if members.len() == map.len() => {
            for ((k, a), (rk, b)) in members.iter().zip(map) {
                if mapped(k).as_deref() != Some(rk.as_str()) {
                    return Err(format!("at {path}: key {k:?} vs reference key {rk:?}"));
                }
                let len = path.len();
                path.push_str(&format!("[{rk:?}]"));
                same(a, b, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => differ(path),
    }
}

/// What a run with `max_depth` must answer, given a run with a larger limit: the same, unless a
/// bracket opens level `max_depth + 1` in the part of the document that run accepted.
fn expected_limited(
    doc: &[u8],
    baseline: &Result<V, SyntaxError>,
    max_depth: usize,
) -> Option<SyntaxError> {
    let bound = match baseline {
        Ok(_) => doc.len(),
        Err(e) if e.kind == ErrorKind::InvalidUtf8 => return None,
        Err(e) => e.index,
    };
    let (mut depth, mut in_string, mut i) = (0usize, false, 0);
    while i < bound {
        match (in_string, doc[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_string = false,
            (false, b'"') => in_string = true,
            (false, b'[' | b'{') => {
                depth += 1;
                if depth > max_depth {
                    return Some(SyntaxError {
                        kind: ErrorKind::DepthExceeded { max_depth },
                        index: i,
                    });
                }
            }
            (false, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn naive_digit_run(doc: &[u8], length: usize) -> bool {
    let mut run = 0;
    for b in doc {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= length {
            return true;
        }
    }
    false
}

fuzz_target!(|doc: &[u8]| {
    if doc.len() > MAX_INPUT {
        return;
    }
    // Helpers around the decoder: never panic, agree with their plain definitions.
    let _ = detect_encoding(doc).codec();
    let body = strip_bom(doc);
    assert!(doc.ends_with(body));
    let length = usize::from(doc.first().copied().unwrap_or(0) % 24) + 1;
    assert_eq!(has_digit_run(doc, length), naive_digit_run(doc, length));

    let baseline = run(doc, BASELINE_DEPTH);

    // Depth limits: the small one varies with the input, the default one is the binding's.
    let small = usize::from(doc.iter().fold(0u8, |a, b| a.wrapping_add(*b)) % 6);
    for max_depth in [small, DEFAULT_MAX_DEPTH] {
        let limited = run(doc, max_depth);
        match expected_limited(doc, &baseline, max_depth) {
            Some(e) => assert_eq!(limited.as_ref().err(), Some(&e), "max_depth {max_depth}"),
            None => match (&baseline, &limited) {
                (Ok(a), Ok(b)) => assert!(
                    a == b || format!("{a:?}") == format!("{b:?}"), // NaN != NaN
                    "max_depth {max_depth}: trees differ"
                ),
                (Err(a), Err(b)) => assert_eq!(a, b, "max_depth {max_depth}"),
                (a, b) => panic!("max_depth {max_depth}: baseline {a:?}, limited {b:?}"),
            },
        }
    }
    if matches!(&baseline, Err(e) if matches!(e.kind, ErrorKind::DepthExceeded { .. })) {
        return;
    }

    let rewritten = rewrite(doc);
    let reference = serde_json::from_slice::<Ref>(&rewritten.doc);
    match (&baseline, &reference) {
        (_, Err(e)) if e.to_string().starts_with("recursion limit exceeded") => {}
        (Ok(v), Ok(r)) => {
            let forgeable = rewritten.specials > 0 && doc.windows(6).any(|w| w == b"\\u0000");
            let colliding = rewritten.surrogates > 0 && holds_pua(v);
            if !forgeable && !colliding {
                if let Err(msg) = same(v, r, &mut String::from("$")) {
                    panic!("value trees differ {msg}");
                }
            }
        }
        (Err(_), Err(_)) => {}
        (Ok(v), Err(e)) => panic!("decoder accepted ({v:?}), reference rejected: {e}"),
        (Err(e), Ok(r)) => panic!("decoder rejected ({e:?}), reference accepted: {r:?}"),
    }
});
