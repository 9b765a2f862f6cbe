//! starlette's path convertors, as the ordered list of places where each one's regex may stop.
//!
//! A regex backtracker tries a greedy quantifier's longest match first, then shorter ones. For the
//! five convertors this order is simply "every end position, longest first": `[^/]+`, `.*` and
//! `[0-9]+` may stop after any character of their run; `[0-9]+(\.[0-9]+)?` tries the fraction
//! (longest first) before giving up digits; the uuid regex has at most one match (each `-?` must
//! take a `-` when one is there, since a `-` is not hex). [`Ends`] yields those positions.

/// A parameter type of starlette's `CONVERTOR_TYPES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Convertor {
    /// `[^/]+`, value kept as a str.
    Str,
    /// `.*` (no newline, as `.` in Python's `re`), value kept as a str.
    Path,
    /// `[0-9]+`, value converted with `int()`.
    Int,
    /// `[0-9]+(\.[0-9]+)?`, value converted with `float()`.
    Float,
    /// 8-4-4-4-12 hex digits, each `-` optional, value converted with `uuid.UUID()`.
    Uuid,
}

impl Convertor {
    /// The convertor a template names (`{x:int}`), if starlette knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "str" => Self::Str,
            "path" => Self::Path,
            "int" => Self::Int,
            "float" => Self::Float,
            "uuid" => Self::Uuid,
            _ => return None,
        })
    }

    /// The positions where this convertor's match starting at `pos` may end, in the order a
    /// backtracking regex engine tries them; `limit` bounds the subject (`limit <= s.len())`.
    #[inline]
    pub fn ends(self, s: &str, pos: usize, limit: usize) -> Ends<'_> {
        let b = s.as_bytes().get(..limit).unwrap_or_default();
        let run_end = |run: Run, from: usize| {
            let len = b
                .get(from..)
                .map_or(0, |t| t.iter().take_while(|&&c| run.keeps(c)).count());
            super::matcher::step(len);
            from + len
        };
        let Candidates { first, then } = self.candidates(b, pos, run_end);
        Ends {
            bytes: b,
            first,
            then,
        }
    }

    /// The end positions of this convertor's match starting at `pos`, as at most two descending
    /// ranges; `run_end(run, from)` is the index of the first byte at or after `from` that is
    /// not in `run` (`b.len()` if none), so a caller may scan or look up precomputed runs.
    #[inline]
    pub fn candidates(
        self,
        b: &[u8],
        pos: usize,
        run_end: impl Fn(Run, usize) -> usize,
    ) -> Candidates {
        let range = |hi: usize, lo: usize| (hi >= lo).then_some((hi, lo));
        let one = |hi, lo| Candidates {
            first: range(hi, lo),
            then: None,
        };
        match self {
            Self::Str => one(run_end(Run::NotSlash, pos), pos + 1),
            Self::Path => one(run_end(Run::NotNewline, pos), pos),
            Self::Int => one(run_end(Run::Digits, pos), pos + 1),
            Self::Float => {
                let int_end = run_end(Run::Digits, pos);
                let frac_end = if int_end > pos && b.get(int_end) == Some(&b'.') {
                    run_end(Run::Digits, int_end + 1)
                } else {
                    int_end
                };
                if frac_end > int_end + 1 {
                    // `(\.[0-9]+)?` is tried first, longest fraction first, then skipped.
                    Candidates {
                        first: range(frac_end, int_end + 2),
                        then: range(int_end, pos + 1),
                    }
                } else {
                    one(int_end, pos + 1)
                }
            }
            Self::Uuid => match uuid_end(b, pos) {
                Some(end) => one(end, end),
                None => Candidates::default(),
            },
        }
    }
}

/// A byte class whose maximal run bounds a convertor's match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// `[^/]`.
    NotSlash,
    /// `.` of Python's `re`: anything but a newline.
    NotNewline,
    /// `[0-9]`.
    Digits,
}

impl Run {
    /// Whether byte `c` continues the run.
    #[inline]
    pub fn keeps(self, c: u8) -> bool {
        match self {
            Self::NotSlash => c != b'/',
            Self::NotNewline => c != b'\n',
            Self::Digits => c.is_ascii_digit(),
        }
    }
}

/// Where a convertor's match may end: a descending inclusive range `(hi, lo)` tried first, then
/// possibly a second one (only a float's: with the fraction, then without it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    pub first: Option<(usize, usize)>,
    pub then: Option<(usize, usize)>,
}

impl Convertor {
    /// The runs [`Convertor::candidates`] asks `run_end` about.
    pub fn runs(self) -> &'static [Run] {
        match self {
            Self::Str => &[Run::NotSlash],
            Self::Path => &[Run::NotNewline],
            Self::Int | Self::Float => &[Run::Digits],
            Self::Uuid => &[],
        }
    }
}

/// The end of the uuid regex's only possible match at `pos`, if any.
fn uuid_end(b: &[u8], mut pos: usize) -> Option<usize> {
    for (i, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 && b.get(pos) == Some(&b'-') {
            pos += 1;
        }
        let hex = b.get(pos..pos + len)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        pos += len;
    }
    Some(pos)
}

/// End positions, longest first: [`Candidates`] as an iterator. Positions inside a multi-byte
/// character are skipped (Python matches characters, not bytes).
pub struct Ends<'a> {
    bytes: &'a [u8],
    first: Option<(usize, usize)>,
    then: Option<(usize, usize)>,
}

impl Iterator for Ends<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            let (hi, lo) = match self.first {
                Some(r) => r,
                None => {
                    self.first = Some(self.then.take()?);
                    continue;
                }
            };
            self.first = (hi > lo).then(|| (hi - 1, lo));
            // A UTF-8 continuation byte (0b10xx_xxxx) never starts a character.
            if self.bytes.get(hi).is_none_or(|&c| (c as i8) >= -0x40) {
                return Some(hi);
            }
        }
    }
}
