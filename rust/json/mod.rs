//! JSON body decoding: bytes -> values, accepting exactly what Python 3.11's `json.loads(bytes)`
//! accepts and failing with its messages and positions.
//!
//! The core is pure Rust and never names Python: it drives a [`Builder`], implemented by the PyO3
//! layer (`py/json.rs`, Python objects) and by the tests (a plain value tree).
//!
//! The language, as CPython's C scanner defines it:
//! - `NaN`, `Infinity`, `-Infinity` are accepted; whitespace is exactly `" \t\n\r"`;
//! - integers are exact (long ones go to [`Builder::big_int`]); `-0` is the integer 0;
//! - strings reject raw control characters (strict mode); `\uXXXX` may produce lone surrogates,
//!   which go to [`Builder::wide_string`] as code points because `str` cannot hold them;
//! - duplicate keys are the builder's business (Python: dict assignment, last value wins);
//! - input is UTF-8 as `bytes.decode("utf-8", "surrogatepass")` reads it, after an optional BOM
//!   (see [`detect_encoding`]).

mod errors;
mod number;
mod parser;
mod scan;
mod string;
mod utf8;

#[cfg(test)]
mod tests;

pub use errors::{char_index, Error, ErrorKind, SyntaxError};
pub use scan::has_digit_run;

use std::vec::Drain;

/// Default nesting limit for arrays/objects.
///
/// `json.loads` recurses in C and dies with `RecursionError` near 1,000 levels (the interpreter's
/// recursion limit), so no document FastAPI accepts today nests deeper; 512 leaves real payloads
/// (rarely deeper than 20) far inside the limit while bounding the work an attacker can make the
/// decoder and, later, validators and serializers (which do recurse) do.
pub const DEFAULT_MAX_DEPTH: usize = 512;

/// Receives the values of a document, innermost first. Every method may fail (the Python
/// builder can run out of memory or hit `int`'s digit limit); the error is passed through.
pub trait Builder {
    /// What a JSON value becomes.
    type Value;
    /// The builder's own error.
    type Error;

    /// `null`.
    fn null(&mut self) -> Result<Self::Value, Self::Error>;
    /// `true` / `false`.
    fn boolean(&mut self, value: bool) -> Result<Self::Value, Self::Error>;
    /// An integer that fits `i64`.
    fn int(&mut self, value: i64) -> Result<Self::Value, Self::Error>;
    /// An integer outside `i64`, as its JSON text (`-?[1-9][0-9]*`).
    fn big_int(&mut self, digits: &str) -> Result<Self::Value, Self::Error>;
    /// A number with a fraction or exponent, or `NaN`/`Infinity`/`-Infinity`.
    fn float(&mut self, value: f64) -> Result<Self::Value, Self::Error>;
    /// A string value.
    fn string(&mut self, value: &str) -> Result<Self::Value, Self::Error>;
    /// An object key (a hint: keys repeat, so builders may cache them).
    fn key(&mut self, key: &str) -> Result<Self::Value, Self::Error> {
        self.string(key)
    }
    /// A string (value or key) containing a lone surrogate, as code points.
    fn wide_string(&mut self, code_points: &[u32]) -> Result<Self::Value, Self::Error>;
    /// An array of the drained values, in order.
    fn array(&mut self, items: Drain<'_, Self::Value>) -> Result<Self::Value, Self::Error>;
    /// An object; `members` alternates key, value, in document order.
    fn object(&mut self, members: Drain<'_, Self::Value>) -> Result<Self::Value, Self::Error>;
}

/// The codec `json.detect_encoding` picks for a byte document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Plain UTF-8: decoded here.
    Utf8,
    /// UTF-8 after a BOM (`EF BB BF`, `utf-8-sig`): the BOM is skipped, positions count after it.
    Utf8Sig,
    /// UTF-16/32 (a BOM, or NUL bytes among the first four): named by its Python codec; the caller
    /// transcodes to UTF-8 first.
    Other(&'static str),
}

impl Encoding {
    /// The Python codec name.
    pub fn codec(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Utf8Sig => "utf-8-sig",
            Self::Other(name) => name,
        }
    }
}

/// `json.detect_encoding` (CPython 3.11, `Lib/json/__init__.py`), byte for byte.
pub fn detect_encoding(b: &[u8]) -> Encoding {
    let starts = |p: &[u8]| b.starts_with(p);
    if starts(&[0, 0, 0xFE, 0xFF]) || starts(&[0xFF, 0xFE, 0, 0]) {
        return Encoding::Other("utf-32");
    }
    if starts(&[0xFE, 0xFF]) || starts(&[0xFF, 0xFE]) {
        return Encoding::Other("utf-16");
    }
    if starts(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8Sig;
    }
    match *b {
        [0, b1, _, _, ..] => Encoding::Other(if b1 != 0 { "utf-16-be" } else { "utf-32-be" }),
        [_, 0, b2, b3, ..] => Encoding::Other(if b2 != 0 || b3 != 0 {
            "utf-16-le"
        } else {
            "utf-32-le"
        }),
        [0, _] => Encoding::Other("utf-16-be"),
        [_, 0] => Encoding::Other("utf-16-le"),
        _ => Encoding::Utf8,
    }
}

/// The part of a UTF-8 / `utf-8-sig` document that is parsed (and that positions count in).
pub fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)
}

/// Decodes one UTF-8 document (BOM already stripped) into the builder's values.
///
/// Arrays/objects nested deeper than `max_depth` fail with [`ErrorKind::DepthExceeded`]; invalid
/// UTF-8 anywhere fails first with [`ErrorKind::InvalidUtf8`], as `json.loads` decodes before it parses.
pub fn decode<B: Builder>(
    doc: &[u8],
    max_depth: usize,
    builder: &mut B,
) -> Result<B::Value, Error<B::Error>> {
    let text = utf8::validate(doc).map_err(|at| SyntaxError::new(ErrorKind::InvalidUtf8, at))?;
    parser::Parser::new(doc, text, builder, max_depth).parse_document()
}
