//! JSON strings: a word-at-a-time scan for the plain run, escapes decoded into a reused buffer.
//!
//! Positions follow CPython's C `scanstring`: unterminated strings report the opening quote,
//! control characters themselves, `Invalid \escape` the backslash, `Invalid \uXXXX escape` the `u`.
//! A `\uXXXX` must be followed by at least one more character (C scanner: `end >= len` fails);
//! a high surrogate escape joins a following low surrogate escape only when at least one more
//! character follows that pair (`end + 6 < len`).

use super::errors::{ErrorKind, SyntaxError};
use super::parser::Parser;
use super::utf8::{decode_code_points, push_str_code_points, Text};
use super::Builder;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether `b` ends a plain run inside a string: a quote, a backslash or a control character.
#[inline]
fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// Index of the first quote, backslash or control character at or after `i`, or `bytes.len()`.
///
/// Eight bytes at a time (SWAR): a byte equal to `"` or `\` makes `w ^ pattern` have a zero byte;
/// a byte below 0x20 is found by the classic "has less than" trick. The lowest flagged byte is
/// always a true match (borrows only propagate upwards), so `trailing_zeros` finds the first.
#[inline]
pub(crate) fn find_special(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let Ok(arr) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(arr);
        let q = w ^ (ONES * u64::from(b'"'));
        let s = w ^ (ONES * u64::from(b'\\'));
        let found = ((q.wrapping_sub(ONES) & !q)
            | (s.wrapping_sub(ONES) & !s)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if is_special(b) {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// The value of each byte as a hex digit, 0xFF for a non-digit. A table lookup per digit: `\uXXXX`
/// escapes are the whole work of escape-heavy strings (emoji as surrogate pairs, lone surrogates).
const HEX: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// The four hex digits at `at`, or `None`.
#[inline]
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    let [a, b, c, d] = digits.map(|digit| HEX[usize::from(digit)]);
    if (a | b | c | d) & 0xF0 != 0 {
        return None;
    }
    Some((u32::from(a) << 12) | (u32::from(b) << 8) | (u32::from(c) << 4) | u32::from(d))
}

/// Where a string being decoded accumulates: UTF-8 until a surrogate forces code points.
#[derive(Default)]
pub(crate) struct Scratch {
    utf8: String,
    wide: Vec<u32>,
    is_wide: bool,
}

impl Scratch {
    fn clear(&mut self) {
        self.utf8.clear();
        self.wide.clear();
        self.is_wide = false;
    }

    #[cold]
    fn widen(&mut self) {
        if !self.is_wide {
            self.is_wide = true;
            push_str_code_points(&self.utf8, &mut self.wide);
        }
    }

    fn push_str(&mut self, s: &str) {
        if self.is_wide {
            push_str_code_points(s, &mut self.wide);
        } else {
            self.utf8.push_str(s);
        }
    }

    #[cold]
    fn push_raw(&mut self, bytes: &[u8]) {
        self.widen();
        decode_code_points(bytes, &mut self.wide);
    }

    #[inline]
    fn push_code_point(&mut self, cp: u32) {
        match char::from_u32(cp) {
            Some(c) if !self.is_wide => self.utf8.push(c),
            _ => self.push_wide(cp),
        }
    }

    /// A lone surrogate, or any code point once the string holds one.
    #[cold]
    fn push_wide(&mut self, cp: u32) {
        self.widen();
        self.wide.push(cp);
    }
}

/// A piece of string content: a `str` if it is plain UTF-8, else the raw bytes (with surrogates).
enum Chunk<'a> {
    Str(&'a str),
    Raw(&'a [u8]),
}

impl<'a, B: Builder> Parser<'a, B> {
    fn chunk(&self, start: usize, end: usize) -> Chunk<'a> {
        let text = match self.text {
            Text::Utf8(text) => text.get(start..end),
            Text::WithSurrogates => None,
        };
        match text {
            Some(s) => Chunk::Str(s),
            None => {
                let raw = self.bytes.get(start..end).unwrap_or_default();
                match std::str::from_utf8(raw) {
                    Ok(s) => Chunk::Str(s),
                    Err(_) => Chunk::Raw(raw),
                }
            }
        }
    }

    /// Parses the string whose opening quote is at `self.pos`; `key` selects the builder method.
    pub(crate) fn parse_string(&mut self, key: bool) -> Result<B::Value, super::Error<B::Error>> {
        let begin = self.pos;
        let start = begin + 1;
        let stop = find_special(self.bytes, start);
        match self.bytes.get(stop) {
            Some(b'"') => {
                self.pos = stop + 1;
                let built = match self.chunk(start, stop) {
                    Chunk::Str(s) if key => self.builder.key(s),
                    Chunk::Str(s) => self.builder.string(s),
                    Chunk::Raw(raw) => {
                        let mut cps = Vec::with_capacity(raw.len());
                        decode_code_points(raw, &mut cps);
                        self.builder.wide_string(&cps)
                    }
                };
                built.map_err(super::Error::Builder)
            }
            Some(b'\\') => self.parse_escaped_string(begin, start, stop, key),
            Some(_) => Err(SyntaxError::new(ErrorKind::InvalidControlCharacter, stop).into()),
            None => Err(SyntaxError::new(ErrorKind::UnterminatedString, begin).into()),
        }
    }

    /// The slow path: the string contains escapes. `stop` is the first backslash.
    fn parse_escaped_string(
        &mut self,
        begin: usize,
        mut end: usize,
        mut stop: usize,
        key: bool,
    ) -> Result<B::Value, super::Error<B::Error>> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let result = self.decode_escapes(&mut scratch, begin, &mut end, &mut stop);
        let built = result.and_then(|()| {
            self.pos = stop + 1;
            let built = if scratch.is_wide {
                self.builder.wide_string(&scratch.wide)
            } else if key {
                self.builder.key(&scratch.utf8)
            } else {
                self.builder.string(&scratch.utf8)
            };
            built.map_err(super::Error::Builder)
        });
        self.scratch = scratch;
        built
    }

    /// Decodes chunks and escapes until the closing quote, left at `*stop`.
    fn decode_escapes(
        &self,
        scratch: &mut Scratch,
        begin: usize,
        end: &mut usize,
        stop: &mut usize,
    ) -> Result<(), super::Error<B::Error>> {
        let bytes = self.bytes;
        loop {
            match bytes.get(*stop) {
                Some(b'"') | Some(b'\\') => {}
                Some(_) => {
                    return Err(SyntaxError::new(ErrorKind::InvalidControlCharacter, *stop).into())
                }
                None => return Err(SyntaxError::new(ErrorKind::UnterminatedString, begin).into()),
            }
            if *stop != *end {
                match self.chunk(*end, *stop) {
                    Chunk::Str(s) => scratch.push_str(s),
                    Chunk::Raw(raw) => scratch.push_raw(raw),
                }
            }
            if bytes.get(*stop) == Some(&b'"') {
                return Ok(());
            }
            // A run of escapes (a string of `\uXXXX`s): the byte after each is checked directly,
            // the word-at-a-time scan resumes only after the run.
            let mut at = *stop;
            while bytes.get(at) == Some(&b'\\') {
                at = Self::escape(bytes, scratch, begin, at)?;
            }
            *end = at;
            *stop = find_special(bytes, at);
        }
    }

    /// Decodes the escape whose backslash is at `backslash`; returns the index after it.
    #[inline]
    fn escape(
        bytes: &[u8],
        scratch: &mut Scratch,
        begin: usize,
        backslash: usize,
    ) -> Result<usize, super::Error<B::Error>> {
        let Some(&c) = bytes.get(backslash + 1) else {
            return Err(SyntaxError::new(ErrorKind::UnterminatedString, begin).into());
        };
        let decoded = match c {
            b'u' => {
                let (cp, after) = Self::unicode_escape(bytes, backslash + 1)?;
                scratch.push_code_point(cp);
                return Ok(after);
            }
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => return Err(SyntaxError::new(ErrorKind::InvalidEscape, backslash).into()),
        };
        scratch.push_code_point(u32::from(decoded));
        Ok(backslash + 2)
    }

    /// Decodes `\uXXXX` (and a following low-surrogate escape) with the `u` at `u`;
    /// returns the code point and the index after the escape(s).
    fn unicode_escape(bytes: &[u8], u: usize) -> Result<(u32, usize), super::Error<B::Error>> {
        let len = bytes.len();
        let digits = u + 1;
        let end = digits + 4;
        let invalid = |at: usize| SyntaxError::new(ErrorKind::InvalidUnicodeEscape, at);
        if end >= len {
            return Err(invalid(u).into());
        }
        let cp = hex4(bytes, digits).ok_or_else(|| invalid(u))?;
        if (0xD800..=0xDBFF).contains(&cp)
            && end + 6 < len
            && bytes.get(end) == Some(&b'\\')
            && bytes.get(end + 1) == Some(&b'u')
        {
            let low = hex4(bytes, end + 2).ok_or_else(|| invalid(end + 1))?;
            if (0xDC00..=0xDFFF).contains(&low) {
                return Ok((0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00), end + 6));
            }
        }
        Ok((cp, end))
    }
}

#[cfg(test)]
mod tests {
    use super::hex4;

    #[test]
    fn hex_table_agrees_with_char_to_digit() {
        for b in 0..=255u8 {
            let want = char::from(b).to_digit(16);
            assert_eq!(hex4(&[b'0', b'0', b'0', b], 0), want, "{b:#04x} last");
            assert_eq!(
                hex4(&[b, b'0', b'0', b'0'], 0),
                want.map(|d| d << 12),
                "{b:#04x} first"
            );
        }
        assert_eq!(hex4(b"x12aF", 1), Some(0x12AF));
        assert_eq!(hex4(b"12a", 0), None);
    }
}
