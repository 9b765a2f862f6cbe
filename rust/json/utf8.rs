//! UTF-8 as `bytes.decode("utf-8", "surrogatepass")` sees it (what `json.loads(bytes)` does).
//!
//! `surrogatepass` additionally accepts the three-byte encodings of U+D800..U+DFFF (`ED A0..BF
//! 80..BF`), which Rust's `str` cannot hold. Documents containing them are rare; for those the
//! parser slices raw bytes and decodes strings into code points ([`decode_code_points`]).

/// How the document's bytes validated.
pub(crate) enum Text<'a> {
    /// Plain UTF-8: string contents can be sliced from this `str` without re-validation.
    Utf8(&'a str),
    /// Valid only with encoded surrogates: strings are decoded from bytes one by one.
    WithSurrogates,
}

/// Whether `b` starts with an encoded surrogate (`ED A0..BF 80..BF`).
fn is_encoded_surrogate(b: &[u8]) -> bool {
    matches!(b, [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..])
}

/// Validates `doc`, or returns the byte index of the first sequence `surrogatepass` rejects.
pub(crate) fn validate(doc: &[u8]) -> Result<Text<'_>, usize> {
    let mut start = 0;
    let mut surrogates = false;
    loop {
        let rest = doc.get(start..).unwrap_or_default();
        match std::str::from_utf8(rest) {
            Ok(text) if !surrogates => return Ok(Text::Utf8(text)),
            Ok(_) => return Ok(Text::WithSurrogates),
            Err(e) => {
                let bad = start + e.valid_up_to();
                if is_encoded_surrogate(doc.get(bad..).unwrap_or_default()) {
                    surrogates = true;
                    start = bad + 3;
                } else {
                    return Err(bad);
                }
            }
        }
    }
}

/// Appends the code points of `bytes` (validated by [`validate`]) to `out`, surrogates included.
pub(crate) fn decode_code_points(bytes: &[u8], out: &mut Vec<u32>) {
    let mut i = 0;
    while let Some(&b0) = bytes.get(i) {
        let cont = |k: usize| u32::from(bytes.get(i + k).copied().unwrap_or(0x80) & 0x3F);
        let (cp, len) = match b0 {
            0x00..=0x7F => (u32::from(b0), 1),
            0xC0..=0xDF => ((u32::from(b0 & 0x1F) << 6) | cont(1), 2),
            0xE0..=0xEF => ((u32::from(b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3),
            _ => (
                (u32::from(b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
                4,
            ),
        };
        out.push(cp);
        i += len;
    }
}

/// Appends the code points of `s` to `out`.
pub(crate) fn push_str_code_points(s: &str, out: &mut Vec<u32>) {
    out.extend(s.chars().map(u32::from));
}
