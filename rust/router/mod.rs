//! The route table: starlette's ordered route scan, compiled into a trie.
//!
//! starlette tries each route's regex in registration order: the first FULL match wins, else the
//! first PARTIAL one (path matched, method not: 405), else with `redirect_slashes` the other form
//! of the path is probed for a redirect. [`RouteTable`] gives the same answers, parameters
//! included, at a cost that does not grow with the number of routes: templates are parsed once
//! (`template`), cut into segments stored in a trie (`trie`), and a lookup walks the trie for the
//! LOWEST-rank match (`resolve`) -- registration order, not "static before parameter". `oracle`
//! is the naive scan the trie is property-tested against: compiled only in test builds and with
//! the `oracle` feature (the fuzz crate's), never into the extension.

use std::borrow::Cow;
use std::fmt;

#[cfg(test)]
mod complexity_tests;
mod convertors;
mod matcher;
#[cfg(any(test, feature = "oracle"))]
pub mod oracle;
#[cfg(test)]
mod oracle_proptest;
mod resolve;
mod route;
mod template;
#[cfg(test)]
mod tests;
mod trie;

pub use convertors::Convertor;
pub use route::Route;

use route::MethodSet;
use template::{parse, segment};
use trie::Trie;

/// What kind of starlette route a spec stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Route`: http scopes only; PARTIAL when the method is not in its set.
    Http,
    /// `WebSocketRoute`: websocket scopes only, always FULL.
    WebSocket,
    /// `Mount`: `path.rstrip("/") + "/{path:path}"`, http and websocket scopes, always FULL.
    Mount,
}

/// The ASGI scope type of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Http,
    WebSocket,
}

/// One route as the Python side describes it.
#[derive(Clone, Debug)]
pub struct Spec<'a> {
    /// Position in the caller's route list: lower wins. Unique, not necessarily contiguous.
    pub index: usize,
    pub template: &'a str,
    pub kind: Kind,
    /// None (or empty): any method is FULL.
    pub methods: Option<Vec<String>>,
}

/// Why a table could not be built. Each names the offending template, since startup is where a
/// developer reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// A route template not starting with `/` (a mount's may also be empty), as starlette asserts.
    NotRooted { template: Box<str>, kind: Kind },
    /// `{x:name}` with a convertor starlette does not know.
    UnknownConvertor {
        template: Box<str>,
        convertor: Box<str>,
    },
    /// The same parameter name twice in one template (starlette's own ValueError).
    DuplicatedParams {
        template: Box<str>,
        names: String,
        plural: bool,
    },
    /// Two specs with one index: their relative order would be undefined.
    DuplicateIndex { index: usize, template: Box<str> },
    /// More routes than ranks (u32) can number.
    TooManyRoutes,
}

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRooted {
                template,
                kind: Kind::Mount,
            } => {
                write!(f, "Mount path {template:?} must be empty or start with '/'")
            }
            Self::NotRooted { template, .. } => {
                write!(f, "Routed paths must start with '/': {template:?}")
            }
            Self::UnknownConvertor {
                template,
                convertor,
            } => {
                write!(
                    f,
                    "Unknown path convertor '{convertor}' in route {template:?}"
                )
            }
            Self::DuplicatedParams {
                template,
                names,
                plural,
            } => {
                let s = if *plural { "s" } else { "" };
                write!(f, "Duplicated param name{s} {names} at path {template}")
            }
            Self::DuplicateIndex { index, template } => {
                write!(f, "Duplicate route index {index} (route {template:?})")
            }
            Self::TooManyRoutes => write!(f, "Too many routes"),
        }
    }
}

impl std::error::Error for RouteError {}

/// A matched route and the path it matched, for recovering its parameters.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'t, 'p> {
    /// The route's position among the table's routes (0-based, by ascending index).
    pub rank: usize,
    pub route: &'t Route,
    pub path: &'p str,
}

impl<'p> Hit<'_, 'p> {
    /// Fill `out` (at least one cell per parameter of the route) with the raw values, in template
    /// order. False only if the trie and the route's own matcher disagree (a bug).
    pub fn captures(&self, out: &mut [&'p str]) -> bool {
        self.route.captures(self.path, out)
    }
}

/// The answer to one request.
#[derive(Debug)]
pub enum Outcome<'t, 'p> {
    /// The lowest-index FULL match.
    Found(Hit<'t, 'p>),
    /// No FULL match; the lowest-index PARTIAL one (405).
    MethodNotAllowed(Hit<'t, 'p>),
    /// Nothing matched, but route `index` matches `path`, the other trailing-slash form.
    Redirect {
        index: usize,
        path: Cow<'p, str>,
    },
    NotFound,
}

/// A frozen route table; lookups take `&self` and never lock.
#[derive(Debug)]
pub struct RouteTable {
    /// By rank (ascending index).
    routes: Vec<Route>,
    http: Trie,
    websocket: Trie,
    redirect_slashes: bool,
}

impl RouteTable {
    /// Compile `specs`; their order is irrelevant, `index` decides precedence.
    pub fn new<'a>(
        specs: impl IntoIterator<Item = Spec<'a>>,
        redirect_slashes: bool,
    ) -> Result<Self, RouteError> {
        let mut specs: Vec<Spec<'a>> = specs.into_iter().collect();
        specs.sort_by_key(|s| s.index);
        if let Some(pair) = specs
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.index == b.index))
        {
            if let Some(dup) = pair.get(1) {
                return Err(RouteError::DuplicateIndex {
                    index: dup.index,
                    template: dup.template.into(),
                });
            }
        }
        let mut table = Self {
            routes: Vec::with_capacity(specs.len()),
            http: Trie::new(),
            websocket: Trie::new(),
            redirect_slashes,
        };
        for spec in specs {
            let route = compile(&spec)?;
            let rank = u32::try_from(table.routes.len())
                .ok()
                .filter(|r| *r != trie::NONE)
                .ok_or(RouteError::TooManyRoutes)?;
            if route.kind != Kind::WebSocket {
                table.http.insert(rank, &route.segmented);
            }
            if route.kind != Kind::Http {
                table.websocket.insert(rank, &route.segmented);
            }
            table.routes.push(route);
        }
        table.http.finish();
        table.websocket.finish();
        Ok(table)
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The largest number of parameters of any route (the size of a capture buffer).
    pub fn max_params(&self) -> usize {
        self.routes.iter().map(|r| r.names.len()).max().unwrap_or(0)
    }

    /// The routes, by ascending index.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }
}

/// One spec -> one route: starlette's `compile_path` plus the trie cut.
fn compile(spec: &Spec<'_>) -> Result<Route, RouteError> {
    let rooted =
        spec.template.starts_with('/') || (spec.kind == Kind::Mount && spec.template.is_empty());
    if !rooted {
        return Err(RouteError::NotRooted {
            template: spec.template.into(),
            kind: spec.kind,
        });
    }
    let full: Cow<'_, str> = match spec.kind {
        Kind::Mount => format!("{}/{{path:path}}", spec.template.trim_end_matches('/')).into(),
        _ => spec.template.into(),
    };
    let parsed = parse(&full)?;
    let convertors = parsed
        .pieces
        .iter()
        .filter_map(|p| match p {
            template::Piece::Param(c) => Some(*c),
            template::Piece::Literal(_) => None,
        })
        .collect();
    let methods = match spec.kind {
        Kind::Http => MethodSet::new(spec.methods.as_deref()),
        _ => MethodSet::Any,
    };
    Ok(Route {
        index: spec.index,
        kind: spec.kind,
        names: parsed.names.into(),
        convertors,
        methods,
        segmented: segment(&parsed.pieces),
    })
}
