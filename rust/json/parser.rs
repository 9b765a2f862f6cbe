//! The iterative parser: an explicit stack of open arrays/objects, so nesting costs heap, not
//! native stack (10 MB of `[` fails cleanly at `max_depth`).
//!
//! Values of open containers wait on one shared stack (`values`); an object's members sit there
//! as key, value, key, value. Closing a container hands the builder its slice in one call, so the
//! builder can size the list/dict once. Error positions follow CPython's C scanner (see `mod.rs`).

use super::errors::{ErrorKind, SyntaxError};
use super::string::Scratch;
use super::utf8::Text;
use super::{Builder, Error};

/// One open container: where its values start on the value stack, and whether it is an object.
struct Frame {
    start: usize,
    object: bool,
}

/// Parser state for one document.
pub(crate) struct Parser<'a, B: Builder> {
    pub(crate) bytes: &'a [u8],
    pub(crate) text: Text<'a>,
    pub(crate) pos: usize,
    pub(crate) builder: &'a mut B,
    pub(crate) scratch: Scratch,
    values: Vec<B::Value>,
    frames: Vec<Frame>,
    max_depth: usize,
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

#[cold]
fn syntax<E>(kind: ErrorKind, index: usize) -> Error<E> {
    Error::Syntax(SyntaxError::new(kind, index))
}

impl<'a, B: Builder> Parser<'a, B> {
    pub(crate) fn new(
        bytes: &'a [u8],
        text: Text<'a>,
        builder: &'a mut B,
        max_depth: usize,
    ) -> Self {
        Self {
            bytes,
            text,
            pos: 0,
            builder,
            scratch: Scratch::default(),
            values: Vec::new(),
            frames: Vec::new(),
            max_depth,
        }
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !is_ws(b) {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> bool {
        let hit = self
            .bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if hit {
            self.pos += word.len();
        }
        hit
    }

    /// Opens a container at `self.pos` (its bracket), failing past `max_depth`.
    fn open(&mut self, object: bool) -> Result<(), Error<B::Error>> {
        if self.frames.len() >= self.max_depth {
            return Err(syntax(
                ErrorKind::DepthExceeded {
                    max_depth: self.max_depth,
                },
                self.pos,
            ));
        }
        self.frames.push(Frame {
            start: self.values.len(),
            object,
        });
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Closes the innermost container (its closing bracket at `self.pos`) into one value.
    fn close(&mut self) -> Result<B::Value, Error<B::Error>> {
        self.pos += 1;
        let Some(frame) = self.frames.pop() else {
            return Err(syntax(ErrorKind::ExpectingValue, self.pos));
        };
        let items = self.values.drain(frame.start..);
        let built = if frame.object {
            self.builder.object(items)
        } else {
            self.builder.array(items)
        };
        built.map_err(Error::Builder)
    }

    /// The error for a missing value (`object`: a missing member) at `self.pos`: a trailing comma
    /// when the closing bracket follows a `,` (off the hot path: only once parsing has failed).
    #[cold]
    fn missing(&self, object: bool) -> Error<B::Error> {
        let close = if object { b'}' } else { b']' };
        let in_container = self.frames.last().is_some_and(|f| f.object == object);
        if in_container && self.peek() == Some(close) {
            let before = self.bytes.get(..self.pos).unwrap_or_default();
            if let Some(comma) = before.iter().rposition(|&b| !is_ws(b)) {
                if before.get(comma) == Some(&b',') {
                    return syntax(ErrorKind::TrailingComma { object, comma }, self.pos);
                }
            }
        }
        let kind = if object {
            ErrorKind::ExpectingPropertyName
        } else {
            ErrorKind::ExpectingValue
        };
        syntax(kind, self.pos)
    }

    /// At an object member: the key, `:` and the whitespace before its value.
    fn member_key(&mut self) -> Result<(), Error<B::Error>> {
        if self.peek() != Some(b'"') {
            return Err(self.missing(true));
        }
        let key = self.parse_string(true)?;
        self.values.push(key);
        self.skip_ws();
        if self.peek() != Some(b':') {
            return Err(syntax(ErrorKind::ExpectingColon, self.pos));
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    /// Parses the whole document: leading whitespace, one value, trailing whitespace, end.
    pub(crate) fn parse_document(&mut self) -> Result<B::Value, Error<B::Error>> {
        self.skip_ws();
        let value = 'document: loop {
            // Parse one value at `self.pos` (no leading whitespace), or open a container.
            let mut value = match self.peek() {
                Some(b'"') => self.parse_string(false)?,
                Some(b'[') => {
                    self.open(false)?;
                    if self.peek() != Some(b']') {
                        continue 'document;
                    }
                    self.close()?
                }
                Some(b'{') => {
                    self.open(true)?;
                    if self.peek() != Some(b'}') {
                        self.member_key()?;
                        continue 'document;
                    }
                    self.close()?
                }
                Some(b'n') if self.literal(b"null") => {
                    self.builder.null().map_err(Error::Builder)?
                }
                Some(b't') if self.literal(b"true") => {
                    self.builder.boolean(true).map_err(Error::Builder)?
                }
                Some(b'f') if self.literal(b"false") => {
                    self.builder.boolean(false).map_err(Error::Builder)?
                }
                Some(b'N') if self.literal(b"NaN") => {
                    self.builder.float(f64::NAN).map_err(Error::Builder)?
                }
                Some(b'I') if self.literal(b"Infinity") => {
                    self.builder.float(f64::INFINITY).map_err(Error::Builder)?
                }
                Some(b'-') if self.literal(b"-Infinity") => self
                    .builder
                    .float(f64::NEG_INFINITY)
                    .map_err(Error::Builder)?,
                Some(b'-' | b'0'..=b'9') => self.parse_number()?,
                _ => return Err(self.missing(false)),
            };
            // Attach the value to the open containers, closing those that end here.
            loop {
                let Some(frame) = self.frames.last() else {
                    break 'document value;
                };
                let object = frame.object;
                self.values.push(value);
                self.skip_ws();
                match (self.peek(), object) {
                    (Some(b']'), false) | (Some(b'}'), true) => value = self.close()?,
                    (Some(b','), _) => {
                        self.pos += 1;
                        self.skip_ws();
                        if object {
                            self.member_key()?;
                        }
                        continue 'document;
                    }
                    _ => return Err(syntax(ErrorKind::ExpectingComma, self.pos)),
                }
            }
        };
        self.skip_ws();
        if self.pos != self.bytes.len() {
            return Err(syntax(ErrorKind::ExtraData, self.pos));
        }
        Ok(value)
    }
}
