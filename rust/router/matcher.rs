//! Match of a run of pieces with the priorities of Python's `re`, in time linear in the subject.
//!
//! Used by the trie for complex segments (`{id}.json`) and tails (`/files/{p:path}`), and to
//! recover the captures of the winning route. The first match in `re`'s backtracking order is
//! the one reported, found in one of two ways:
//! - with at most one parameter, by backtracking: only that parameter branches, over at most one
//!   candidate per byte, so the work is linear already (and the common case costs a few steps);
//! - with several, by backtracking on a budget of a few steps per byte (enough for real paths),
//!   then, if that runs out, by a table ([`table_match`]): a backtracker without memory
//!   re-explores the same (piece, position) states and turns `/{a}-{b}.json` quadratic and three
//!   parameters cubic, which is what `re` does too (issue #12). The table decides, for every
//!   piece and every position, whether the rest of the pieces can match from there, in one pass
//!   per piece; the first match is then read off in one forward walk, each parameter taking the
//!   first candidate end (in `re`'s order) from which the rest matches.

use super::convertors::{Candidates, Run};
use super::template::Piece;

/// Matcher work, counted in test builds: the complexity tests assert that it stays linear in the
/// subject's length (a count, not a timing).
#[cfg(test)]
pub(crate) mod steps {
    use std::cell::Cell;

    thread_local! {
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    pub fn add(n: usize) {
        STEPS.with(|s| s.set(s.get() + n as u64));
    }

    /// The steps counted on this thread since the last call.
    pub fn take() -> u64 {
        STEPS.with(|s| s.replace(0))
    }
}

#[inline]
pub(crate) fn step(_n: usize) {
    #[cfg(test)]
    steps::add(_n);
}

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
    let several = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Param(_)))
        .nth(1)
        .is_some();
    if !several {
        let mut unbounded = usize::MAX;
        return go(pieces, s, 0, end, slot, sink, &mut unbounded).unwrap_or(false);
    }
    // Real paths match (or miss) within a few steps: backtrack first, on a budget linear in the
    // subject, and build the table only when that runs out.
    let mut budget = BACKTRACK_STEPS_PER_BYTE * (s.len() + 1);
    match go(pieces, s, 0, end, slot, sink, &mut budget) {
        Some(matched) => matched,
        None => table_match(pieces, s, end, slot, sink),
    }
}

/// The backtracking budget, per byte of subject, of pieces with several parameters.
const BACKTRACK_STEPS_PER_BYTE: usize = 4;

/// The first match by backtracking: `Some(matched)`, or None once `budget` calls are spent
/// (nothing has been captured then: captures are reported on success only).
fn go<'p, S: Sink<'p> + ?Sized>(
    pieces: &[Piece],
    s: &'p str,
    pos: usize,
    end: End,
    slot: usize,
    sink: &mut S,
    budget: &mut usize,
) -> Option<bool> {
    step(1);
    *budget = budget.checked_sub(1)?;
    match pieces.split_first() {
        None => Some(end.accepts(s, pos)),
        Some((Piece::Literal(lit), rest)) => {
            let at = s.as_bytes().get(pos..).unwrap_or_default();
            if !at.starts_with(lit.as_bytes()) {
                return Some(false);
            }
            go(rest, s, pos + lit.len(), end, slot, sink, budget)
        }
        Some((Piece::Param(conv), rest)) => {
            // The end rule already bounds the last parameter: with nothing after it, only the
            // longest candidate and the one before a final newline can succeed.
            for stop in conv.ends(s, pos, s.len()) {
                if go(rest, s, stop, end, slot + 1, sink, budget)? {
                    if let Some(value) = s.get(pos..stop) {
                        sink.capture(slot, value);
                    }
                    return Some(true);
                }
                if rest.is_empty() && stop + 1 < s.len() {
                    // Shorter candidates end even further from the end of the subject.
                    return Some(false);
                }
            }
            Some(false)
        }
    }
}

/// Whether `pos` starts a character of `b` (or is its end): parameters match whole characters.
#[inline]
fn is_boundary(b: &[u8], pos: usize) -> bool {
    // A UTF-8 continuation byte (0b10xx_xxxx) never starts a character.
    b.get(pos).is_none_or(|&c| (c as i8) >= -0x40)
}

/// For each position, the end of the run of `run` bytes starting there (`b.len()` at the end).
fn run_ends(b: &[u8], run: Run) -> Vec<usize> {
    step(b.len() + 1);
    let mut ends = vec![b.len(); b.len() + 1];
    for (i, &c) in b.iter().enumerate().rev() {
        if !run.keeps(c) {
            ends[i] = i;
        } else if let Some(&next) = ends.get(i + 1) {
            ends[i] = next;
        }
    }
    ends
}

/// Precomputed run ends, built on first use (a segment of `{a}-{b}` never needs the digits').
struct Runs<'b> {
    bytes: &'b [u8],
    tables: [Option<Vec<usize>>; 3],
}

impl Runs<'_> {
    fn prepare(&mut self, run: Run) {
        let at = run as usize;
        if let Some(cell @ None) = self.tables.get_mut(at) {
            *cell = Some(run_ends(self.bytes, run));
        }
    }

    /// Needs `prepare(run)` first; `from <= len`.
    #[inline]
    fn end(&self, run: Run, from: usize) -> usize {
        self.tables
            .get(run as usize)
            .and_then(Option::as_ref)
            .and_then(|t| t.get(from).copied())
            .unwrap_or(self.bytes.len())
    }
}

