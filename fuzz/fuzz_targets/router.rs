//! The router's trie against the ordered oracle (`router::oracle`, starlette's scan written
//! naively): for a random route table and random requests, both give the same outcome -- route
//! index, 405, slash redirect (with its path) or 404 -- and the same raw parameter values, with
//! and without an `int` digit limit (`resolve_limited`); `matches_any` agrees too; tables that
//! cannot be built fail with the same error.
//!
//! The input is text, one item per line (a literal newline inside a template or path is written
//! `\n`, also `\r`, `\t`, `\0`, `\\`):
//!
//! ```text
//! r 3                      options: `r` turns redirect_slashes on, digits set the int digit limit
//! H GET,HEAD /items/{id:int}   a route: kind H(ttp)/W(ebsocket)/M(ount), methods, template
//! H * /a/{p:path}          methods `*`: None (any); `-`: Some([]) (also any)
//! > GET /items/12          a request (http); `>W` for a websocket scope
//! ```
//!
//! Sizes are capped (routes, parameters per template, path length): the oracle backtracks over
//! every split of the path, so its cost is polynomial in the path length with the number of
//! parameters as exponent.
#![no_main]

use std::borrow::Cow;

use _ferroapi::router::oracle::{self, OracleOutcome, OracleRoute};
use _ferroapi::router::{Kind, Outcome, RouteError, RouteTable, Scope, Spec};
use libfuzzer_sys::fuzz_target;

const MAX_ROUTES: usize = 12;
const MAX_REQUESTS: usize = 8;
const MAX_TEMPLATE: usize = 80;
/// `{` per template (a bound on its parameters; a mount adds `{path:path}`).
const MAX_BRACES: usize = 4;
const MAX_PATH_CHARS: usize = 48;
const MAX_METHOD: usize = 16;

/// `\n`, `\r`, `\t`, `\0`, `\\` decoded; any other backslash is kept as it is.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The first word of `s` and the rest after one space (None if there is no space).
fn word(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((w, rest)) => (w, rest),
        None => (s, ""),
    }
}

struct RawRoute {
    kind: Kind,
    methods: Option<Vec<String>>,
    template: String,
}

struct Request {
    scope: Scope,
    method: String,
    path: String,
}

fn parse_input(text: &str) -> (bool, Option<usize>, Vec<RawRoute>, Vec<Request>) {
    let mut lines = text.split('\n');
    let options = lines.next().unwrap_or_default();
    let redirect = options.contains('r');
    let digits: String = options
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .take(3)
        .collect();
    let limit = digits.parse::<usize>().ok().map(|l| l.min(40));
    let mut routes = Vec::new();
    let mut requests = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix('>') {
            if requests.len() == MAX_REQUESTS {
                continue;
            }
            let (scope, rest) = match rest.strip_prefix('W') {
                Some(r) => (Scope::WebSocket, r),
                None => (Scope::Http, rest.strip_prefix('H').unwrap_or(rest)),
            };
            let (method, path) = word(rest.strip_prefix(' ').unwrap_or(rest));
            let path = unescape(path);
            if path.chars().count() > MAX_PATH_CHARS || method.len() > MAX_METHOD {
                continue;
            }
            requests.push(Request {
                scope,
                method: method.to_owned(),
                path,
            });
            continue;
        }
        let kind = match line.as_bytes().first() {
            Some(b'H') => Kind::Http,
            Some(b'W') => Kind::WebSocket,
            Some(b'M') => Kind::Mount,
            _ => continue,
        };
        if routes.len() == MAX_ROUTES {
            continue;
        }
        let rest = &line[1..];
        let (methods, template) = word(rest.strip_prefix(' ').unwrap_or(rest));
        let methods = match methods {
            "*" => None,
            "-" => Some(Vec::new()),
            m => Some(m.split(',').map(str::to_owned).collect()),
        };
        let template = unescape(template);
        if template.len() > MAX_TEMPLATE || template.matches('{').count() > MAX_BRACES {
            continue;
        }
        routes.push(RawRoute {
            kind,
            methods,
            template,
        });
    }
    (redirect, limit, routes, requests)
}

