//! Resolution: one walk of the trie for the lowest-rank FULL and PARTIAL matches, then (only
//! when nothing matched) the redirect_slashes probe with the other form of the path.
//!
//! An `int` parameter longer than the caller's digit limit (Python's `int_max_str_digits`, which
//! makes starlette's `int()` raise and FastAPI answer 500) makes its route not match, as if its
//! regex had failed: the search goes on to the next candidate, and ends in 404 if none is left.

use std::borrow::Cow;

use super::convertors::Convertor;
use super::matcher::{matches, End, NoCaptures};
use super::route::{split_segment, Route};
use super::trie::{Node, Trie, NONE};
use super::{Hit, Outcome, RouteTable, Scope};

/// The state of one walk. `method` None is the probe mode: every match counts as FULL.
struct Search<'t, 'm> {
    trie: &'t Trie,
    routes: &'t [Route],
    method: Option<&'m str>,
    /// The whole path, for checking `int` parameters against `max_int_digits`.
    path: &'m str,
    max_int_digits: Option<usize>,
    best_full: u32,
    best_partial: u32,
}

impl Search<'_, '_> {
    fn offer(&mut self, rank: u32) {
        let route = self.routes.get(rank as usize);
        if let (Some(limit), Some(route)) = (self.max_int_digits, route) {
            if self.path.len() > limit && int_too_long(route, self.path, limit) {
                return;
            }
        }
        let full = match (self.method, route) {
            (Some(method), Some(route)) => route.methods.allows(method),
            _ => true,
        };
        if full {
            self.best_full = self.best_full.min(rank);
        } else {
            self.best_partial = self.best_partial.min(rank);
        }
    }

    fn node(&self, id: u32) -> Option<&Node> {
        self.trie.nodes.get(id as usize)
    }

    /// Visit `node`, `rest` being the path after the `/` that opens the next segment (None once
    /// every segment is consumed). Candidates above `best_full` are skipped, never tested.
    fn walk(&mut self, id: u32, rest: Option<&str>) {
        let trie = self.trie;
        let Some(node) = trie.nodes.get(id as usize) else {
            return;
        };
        if node.min_rank >= self.best_full {
            return;
        }
        let Some(rest) = rest else {
            for &rank in &node.ends {
                if rank >= self.best_full {
                    break;
                }
                self.offer(rank);
            }
            return;
        };
        for (rank, tail) in &node.tails {
            if *rank >= self.best_full {
                break;
            }
            if matches(tail, rest, End::Dollar, 0, &mut NoCaptures) {
                self.offer(*rank);
            }
        }
        let (segment, next) = split_segment(rest);
        if let Some(&child) = node.statics.get(segment) {
            self.walk(child, next);
        }
        let end = if next.is_some() {
            End::Exact
        } else {
            // Python's `$` also matches before a final newline: "/a\n" matches "/a".
            if let Some(stripped) = segment.strip_suffix('\n') {
                if let Some(&child) = node.statics.get(stripped) {
                    self.walk(child, None);
                }
            }
            End::Dollar
        };
        for (pieces, child) in &node.complex {
            if self
                .node(*child)
                .is_none_or(|c| c.min_rank >= self.best_full)
            {
                break;
            }
            if matches(pieces, segment, end, 0, &mut NoCaptures) {
                self.walk(*child, next);
            }
        }
    }
}

/// Whether one of `route`'s `int` parameters in `path` has more than `limit` digits (a route
/// the trie found matching; rare: only called for paths longer than the limit).
#[cold]
fn int_too_long(route: &Route, path: &str, limit: usize) -> bool {
    if !route.convertors.contains(&Convertor::Int) {
        return false;
    }
    let mut values = vec![""; route.names.len()];
    route.captures(path, &mut values)
        && values
            .iter()
            .zip(route.convertors.iter())
            .any(|(v, c)| *c == Convertor::Int && v.len() > limit)
}

impl RouteTable {
    fn trie(&self, scope: Scope) -> &Trie {
        match scope {
            Scope::Http => &self.http,
            Scope::WebSocket => &self.websocket,
        }
    }

    /// (lowest FULL rank, lowest PARTIAL rank) for `path`; `method` None counts all as FULL.
    fn search(
        &self,
        scope: Scope,
        method: Option<&str>,
        path: &str,
        max_int_digits: Option<usize>,
    ) -> (u32, u32) {
        let mut search = Search {
            trie: self.trie(scope),
            routes: &self.routes,
            method,
            path,
            max_int_digits,
            best_full: NONE,
            best_partial: NONE,
        };
        // Every template starts with `/`; a path that does not matches nothing.
        if let Some(rest) = path.strip_prefix('/') {
            search.walk(0, Some(rest));
        }
        (search.best_full, search.best_partial)
    }

    /// starlette's `Router.app` decision for one request path (already stripped of root_path).
    pub fn resolve<'t, 'p>(&'t self, scope: Scope, method: &str, path: &'p str) -> Outcome<'t, 'p> {
        self.resolve_limited(scope, method, path, None)
    }

    /// [`RouteTable::resolve`], where a route whose `int` parameter would have more than
    /// `max_int_digits` digits does not match (None: no limit).
    pub fn resolve_limited<'t, 'p>(
        &'t self,
        scope: Scope,
        method: &str,
        path: &'p str,
        max_int_digits: Option<usize>,
    ) -> Outcome<'t, 'p> {
        let (full, partial) = self.search(scope, Some(method), path, max_int_digits);
        if let Some(route) = self.routes.get(full as usize) {
            return Outcome::Found(Hit {
                rank: full as usize,
                route,
                path,
            });
        }
        if let Some(route) = self.routes.get(partial as usize) {
            return Outcome::MethodNotAllowed(Hit {
                rank: partial as usize,
                route,
                path,
            });
        }
        if scope == Scope::Http && self.redirect_slashes && path != "/" {
            let other: Cow<'p, str> = match path.strip_suffix('/') {
                Some(_) => Cow::Borrowed(path.trim_end_matches('/')),
                None => Cow::Owned(format!("{path}/")),
            };
            let (any, _) = self.search(scope, None, &other, max_int_digits);
            if let Some(route) = self.routes.get(any as usize) {
                return Outcome::Redirect {
                    index: route.index,
                    path: other,
                };
            }
        }
        Outcome::NotFound
    }

    /// Whether any route of `scope` matches `path`, FULL or PARTIAL.
    pub fn matches_any(&self, scope: Scope, path: &str) -> bool {
        self.matches_any_limited(scope, path, None)
    }

    /// [`RouteTable::matches_any`] with [`RouteTable::resolve_limited`]'s digit limit.
    pub fn matches_any_limited(
        &self,
        scope: Scope,
        path: &str,
        max_int_digits: Option<usize>,
    ) -> bool {
        self.search(scope, None, path, max_int_digits).0 != NONE
    }
}
