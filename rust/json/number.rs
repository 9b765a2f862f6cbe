//! JSON numbers, matched exactly as CPython's C `_match_number_unicode` does.
//!
//! `-?(0|[1-9][0-9]*)`, then `.digits` only if a digit follows the dot, then an exponent only if
//! it has digits (otherwise the scanner backtracks and leaves `e` as extra data). Integers of up
//! to 18 digits are accumulated directly; longer ones try `i64` and otherwise go to the builder
//! as digits (Python builds the exact int). Floats use Rust's correctly rounded parser, which
//! agrees with `float(text)` (including `1e400` -> inf).

use super::errors::{ErrorKind, SyntaxError};
use super::parser::Parser;
use super::utf8::Text;
use super::{Builder, Error};

#[inline]
fn is_digit(b: Option<&u8>) -> bool {
    matches!(b, Some(b'0'..=b'9'))
}

impl<B: Builder> Parser<'_, B> {
    /// Parses the number at `self.pos`, or fails with "Expecting value" at its start.
    pub(crate) fn parse_number(&mut self) -> Result<B::Value, Error<B::Error>> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut i = start;
        let negative = bytes.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let digits_start = i;
        match bytes.get(i) {
            Some(b'1'..=b'9') => {
                i += 1;
                while is_digit(bytes.get(i)) {
                    i += 1;
                }
            }
            Some(b'0') => i += 1,
            _ => return Err(SyntaxError::new(ErrorKind::ExpectingValue, start).into()),
        }
        let int_end = i;
        let mut is_float = false;
        if bytes.get(i) == Some(&b'.') && is_digit(bytes.get(i + 1)) {
            is_float = true;
            i += 2;
            while is_digit(bytes.get(i)) {
                i += 1;
            }
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) && i + 1 < bytes.len() {
            let e_start = i;
            i += 1;
            if matches!(bytes.get(i), Some(b'-' | b'+')) && i + 1 < bytes.len() {
                i += 1;
            }
            let exp_digits = i;
            while is_digit(bytes.get(i)) {
                i += 1;
            }
            if i > exp_digits {
                is_float = true;
            } else {
                i = e_start;
            }
        }
        self.pos = i;
        // The number is ASCII: slice the validated text (no re-validation) where there is one.
        let text = match self.text {
            Text::Utf8(text) => text.get(start..i),
            Text::WithSurrogates => bytes
                .get(start..i)
                .and_then(|b| std::str::from_utf8(b).ok()),
        }
        .unwrap_or_default();
        let built = if is_float {
            let value = text
                .parse::<f64>()
                .ok()
                .ok_or_else(|| SyntaxError::new(ErrorKind::ExpectingValue, start))?;
            self.builder.float(value)
        } else if int_end - digits_start <= 18 {
            let mut magnitude: i64 = 0;
            for &d in bytes.get(digits_start..int_end).unwrap_or_default() {
                magnitude = magnitude * 10 + i64::from(d - b'0');
            }
            self.builder
                .int(if negative { -magnitude } else { magnitude })
        } else {
            match text.parse::<i64>() {
                Ok(v) => self.builder.int(v),
                Err(_) => self.builder.big_int(text),
            }
        };
        built.map_err(Error::Builder)
    }
}
