//! The naive ordered matcher: starlette's `Router.app` scan, one template at a time.
//!
//! Deliberately written apart from the trie and its matcher: it works on characters, matches the
//! whole template (slashes included) at once, and decides what each convertor accepts with a
//! predicate on the candidate text instead of measuring runs. Property tests compare the two.

use super::convertors::Convertor;
use super::template::{parse, Piece};
use super::{Kind, RouteError, Scope};

/// One route of the oracle: the full template (a mount's includes `/{path:path}`).
pub struct OracleRoute {
    pub index: usize,
    pub kind: Kind,
    pub methods: Option<Vec<String>>,
    pieces: Vec<Piece>,
    names: Vec<Box<str>>,
}

/// What the oracle decides, with the parameters as `(name, raw text)` in template order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OracleOutcome {
    Found(usize, Vec<(String, String)>),
    MethodNotAllowed(usize, Vec<(String, String)>),
    Redirect(usize, String),
    NotFound,
}

impl OracleRoute {
    pub fn new(
        index: usize,
        template: &str,
        kind: Kind,
        methods: Option<Vec<String>>,
    ) -> Result<Self, RouteError> {
        let full = match kind {
            Kind::Mount => format!("{}/{{path:path}}", template.trim_end_matches('/')),
            _ => template.to_owned(),
        };
        let parsed = parse(&full)?;
        Ok(Self {
            index,
            kind,
            methods,
            pieces: parsed.pieces,
            names: parsed.names,
        })
    }

    /// `route.matches(scope)`: None, or (full?, params). An `int` parameter of more than
    /// `max_int_digits` characters fails the match (where starlette's `int()` would raise).
    fn matches(
        &self,
        scope: Scope,
        method: &str,
        path: &str,
        max_int_digits: Option<usize>,
    ) -> Option<(bool, Vec<(String, String)>)> {
        let applies = match self.kind {
            Kind::Http => scope == Scope::Http,
            Kind::WebSocket => scope == Scope::WebSocket,
            Kind::Mount => true,
        };
        if !applies {
            return None;
        }
        let chars: Vec<char> = path.chars().collect();
        let mut spans = Vec::new();
        if !backtrack(&self.pieces, &chars, 0, &mut spans) {
            return None;
        }
        spans.reverse();
        let params_pieces = self.pieces.iter().filter_map(|p| match p {
            Piece::Param(conv) => Some(*conv),
            Piece::Literal(_) => None,
        });
        if let Some(limit) = max_int_digits {
            let too_long = params_pieces
                .zip(&spans)
                .any(|(conv, (a, b))| conv == Convertor::Int && b - a > limit);
            if too_long {
                return None;
            }
        }
        let params = self
            .names
            .iter()
            .zip(spans)
            .map(|(n, (a, b))| {
                (
                    n.to_string(),
                    chars.get(a..b).unwrap_or_default().iter().collect(),
                )
            })
            .collect();
        let full = match (&self.kind, &self.methods) {
            (Kind::Http, Some(m)) if !m.is_empty() => m.iter().any(|x| x == method),
            _ => true,
        };
        Some((full, params))
    }
}

/// Does `text` match the convertor's regex entirely?
fn accepts(conv: Convertor, text: &[char]) -> bool {
    let digits = |t: &[char]| !t.is_empty() && t.iter().all(char::is_ascii_digit);
    match conv {
        Convertor::Str => !text.is_empty() && !text.contains(&'/'),
        Convertor::Path => !text.contains(&'\n'),
        Convertor::Int => digits(text),
        Convertor::Float => match text.iter().position(|&c| c == '.') {
            Some(dot) => digits(&text[..dot]) && digits(&text[dot + 1..]),
            None => digits(text),
        },
        Convertor::Uuid => {
            // 8-4-4-4-12 hex digits; before each group but the first, at most one `-`.
            let mut rest = text;
            for (i, len) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
                if i > 0 {
                    if let Some(('-', after)) = rest.split_first().map(|(c, a)| (*c, a)) {
                        rest = after;
                    }
                }
                match rest.get(..len) {
                    Some(group) if group.iter().all(char::is_ascii_hexdigit) => rest = &rest[len..],
                    _ => return false,
                }
            }
            rest.is_empty()
        }
    }
}

/// Match `pieces` against `s[pos..]` then `$`; pushes `(start, end)` of each parameter, last
/// parameter first, on success.
fn backtrack(pieces: &[Piece], s: &[char], pos: usize, spans: &mut Vec<(usize, usize)>) -> bool {
    match pieces.split_first() {
        None => pos == s.len() || (pos + 1 == s.len() && s[pos] == '\n'),
        Some((Piece::Literal(lit), rest)) => {
            let lit: Vec<char> = lit.chars().collect();
            s.get(pos..pos + lit.len()) == Some(&lit[..])
                && backtrack(rest, s, pos + lit.len(), spans)
        }
        Some((Piece::Param(conv), rest)) => {
            for end in (pos..=s.len()).rev() {
                if accepts(*conv, &s[pos..end]) && backtrack(rest, s, end, spans) {
                    spans.push((pos, end));
                    return true;
                }
            }
            false
        }
    }
}

/// starlette's `Router.app` decision over `routes` (sorted by index).
pub fn resolve(
    routes: &[OracleRoute],
    redirect_slashes: bool,
    scope: Scope,
    method: &str,
    path: &str,
) -> OracleOutcome {
    resolve_limited(routes, redirect_slashes, scope, method, path, None)
}

/// [`resolve`] where an `int` parameter longer than `max_int_digits` fails its route's match.
pub fn resolve_limited(
    routes: &[OracleRoute],
    redirect_slashes: bool,
    scope: Scope,
    method: &str,
    path: &str,
    max_int_digits: Option<usize>,
) -> OracleOutcome {
    let mut partial = None;
    for route in routes {
        match route.matches(scope, method, path, max_int_digits) {
            Some((true, params)) => return OracleOutcome::Found(route.index, params),
            Some((false, params)) if partial.is_none() => partial = Some((route.index, params)),
            _ => {}
        }
    }
    if let Some((index, params)) = partial {
        return OracleOutcome::MethodNotAllowed(index, params);
    }
    if scope == Scope::Http && redirect_slashes && path != "/" {
        let other = if path.ends_with('/') {
            path.trim_end_matches('/').to_owned()
        } else {
            format!("{path}/")
        };
        for route in routes {
            if route
                .matches(scope, method, &other, max_int_digits)
                .is_some()
            {
                return OracleOutcome::Redirect(route.index, other);
            }
        }
    }
    OracleOutcome::NotFound
}

/// The bare probe: does any route match `path` at all?
pub fn matches_any(
    routes: &[OracleRoute],
    scope: Scope,
    path: &str,
    max_int_digits: Option<usize>,
) -> bool {
    routes
        .iter()
        .any(|r| r.matches(scope, "", path, max_int_digits).is_some())
}