/// The first candidate of `cands` (in `re`'s order) from which the rest matches, given `reach`,
/// the rest's row: `reach[x]` is 1 + the largest good position at or below `x` (0: none).
#[inline]
fn first_good(cands: Candidates, reach: &[usize]) -> Option<usize> {
    [cands.first, cands.then]
        .into_iter()
        .flatten()
        .find_map(|(hi, lo)| match reach.get(hi) {
            Some(&best) if best > lo => Some(best - 1),
            _ => None,
        })
}

/// [`matches`] for pieces with several parameters, in O(pieces x len) steps and memory.
///
/// Row `i` of the table says, for every position `x`, whether `pieces[i..]` match `s[x..]` up to
/// `end`; it is stored as a running maximum (1 + the largest such `x' <= x`), so "does the rest
/// match from some candidate end of this parameter" is one lookup per candidate range, and the
/// winning end (the largest in the range, as a greedy quantifier backtracks from the longest) is
/// that maximum. Rows are filled from the last piece backwards; only character boundaries count.
fn table_match<'p, S: Sink<'p> + ?Sized>(
    pieces: &[Piece],
    s: &'p str,
    end: End,
    slot: usize,
    sink: &mut S,
) -> bool {
    let b = s.as_bytes();
    let width = b.len() + 1;
    let mut runs = Runs {
        bytes: b,
        tables: [None, None, None],
    };
    for piece in pieces {
        if let Piece::Param(conv) = piece {
            for run in conv.runs() {
                runs.prepare(*run);
            }
        }
    }
    let mut reach = vec![0usize; (pieces.len() + 1) * width];
    // The last row: where the end rule accepts.
    let (rows, last) = reach.split_at_mut(pieces.len() * width);
    fill(last, |x| end.accepts(s, x));
    let mut next: &[usize] = last;
    let mut rest = rows;
    for piece in pieces.iter().rev() {
        let (before, row) = rest.split_at_mut(rest.len() - width);
        let good = |y: usize| next.get(y) == Some(&(y + 1));
        match piece {
            Piece::Literal(lit) => fill(row, |x| {
                b.get(x..).is_some_and(|t| t.starts_with(lit.as_bytes())) && good(x + lit.len())
            }),
            Piece::Param(conv) => fill(row, |x| {
                is_boundary(b, x)
                    && first_good(conv.candidates(b, x, |r, f| runs.end(r, f)), next).is_some()
            }),
        }
        next = row;
        rest = before;
    }
    if reach.first() != Some(&1) {
        return false;
    }
    // Read the first match off the table.
    let (mut pos, mut slot) = (0, slot);
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(lit) => pos += lit.len(),
            Piece::Param(conv) => {
                let row = reach
                    .get((i + 1) * width..(i + 2) * width)
                    .unwrap_or_default();
                let cands = conv.candidates(b, pos, |r, f| runs.end(r, f));
                let Some(stop) = first_good(cands, row) else {
                    return false;
                };
                if let Some(value) = s.get(pos..stop) {
                    sink.capture(slot, value);
                }
                slot += 1;
                pos = stop;
            }
        }
    }
    true
}

/// Fills `row` with the running maximum of `good`: `row[x]` = 1 + the largest `x' <= x` with
/// `good(x')`, or 0.
fn fill(row: &mut [usize], good: impl Fn(usize) -> bool) {
    step(row.len());
    let mut best = 0;
    for (x, cell) in row.iter_mut().enumerate() {
        if good(x) {
            best = x + 1;
        }
        *cell = best;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::super::convertors::Convertor;
    use super::*;

    const LITERALS: [&str; 7] = ["-", ".", "é", "x", "/", "1", ".json"];
    const CONVERTORS: [Convertor; 5] = [
        Convertor::Str,
        Convertor::Path,
        Convertor::Int,
        Convertor::Float,
        Convertor::Uuid,
    ];
    const UNITS: [&str; 12] = [
        "-",
        "1",
        "1.",
        ".",
        "é",
        "a",
        "/",
        "x",
        ".json",
        "\n",
        "0.5",
        "ffffffff-",
    ];

    fn pieces(spec: &[(bool, u8)]) -> Vec<Piece> {
        let mut out: Vec<Piece> = Vec::new();
        for &(param, pick) in spec {
            if param {
                out.push(Piece::Param(CONVERTORS[pick as usize % CONVERTORS.len()]));
            } else {
                let lit = LITERALS[pick as usize % LITERALS.len()];
                // Adjacent literals are one literal in a parsed template.
                if let Some(Piece::Literal(prev)) = out.last_mut() {
                    *prev = format!("{prev}{lit}").into();
                } else {
                    out.push(Piece::Literal(lit.into()));
                }
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// The table finds the same first match (same captures) as unbounded backtracking.
        #[test]
        fn table_agrees_with_backtracking(
            spec in prop::collection::vec((any::<bool>(), any::<u8>()), 0..7),
            units in prop::collection::vec(0..UNITS.len(), 0..24),
            dollar in any::<bool>(),
        ) {
            let pieces = pieces(&spec);
            let subject: String = units.iter().map(|&u| UNITS[u]).collect();
            let end = if dollar { End::Dollar } else { End::Exact };
            let slots = pieces.len();
            let mut want = vec!["<unset>"; slots];
            let mut unbounded = usize::MAX;
            let expected = go(&pieces, &subject, 0, end, 0, &mut want[..], &mut unbounded);
            let mut got = vec!["<unset>"; slots];
            let matched = table_match(&pieces, &subject, end, 0, &mut got[..]);
            prop_assert_eq!(Some(matched), expected, "{:?} on {:?}", pieces, subject);
            prop_assert_eq!(got, want, "{:?} on {:?}", pieces, subject);
        }
    }
}
