//! Backtracking match of a run of pieces, with the priorities of Python's `re`.
//!
//! Used by the trie for complex segments (`{id}.json`) and tails (`/files/{p:path}`), and to
//! recover the captures of the winning route. Captures are only reported on success, while the
//! recursion unwinds, so a failed branch never has to undo anything.

use super::template::Piece;

/// Where a match must stop.
#[derive(Clone, Copy, Debug)]
pub enum End {
    /// Exactly at the end of the subject (a segment followed by `/`).
    Exact,
    /// Python's `$`: at the end of the subject, or just before a final `"\n"`.
    Dollar,
}

impl End {
    /// Whether a match may stop at `pos` in `s`.
    #[inline]
    fn accepts(self, s: &str, pos: usize) -> bool {
        pos == s.len()
            || matches!(self, Self::Dollar)
                && pos + 1 == s.len()
                && s.as_bytes().get(pos) == Some(&b'\n')
    }
}

/// Receives the value of each parameter of a successful match, by position among the pieces.
pub trait Sink<'p> {
    fn capture(&mut self, slot: usize, value: &'p str);
}

/// A sink for the search phase, where only "does it match" matters.
pub struct NoCaptures;

impl Sink<'_> for NoCaptures {
    #[inline]
    fn capture(&mut self, _slot: usize, _value: &str) {}
}

impl<'p> Sink<'p> for [&'p str] {
    #[inline]
    fn capture(&mut self, slot: usize, value: &'p str) {
        if let Some(cell) = self.get_mut(slot) {
            *cell = value;
        }
    }
}

/// Whether `pieces` match the whole of `s` (up to `end`), reporting the first match in Python's
/// backtracking order to `sink`, with the first parameter numbered `slot`.
#[inline]
pub fn matches<'p, S: Sink<'p> + ?Sized>(
    pieces: &[Piece],
    s: &'p str,
    end: End,
    slot: usize,
    sink: &mut S,
) -> bool {
    go(pieces, s, 0, end, slot, sink)
}

fn go<'p, S: Sink<'p> + ?Sized>(
    pieces: &[Piece],
    s: &'p str,
    pos: usize,
    end: End,
    slot: usize,
    sink: &mut S,
) -> bool {
    match pieces.split_first() {
        None => end.accepts(s, pos),
        Some((Piece::Literal(lit), rest)) => {
            let at = s.as_bytes().get(pos..).unwrap_or_default();
            at.starts_with(lit.as_bytes()) && go(rest, s, pos + lit.len(), end, slot, sink)
        }
        Some((Piece::Param(conv), rest)) => {
            // The end rule already bounds the last parameter: with nothing after it, only the
            // longest candidate and the one before a final newline can succeed.
            for stop in conv.ends(s, pos, s.len()) {
                if go(rest, s, stop, end, slot + 1, sink) {
                    if let Some(value) = s.get(pos..stop) {
                        sink.capture(slot, value);
                    }
                    return true;
                }
                if rest.is_empty() && stop + 1 < s.len() {
                    // Shorter candidates end even further from the end of the subject.
                    return false;
                }
            }
            false
        }
    }
}
