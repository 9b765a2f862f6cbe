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
    /// backtracking regex engine tries them; `limit` bounds the subject (`limit <= s.len()`).
    #[inline]
    pub fn ends(self, s: &str, pos: usize, limit: usize) -> Ends<'_> {
        let b = s.as_bytes().get(..limit).unwrap_or_default();
        let run = |from: usize, keep: fn(u8) -> bool| {
            b.get(from..)
                .map_or(0, |t| t.iter().take_while(|&&c| keep(c)).count())
        };
        match self {
            Self::Str => Ends::range(b, pos + run(pos, |c| c != b'/'), pos + 1),
            Self::Path => Ends::range(b, pos + run(pos, |c| c != b'\n'), pos),
            Self::Int => Ends::range(b, pos + run(pos, |c| c.is_ascii_digit()), pos + 1),
            Self::Float => {
                let int_end = pos + run(pos, |c| c.is_ascii_digit());
                let frac = if b.get(int_end) == Some(&b'.') {
                    run(int_end + 1, |c| c.is_ascii_digit())
                } else {
                    0
                };
                let mut ends = Ends::range(b, int_end, pos + 1);
                if int_end > pos && frac > 0 {
                    ends.then = ends.first;
                    ends.first = Some((int_end + 1 + frac, int_end + 2));
                }
                ends
            }
            Self::Uuid => match uuid_end(b, pos) {
                Some(end) => Ends::range(b, end, end),
                None => Ends::range(b, 0, 1),
            },
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

/// End positions, longest first: a descending inclusive range, then possibly a second one.
/// Positions inside a multi-byte character are skipped (Python matches characters, not bytes).
pub struct Ends<'a> {
    bytes: &'a [u8],
    first: Option<(usize, usize)>,
    then: Option<(usize, usize)>,
}

impl<'a> Ends<'a> {
    /// `hi, hi - 1, ..., lo`; empty when `hi < lo`.
    fn range(bytes: &'a [u8], hi: usize, lo: usize) -> Self {
        Self {
            bytes,
            first: (hi >= lo).then_some((hi, lo)),
            then: None,
        }
    }
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
