//! Unit tests for the starlette edge cases, and the property test: trie vs the naive oracle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

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
fn answer(table: &RouteTable, scope: Scope, method: &str, path: &str) -> OracleOutcome {
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
    match table.resolve(scope, method, path) {
        Outcome::Found(hit) => OracleOutcome::Found(hit.route.index, params(&hit)),
        Outcome::MethodNotAllowed(hit) => {
            OracleOutcome::MethodNotAllowed(hit.route.index, params(&hit))
        }
        Outcome::Redirect { index, path } => OracleOutcome::Redirect(index, path.into_owned()),
        Outcome::NotFound => OracleOutcome::NotFound,
    }
}

fn oracle_routes(specs: &[Spec<'_>]) -> Result<Vec<OracleRoute>, RouteError> {
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

// ---- property test ------------------------------------------------------------------------------

/// Literal atoms: chosen to collide with convertor text (digits, dots, dashes, hex) and with
/// PARAM_REGEX (`{`, `}`), plus non-ASCII and a newline.
const LITERALS: [&str; 14] = [
    "a", "b", "ab", "items", "1", "0", ".", "-", ".json", "é", "{", "}", "x\n", "ffff",
];
const CONVS: [&str; 5] = ["", ":int", ":float", ":uuid", ":str"];
/// Parameter values: each convertor's domain, its edges, and text of the others.
const VALUES: [&str; 20] = [
    "a",
    "12",
    "007",
    "1.5",
    "1.",
    ".5",
    "3",
    "é",
    "a.b",
    "a-b",
    "\n",
    "x.json",
    "ffff",
    "123e4567-e89b-12d3-a456-426614174000",
    "123E4567E89B12D3A456426614174000",
    "123e4567e89b-12d3-a456-426614174000",
    "99999999999999999999999",
    "a/b",
    "",
    "1.5.json",
];
const METHODS: [Option<&[&str]>; 5] = [
    None,
    Some(&[]),
    Some(&["GET", "HEAD"]),
    Some(&["POST"]),
    Some(&["GET", "X-CUSTOM"]),
];
const REQUEST_METHODS: [&str; 4] = ["GET", "POST", "X-CUSTOM", "DELETE"];

type Atoms = Vec<(u8, u8)>;
/// (kind, methods, segments, trailing slash, tail)
type RouteGen = (u8, u8, Vec<Atoms>, bool, Option<Atoms>);
/// (route to derive from, value picks, mutation, scope, method)
type PathGen = (usize, Vec<u8>, u8, bool, u8);

fn atoms(max: usize) -> impl Strategy<Value = Atoms> {
    prop::collection::vec((0u8..4, any::<u8>()), 0..max)
}

fn route_gen() -> impl Strategy<Value = RouteGen> {
    (
        0u8..8,
        any::<u8>(),
        prop::collection::vec(atoms(4), 0..4),
        any::<bool>(),
        prop::option::weighted(0.25, atoms(3)),
    )
}

/// Render atoms: kind 0-1 literal, 2-3 parameter (named in order, so never duplicated unless a
/// `{`/`}` literal pair forms an extra one: then both sides must reject the template).
fn render(atoms: &[(u8, u8)], out: &mut String, next_param: &mut usize) {
    for &(kind, pick) in atoms {
        if kind < 2 {
            out.push_str(LITERALS[pick as usize % LITERALS.len()]);
        } else {
            let conv = CONVS[pick as usize % CONVS.len()];
            out.push_str(&format!("{{p{next_param}{conv}}}"));
            *next_param += 1;
        }
    }
}

fn template(gen: &RouteGen) -> (String, Kind, Option<&'static [&'static str]>) {
    let (kind, methods, segments, slash, tail) = gen;
    let kind = match kind {
        0..=4 => Kind::Http,
        5 => Kind::WebSocket,
        _ => Kind::Mount,
    };
    let mut t = String::new();
    let mut n = 0;
    for seg in segments {
        t.push('/');
        render(seg, &mut t, &mut n);
    }
    if *slash || t.is_empty() && kind != Kind::Mount {
        t.push('/');
    }
    if let (Some(tail), Kind::Http | Kind::WebSocket) = (tail, kind) {
        if !t.ends_with('/') {
            t.push('/');
        }
        render(tail, &mut t, &mut n);
        t.push_str(&format!("{{p{n}:path}}"));
    }
    (t, kind, METHODS[*methods as usize % METHODS.len()])
}

/// A path derived from a template: parameters replaced by picked values, then one mutation.
fn derive(template: &str, picks: &[u8], mutation: u8) -> String {
    let parsed = template::parse(template).unwrap();
    let mut path = String::new();
    for (i, piece) in parsed.pieces.iter().enumerate() {
        match piece {
            template::Piece::Literal(t) => path.push_str(t),
            template::Piece::Param(_) => {
                let pick = picks.get(i).copied().unwrap_or(i as u8) as usize;
                path.push_str(VALUES[pick % VALUES.len()]);
            }
        }
    }
    match mutation % 8 {
        0 => path.push('/'),
        1 => path.push('\n'),
        2 => {
            path.pop();
        }
        3 => path = path.replacen('/', "//", 1),
        4 => path.push_str("/x"),
        _ => {}
    }
    path
}

fn cases() -> u32 {
    std::env::var("FERRO_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Over random tables and paths biased to hit, the trie answers exactly as the ordered scan:
    /// same outcome, same route index, same raw parameter values; and `matches_any` agrees.
    #[test]
    fn trie_matches_oracle(
        routes in prop::collection::vec(route_gen(), 1..10),
        paths in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 0..6), any::<u8>(), any::<bool>(), 0u8..4), 1..6),
        redirect in any::<bool>(),
    ) {
        let rendered: Vec<_> = routes.iter().map(template).collect();
        // Indices with gaps, specs handed over in reverse: precedence comes from the index.
        let specs: Vec<Spec<'_>> = rendered.iter().enumerate().rev().map(|(i, (t, kind, m))| Spec {
            index: i * 3 + 1,
            template: t,
            kind: *kind,
            methods: m.map(|m| m.iter().map(|s| s.to_string()).collect()),
        }).collect();
        let oracle_table = oracle_routes(&specs);
        let table = RouteTable::new(specs.clone(), redirect);
        let (table, oracle_table) = match (table, oracle_table) {
            (Ok(t), Ok(o)) => (t, o),
            (Err(a), Err(b)) => { prop_assert_eq!(a, b); return Ok(()); }
            (a, b) => { prop_assert!(false, "construction differs: {:?} vs {:?}", a.err(), b.err()); unreachable!() }
        };
        for (route, picks, mutation, ws, method) in &paths as &Vec<PathGen> {
            let (t, kind, _) = &rendered[route % rendered.len()];
            let full = if *kind == Kind::Mount { format!("{}/{{path:path}}", t.trim_end_matches('/')) } else { t.clone() };
            let path = derive(&full, picks, *mutation);
            let scope = if *ws { Scope::WebSocket } else { Scope::Http };
            let method = REQUEST_METHODS[*method as usize];
            let want = oracle::resolve(&oracle_table, redirect, scope, method, &path);
            prop_assert_eq!(answer(&table, scope, method, &path), want, "path {:?} routes {:?}", path, rendered);
            prop_assert_eq!(table.matches_any(scope, &path), oracle::matches_any(&oracle_table, scope, &path));
        }
    }
}
