//! Unit tests for the starlette edge cases (the property test is in `oracle_proptest.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::oracle::{self, OracleOutcome, OracleRoute};
use super::*;

type RawSpec<'a> = (usize, &'a str, Kind, Option<&'a [&'a str]>);

fn specs<'a>(raw: &[RawSpec<'a>]) -> Vec<Spec<'a>> {
    raw.iter()
        .map(|&(index, template, kind, methods)| Spec {
            index,
            template,
            kind,
            methods: methods.map(|m| m.iter().map(|s| s.to_string()).collect()),
        })
        .collect()
}

/// The table's answer in the oracle's vocabulary (parameters as raw text).
pub(super) fn answer(table: &RouteTable, scope: Scope, method: &str, path: &str) -> OracleOutcome {
    answer_limited(table, scope, method, path, None)
}

/// [`answer`] with an `int` digit limit.
pub(super) fn answer_limited(
    table: &RouteTable,
    scope: Scope,
    method: &str,
    path: &str,
    max_int_digits: Option<usize>,
) -> OracleOutcome {
    let params = |hit: &Hit<'_, '_>| {
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
    match table.resolve_limited(scope, method, path, max_int_digits) {
        Outcome::Found(hit) => OracleOutcome::Found(hit.route.index, params(&hit)),
        Outcome::MethodNotAllowed(hit) => {
            OracleOutcome::MethodNotAllowed(hit.route.index, params(&hit))
        }
        Outcome::Redirect { index, path } => OracleOutcome::Redirect(index, path.into_owned()),
        Outcome::NotFound => OracleOutcome::NotFound,
    }
}

pub(super) fn oracle_routes(specs: &[Spec<'_>]) -> Result<Vec<OracleRoute>, RouteError> {
    let mut routes = specs
        .iter()
        .map(|s| OracleRoute::new(s.index, s.template, s.kind, s.methods.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    routes.sort_by_key(|r| r.index);
    Ok(routes)
}

fn check(raw: &[RawSpec<'_>], scope: Scope, method: &str, path: &str) -> OracleOutcome {
    let specs = specs(raw);
    let table = RouteTable::new(specs.clone(), true).unwrap();
    let got = answer(&table, scope, method, path);
    let want = oracle::resolve(&oracle_routes(&specs).unwrap(), true, scope, method, path);
    assert_eq!(got, want, "{raw:?} {scope:?} {method} {path:?}");
    got
}

fn found(index: usize, params: &[(&str, &str)]) -> OracleOutcome {
    let params = params.iter().map(|(n, v)| (n.to_string(), v.to_string()));
    OracleOutcome::Found(index, params.collect())
}

const GET: Option<&[&str]> = Some(&["GET", "HEAD"]);
const H: Kind = Kind::Http;

#[test]
fn first_registered_wins_over_static() {
    let shadowing = [(0, "/items/{id}", H, GET), (1, "/items/me", H, GET)];
    assert_eq!(
        check(&shadowing, Scope::Http, "GET", "/items/me"),
        found(0, &[("id", "me")])
    );
    let static_first = [(0, "/items/me", H, GET), (1, "/items/{id}", H, GET)];
    assert_eq!(
        check(&static_first, Scope::Http, "GET", "/items/me"),
        found(0, &[])
    );
}

#[test]
fn partial_then_full_later() {
    let raw = [
        (0, "/a", H, Some(&["POST"][..])),
        (5, "/a", H, GET),
        (9, "/b", H, Some(&[][..])),
    ];
    assert_eq!(check(&raw, Scope::Http, "GET", "/a"), found(5, &[]));
    assert_eq!(
        check(&raw, Scope::Http, "PUT", "/a"),
        OracleOutcome::MethodNotAllowed(0, vec![])
    );
    assert_eq!(check(&raw, Scope::Http, "BREW", "/b"), found(9, &[]));
}

#[test]
fn redirects_both_ways_but_not_root() {
    let raw = [
        (0, "/a/", H, GET),
        (1, "/b", H, Some(&["POST"][..])),
        (2, "/", Kind::WebSocket, None),
    ];
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/a"),
        OracleOutcome::Redirect(0, "/a/".into())
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/b//"),
        OracleOutcome::Redirect(1, "/b".into())
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/"),
        OracleOutcome::NotFound
    );
    assert_eq!(
        check(&raw, Scope::WebSocket, "GET", "/a"),
        OracleOutcome::NotFound
    );
}

#[test]
fn trailing_newline_like_python_dollar() {
    let raw = [
        (0, "/i/{x:int}", H, None),
        (1, "/s/{x}", H, None),
        (2, "/p/{x:path}", H, None),
        (3, "/l", H, None),
    ];
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/i/12\n"),
        found(0, &[("x", "12")])
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/s/12\n"),
        found(1, &[("x", "12\n")])
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/p/a/b\n"),
        found(2, &[("x", "a/b")])
    );
    assert_eq!(check(&raw, Scope::Http, "GET", "/l\n"), found(3, &[]));
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/l\n\n"),
        OracleOutcome::NotFound
    );
}

#[test]
fn mid_segment_params_backtrack() {
    let raw = [
        (0, "/f/{name}.{ext}", H, None),
        (1, "/n/{a:float}{b:int}", H, None),
    ];
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/f/a.b.json"),
        found(0, &[("name", "a.b"), ("ext", "json")])
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/n/1.25"),
        found(1, &[("a", "1.2"), ("b", "5")])
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/n/7"),
        OracleOutcome::NotFound
    );
}

#[test]
fn convertor_edges() {
    let raw = [
        (0, "/f/{x:float}", H, None),
        (1, "/u/{x:uuid}", H, None),
        (2, "/é/{x}", H, None),
    ];
    for bad in [
        "/f/1.",
        "/f/.5",
        "/f/-1",
        "/u/123e4567-e89b-12d3-a456-42661417400",
    ] {
        check(&raw, Scope::Http, "GET", bad);
    }
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/f/1.5"),
        found(0, &[("x", "1.5")])
    );
    let u = "123E4567E89B12D3A456426614174000";
    assert_eq!(
        check(&raw, Scope::Http, "GET", &format!("/u/{u}")),
        found(1, &[("x", u)])
    );
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/é/ü"),
        found(2, &[("x", "ü")])
    );
}

