//! Decode errors of the pure core: what went wrong and at which byte of the document.
//!
//! The messages are exactly those of CPython 3.11's `json` module (its C scanner and
//! `JSONDecoder.decode`), so the binding can raise `json.JSONDecodeError`'s subclass with the same
//! `msg`; the byte index is turned into a character position only on the error path. The one error
//! whose wording later CPythons changed (a trailing comma, 3.13) carries what both need.

use std::fmt;

/// What kind of error stopped the decoder. Every variant but the last two maps to a `json.loads` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No JSON value starts here (also: empty document, `[1,]`, a bare `-`).
    ExpectingValue,
    /// An object member does not start with `"` (also: `{"a":1,}`).
    ExpectingPropertyName,
    /// An object key is not followed by `:`.
    ExpectingColon,
    /// An array element or object member is followed by neither `,` nor the closing bracket.
    ExpectingComma,
    /// A `,` followed (after whitespace) by the closing bracket: `[1,]`, `{"a":1,}`. The index is
    /// the bracket, where 3.10-3.12 report "Expecting value" / "Expecting property name ...";
    /// 3.13 reports "Illegal trailing comma before end of array/object" at `comma`.
    TrailingComma {
        /// Whether the container is an object.
        object: bool,
        /// Byte offset of the comma.
        comma: usize,
    },
    /// A string has no closing quote; the index is the opening quote.
    UnterminatedString,
    /// A raw character below U+0020 inside a string (strict mode); the index is that character.
    InvalidControlCharacter,
    /// A backslash followed by a character that is not a JSON escape; the index is the backslash.
    InvalidEscape,
    /// `\u` not followed by four hex digits (and one more character); the index is the `u`.
    InvalidUnicodeEscape,
    /// Something other than whitespace after the top-level value.
    ExtraData,
    /// Arrays/objects nested deeper than the limit; the index is the bracket that went too deep.
    DepthExceeded {
        /// The limit that was exceeded.
        max_depth: usize,
    },
    /// The bytes are not UTF-8 (encoded surrogates, which `surrogatepass` accepts, are allowed);
    /// the index is the first offending byte.
    InvalidUtf8,
}

impl ErrorKind {
    /// CPython 3.13's message and byte offset where it differs from [`ErrorKind::json_message`]'s.
    pub fn json_message_313(self) -> Option<(&'static str, usize)> {
        match self {
            Self::TrailingComma {
                object: false,
                comma,
            } => Some(("Illegal trailing comma before end of array", comma)),
            Self::TrailingComma {
                object: true,
                comma,
            } => Some(("Illegal trailing comma before end of object", comma)),
            _ => None,
        }
    }

    /// The message `json.loads` uses for this error, or `None` for the two non-`JSONDecodeError` kinds.
    pub fn json_message(self) -> Option<&'static str> {
        Some(match self {
            Self::ExpectingValue => "Expecting value",
            Self::ExpectingPropertyName => "Expecting property name enclosed in double quotes",
            Self::ExpectingColon => "Expecting ':' delimiter",
            Self::ExpectingComma => "Expecting ',' delimiter",
            Self::TrailingComma { object: false, .. } => "Expecting value",
            Self::TrailingComma { object: true, .. } => {
                "Expecting property name enclosed in double quotes"
            }
            Self::UnterminatedString => "Unterminated string starting at",
            Self::InvalidControlCharacter => "Invalid control character at",
            Self::InvalidEscape => "Invalid \\escape",
            Self::InvalidUnicodeEscape => "Invalid \\uXXXX escape",
            Self::ExtraData => "Extra data",
            Self::DepthExceeded { .. } | Self::InvalidUtf8 => return None,
        })
    }
}

/// A syntax, depth or encoding error at a byte index of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset into the decoded document (after any UTF-8 BOM).
    pub index: usize,
}

impl SyntaxError {
    #[cold]
    pub(crate) fn new(kind: ErrorKind, index: usize) -> Self {
        Self { kind, index }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::DepthExceeded { max_depth } => {
                write!(
                    f,
                    "nesting deeper than max_depth={max_depth} at byte {}",
                    self.index
                )
            }
            ErrorKind::InvalidUtf8 => write!(f, "invalid UTF-8 at byte {}", self.index),
            kind => write!(
                f,
                "{} at byte {}",
                kind.json_message().unwrap_or(""),
                self.index
            ),
        }
    }
}

/// Either the document is bad, or the builder failed (e.g. out of memory, an integer too long).
#[derive(Debug)]
pub enum Error<E> {
    /// The input is not a JSON document json.loads would accept (or nests too deep).
    Syntax(SyntaxError),
    /// The builder's own error, passed through unchanged.
    Builder(E),
}

impl<E> From<SyntaxError> for Error<E> {
    #[cold]
    fn from(e: SyntaxError) -> Self {
        Self::Syntax(e)
    }
}

/// The character index of byte `index` in (generalised) UTF-8 `doc`: what Python's `pos` counts.
///
/// Counts the bytes before `index` that start a character (are not continuation bytes). Called
/// only on the error path.
#[cold]
pub fn char_index(doc: &[u8], index: usize) -> usize {
    let end = index.min(doc.len());
    doc[..end].iter().filter(|&&b| b & 0xC0 != 0x80).count()
}