/// The table's answer in the oracle's vocabulary (parameters as `(name, raw text)`).
fn answer(
    table: &RouteTable,
    scope: Scope,
    method: &str,
    path: &str,
    limit: Option<usize>,
) -> OracleOutcome {
    let params = |hit: &_ferroapi::router::Hit<'_, '_>| {
        assert_eq!(
            table.routes()[hit.rank].index,
            hit.route.index,
            "rank and route disagree"
        );
        let mut out = vec![""; hit.route.names.len()];
        assert!(
            hit.captures(&mut out),
            "captures disagree with the trie for {path:?}"
        );
        hit.route
            .names
            .iter()
            .zip(out)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    match table.resolve_limited(scope, method, path, limit) {
        Outcome::Found(hit) => OracleOutcome::Found(hit.route.index, params(&hit)),
        Outcome::MethodNotAllowed(hit) => {
            OracleOutcome::MethodNotAllowed(hit.route.index, params(&hit))
        }
        Outcome::Redirect { index, path } => OracleOutcome::Redirect(
            index,
            match path {
                Cow::Borrowed(p) => p.to_owned(),
                Cow::Owned(p) => p,
            },
        ),
        Outcome::NotFound => OracleOutcome::NotFound,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (redirect, limit, raw, requests) = parse_input(&text);
    // Indices with gaps; specs handed over in reverse: precedence must come from the index.
    let specs: Vec<Spec<'_>> = raw
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| Spec {
            index: i * 3 + 1,
            template: &r.template,
            kind: r.kind,
            methods: r.methods.clone(),
        })
        .collect();
    let table = RouteTable::new(specs.clone(), redirect);

    // What construction must answer: the first failing route in index order (not rooted, then
    // starlette's compile_path errors, which the oracle's own parse reports).
    let mut oracle_routes = Vec::new();
    let mut expected_error: Option<RouteError> = None;
    for (i, r) in raw.iter().enumerate() {
        let rooted =
            r.template.starts_with('/') || (r.kind == Kind::Mount && r.template.is_empty());
        if !rooted {
            expected_error = Some(RouteError::NotRooted {
                template: r.template.as_str().into(),
                kind: r.kind,
            });
            break;
        }
        match OracleRoute::new(i * 3 + 1, &r.template, r.kind, r.methods.clone()) {
            Ok(route) => oracle_routes.push(route),
            Err(e) => {
                expected_error = Some(e);
                break;
            }
        }
    }
    let table = match (table, expected_error) {
        (Ok(t), None) => t,
        (Err(got), Some(want)) => {
            assert_eq!(got, want, "construction errors differ");
            return;
        }
        (got, want) => panic!(
            "construction differs: table {:?}, expected error {want:?}",
            got.err()
        ),
    };
    assert_eq!(table.len(), raw.len());
    let max_params = table
        .routes()
        .iter()
        .map(|r| r.names.len())
        .max()
        .unwrap_or(0);
    assert_eq!(table.max_params(), max_params);

    let templates: Vec<(&str, Kind)> = raw.iter().map(|r| (r.template.as_str(), r.kind)).collect();
    for req in &requests {
        let limits: &[Option<usize>] = if limit.is_some() {
            &[None, limit]
        } else {
            &[None]
        };
        for &lim in limits {
            let want = oracle::resolve_limited(
                &oracle_routes,
                redirect,
                req.scope,
                &req.method,
                &req.path,
                lim,
            );
            let got = answer(&table, req.scope, &req.method, &req.path, lim);
            assert_eq!(
                got, want,
                "resolve: scope {:?} method {:?} path {:?} limit {lim:?} redirect {redirect} routes {templates:?}",
                req.scope, req.method, req.path
            );
            assert_eq!(
                table.matches_any_limited(req.scope, &req.path, lim),
                oracle::matches_any(&oracle_routes, req.scope, &req.path, lim),
                "matches_any: scope {:?} path {:?} limit {lim:?} routes {templates:?}",
                req.scope,
                req.path
            );
        }
        if limit.is_none() {
            // The unlimited entry points are the limited ones with None.
            let plain = match table.resolve(req.scope, &req.method, &req.path) {
                Outcome::Found(h) => OracleOutcome::Found(h.route.index, Vec::new()),
                Outcome::MethodNotAllowed(h) => {
                    OracleOutcome::MethodNotAllowed(h.route.index, Vec::new())
                }
                Outcome::Redirect { index, path } => {
                    OracleOutcome::Redirect(index, path.into_owned())
                }
                Outcome::NotFound => OracleOutcome::NotFound,
            };
            let strip = |o: OracleOutcome| match o {
                OracleOutcome::Found(i, _) => OracleOutcome::Found(i, Vec::new()),
                OracleOutcome::MethodNotAllowed(i, _) => {
                    OracleOutcome::MethodNotAllowed(i, Vec::new())
                }
                other => other,
            };
            assert_eq!(
                plain,
                strip(oracle::resolve(
                    &oracle_routes,
                    redirect,
                    req.scope,
                    &req.method,
                    &req.path
                ))
            );
            assert_eq!(
                table.matches_any(req.scope, &req.path),
                oracle::matches_any(&oracle_routes, req.scope, &req.path, None)
            );
        }
    }
});