#[test]
fn mounts_match_both_scopes_with_prefix_params() {
    let raw = [
        (0, "/t/{tenant}/", Kind::Mount, None),
        (1, "", Kind::Mount, None),
    ];
    let want = found(0, &[("tenant", "acme"), ("path", "x/y")]);
    assert_eq!(check(&raw, Scope::WebSocket, "GET", "/t/acme/x/y"), want);
    assert_eq!(
        check(&raw, Scope::Http, "GET", "/t/acme"),
        found(1, &[("path", "t/acme")])
    );
}

#[test]
fn construction_errors_name_the_template() {
    let bad = |t: &str, kind| {
        RouteTable::new(specs(&[(0, t, kind, None)]), true)
            .unwrap_err()
            .to_string()
    };
    assert!(bad("/a/{x:nope}", H).contains("'nope'"));
    assert_eq!(
        bad("/{a}/{b}/{a}", H),
        "Duplicated param name a at path /{a}/{b}/{a}"
    );
    assert!(bad("", H).contains("must start with '/'"));
    assert!(bad("a", Kind::Mount).contains("Mount path"));
    assert!(bad("/{path}", Kind::Mount).contains("path"));
    let dup = specs(&[(3, "/a", H, None), (3, "/b", H, None)]);
    assert!(RouteTable::new(dup, true)
        .unwrap_err()
        .to_string()
        .contains("index 3"));
}

#[test]
fn int_params_over_the_digit_limit_do_not_match() {
    let raw = [
        (0, "/i/{x:int}", H, GET),
        (1, "/i/{x}", H, Some(&["POST"][..])),
        (2, "/j/{x:int}", H, GET),
        (3, "/k/{x:int}/", H, GET),
        (4, "/m/{x:int}", Kind::Mount, None),
    ];
    let specs = specs(&raw);
    let table = RouteTable::new(specs.clone(), true).unwrap();
    let oracle_table = oracle_routes(&specs).unwrap();
    let limited = |method: &str, path: &str| {
        let got = answer_limited(&table, Scope::Http, method, path, Some(4));
        let want = oracle::resolve_limited(&oracle_table, true, Scope::Http, method, path, Some(4));
        assert_eq!(got, want, "{method} {path:?}");
        got
    };
    assert_eq!(limited("GET", "/i/1234"), found(0, &[("x", "1234")]));
    // The int route no longer matches: the next route that does answers (a 405 here).
    assert_eq!(
        limited("GET", "/i/12345"),
        OracleOutcome::MethodNotAllowed(1, vec![("x".into(), "12345".into())])
    );
    assert_eq!(limited("GET", "/j/00000"), OracleOutcome::NotFound);
    // Neither a redirect to a route that would not match, nor a mount.
    assert_eq!(limited("GET", "/k/99999"), OracleOutcome::NotFound);
    assert_eq!(
        limited("GET", "/k/9999"),
        OracleOutcome::Redirect(3, "/k/9999/".into())
    );
    assert_eq!(limited("GET", "/m/99999/x"), OracleOutcome::NotFound);
    assert!(!table.matches_any_limited(Scope::Http, "/j/12345", Some(4)));
    assert!(table.matches_any_limited(Scope::Http, "/j/12345", None));
    // Without a limit, any length matches.
    assert_eq!(
        answer(&table, Scope::Http, "GET", "/j/12345"),
        found(2, &[("x", "12345")])
    );
}
