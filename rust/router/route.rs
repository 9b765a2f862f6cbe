//! One compiled route: its kind, its method set, its template cut into segments, and the
//! recovery of its parameters once the trie has chosen it.

use super::convertors::Convertor;
use super::matcher::{matches, End};
use super::template::{param_count, Segment, Segmented};
use super::Kind;

/// The methods a route answers FULL for; every other method is a PARTIAL match (405).
#[derive(Clone, Debug)]
pub enum MethodSet {
    /// No restriction: `methods` was None or empty (starlette tests `if self.methods`).
    Any,
    /// Standard methods as bits of a mask, anything else compared as text.
    Some { known: u16, other: Box<[Box<str>]> },
}

/// Methods common enough to get a bit: one compare instead of string comparisons per route.
const KNOWN: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];

#[inline]
fn known_bit(method: &str) -> Option<u16> {
    KNOWN.iter().position(|m| *m == method).map(|i| 1 << i)
}

impl MethodSet {
    /// The set for a spec's `methods`, compared exactly as given (the caller passes the route's
    /// final set: starlette's `Route` already upper-cased it and added HEAD, FastAPI's does not).
    pub fn new(methods: Option<&[String]>) -> Self {
        let Some(methods) = methods.filter(|m| !m.is_empty()) else {
            return Self::Any;
        };
        let mut known = 0;
        let mut other = Vec::new();
        for method in methods {
            match known_bit(method) {
                Some(bit) => known |= bit,
                None => other.push(method.as_str().into()),
            }
        }
        Self::Some {
            known,
            other: other.into(),
        }
    }

    /// Whether `method` gets a FULL match.
    #[inline]
    pub fn allows(&self, method: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Some { known, other } => match known_bit(method) {
                Some(bit) => known & bit != 0,
                None => other.iter().any(|m| &**m == method),
            },
        }
    }
}

/// A route of the table, ready for matching.
#[derive(Clone, Debug)]
pub struct Route {
    /// The position the caller gave (what `resolve` reports).
    pub index: usize,
    pub kind: Kind,
    /// Parameter names, in template order (a mount's last one is `path`).
    pub names: Box<[Box<str>]>,
    /// Parameter convertors, parallel to `names`.
    pub convertors: Box<[Convertor]>,
    pub methods: MethodSet,
    pub segmented: Segmented,
}

/// The segment at the start of `rest` and what follows its `/` (None: it is the last one).
#[inline]
pub fn split_segment(rest: &str) -> (&str, Option<&str>) {
    match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or_default(), rest.get(i + 1..)),
        None => (rest, None),
    }
}

impl Route {
    /// Fill `out` (one cell per parameter) with this route's raw parameter values for `path`.
    /// Only called for a route the trie found matching; false would mean the two disagree.
    pub fn captures<'p>(&self, path: &'p str, out: &mut [&'p str]) -> bool {
        let mut rest = path.strip_prefix('/');
        let mut slot = 0;
        for segment in self.segmented.segments.iter() {
            let Some(here) = rest else { return false };
            let (text, next) = split_segment(here);
            if let Segment::Complex(pieces) = segment {
                let end = if next.is_some() {
                    End::Exact
                } else {
                    End::Dollar
                };
                if !matches(pieces, text, end, slot, out) {
                    return false;
                }
                slot += param_count(pieces);
            }
            rest = next;
        }
        match (&self.segmented.tail, rest) {
            (Some(tail), Some(here)) => matches(tail, here, End::Dollar, slot, out),
            (None, None) => true,
            _ => false,
        }
    }
}
