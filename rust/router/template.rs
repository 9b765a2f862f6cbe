//! Route templates: starlette's `compile_path` for route paths, without building a regex.
//!
//! A template is parsed into [`Piece`]s (literal text and typed parameters), exactly as
//! `PARAM_REGEX.finditer` would split it, then cut into `/`-separated segments for the trie.

use super::convertors::Convertor;
use super::RouteError;

/// One piece of a template: literal text matched exactly, or a parameter matched by its
/// convertor's regex.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Piece {
    Literal(Box<str>),
    Param(Convertor),
}

/// A parsed template: its pieces and, in template order, the names of its parameters.
#[derive(Clone, Debug)]
pub struct Template {
    pub pieces: Vec<Piece>,
    pub names: Vec<Box<str>>,
}

/// One `/`-separated segment of a template that holds no `path` parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Literal text only (possibly empty, as the segment after a trailing `/`).
    Static(Box<str>),
    /// At least one parameter; the pieces hold no `/`.
    Complex(Box<[Piece]>),
}

/// A template cut for the trie: leading segments, each aligned with one segment of a matching
/// path, then (from the segment holding the first `path` parameter on) a tail matched as a whole,
/// because `.*` may swallow any number of `/`.
#[derive(Clone, Debug)]
pub struct Segmented {
    pub segments: Vec<Segment>,
    pub tail: Option<Box<[Piece]>>,
}

/// `[a-zA-Z_][a-zA-Z0-9_]*` at the start of `s`: its length in bytes (0 when absent).
fn identifier_len(s: &[u8]) -> usize {
    match s.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
            1 + s
                .iter()
                .skip(1)
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        _ => 0,
    }
}

/// `{name}` or `{name:type}` at the start of `s` (the PARAM_REGEX of starlette): the name, the
/// type (None: the default `str`) and the length of the whole match.
fn param_at(s: &str) -> Option<(&str, Option<&str>, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let name_end = 1 + identifier_len(b.get(1..)?);
    if name_end == 1 {
        return None;
    }
    let mut end = name_end;
    let mut kind = None;
    if b.get(end) == Some(&b':') {
        let kind_len = identifier_len(b.get(end + 1..)?);
        if kind_len > 0 {
            kind = s.get(end + 1..end + 1 + kind_len);
            end += 1 + kind_len;
        }
    }
    // The regex has no alternative once `}` is missing: a shorter name or type would leave an
    // identifier character, not `}`, at this position.
    if b.get(end) != Some(&b'}') {
        return None;
    }
    Some((s.get(1..name_end)?, kind, end + 1))
}

/// Parse `template` as starlette's `compile_path` does: unknown convertors and duplicated
/// parameter names are errors (starlette raises AssertionError / ValueError at startup).
pub fn parse(template: &str) -> Result<Template, RouteError> {
    let mut pieces = Vec::new();
    let mut names: Vec<Box<str>> = Vec::new();
    let mut duplicated: Vec<&str> = Vec::new();
    let mut literal_start = 0;
    let mut pos = 0;
    while pos < template.len() {
        let rest = template.get(pos..).unwrap_or_default();
        let Some((name, kind, len)) = param_at(rest) else {
            // finditer retries one character further on.
            pos += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let kind = kind.unwrap_or("str");
        let convertor = Convertor::from_name(kind).ok_or_else(|| RouteError::UnknownConvertor {
            template: template.into(),
            convertor: kind.into(),
        })?;
        if let Some(text) = template.get(literal_start..pos).filter(|t| !t.is_empty()) {
            pieces.push(Piece::Literal(text.into()));
        }
        pieces.push(Piece::Param(convertor));
        if names.iter().any(|n| &**n == name) && !duplicated.contains(&name) {
            duplicated.push(name);
        }
        names.push(name.into());
        pos += len;
        literal_start = pos;
    }
    if let Some(text) = template.get(literal_start..).filter(|t| !t.is_empty()) {
        pieces.push(Piece::Literal(text.into()));
    }
    if !duplicated.is_empty() {
        duplicated.sort_unstable();
        return Err(RouteError::DuplicatedParams {
            template: template.into(),
            names: duplicated.join(", "),
            plural: duplicated.len() > 1,
        });
    }
    Ok(Template { pieces, names })
}

/// Cut the pieces of a template that starts with `/` into trie segments and an optional tail.
pub fn segment(pieces: &[Piece]) -> Segmented {
    let mut segments = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    let mut first = true;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(text) => {
                let mut text: &str = text;
                if first {
                    // The leading `/` opens the first segment rather than closing one.
                    text = text.strip_prefix('/').unwrap_or(text);
                    first = false;
                }
                let mut parts = text.split('/');
                if let Some(head) = parts.next().filter(|h| !h.is_empty()) {
                    current.push(Piece::Literal(head.into()));
                }
                for part in parts {
                    segments.push(close(std::mem::take(&mut current)));
                    if !part.is_empty() {
                        current.push(Piece::Literal(part.into()));
                    }
                }
            }
            Piece::Param(Convertor::Path) => {
                current.extend(pieces.iter().skip(i).cloned());
                return Segmented {
                    segments,
                    tail: Some(current.into()),
                };
            }
            Piece::Param(_) => {
                first = false;
                current.push(piece.clone());
            }
        }
    }
    segments.push(close(current));
    Segmented {
        segments,
        tail: None,
    }
}

/// A finished segment: static when it holds literals only.
fn close(pieces: Vec<Piece>) -> Segment {
    if pieces.iter().all(|p| matches!(p, Piece::Literal(_))) {
        let mut text = String::new();
        for piece in &pieces {
            if let Piece::Literal(t) = piece {
                text.push_str(t);
            }
        }
        Segment::Static(text.into())
    } else {
        Segment::Complex(pieces.into())
    }
}

/// The number of parameters among `pieces`.
pub fn param_count(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .filter(|p| matches!(p, Piece::Param(_)))
        .count()
}
