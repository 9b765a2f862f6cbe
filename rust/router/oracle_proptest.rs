//! The property test: over random tables and paths, the trie answers exactly as the naive ordered
//! scan of `oracle.rs` (`FERRO_PROPTEST_CASES` cases; `make fuzz` runs a million).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::oracle;
use super::tests::{answer, answer_limited, oracle_routes};
use super::*;

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
        limit in 0usize..4,
    ) {
        // An `int` digit limit (Python's int_max_str_digits) makes over-long int parameters miss.
        let limit = [None, Some(1), Some(3), Some(22)][limit];
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
            let want = oracle::resolve_limited(&oracle_table, redirect, scope, method, &path, limit);
            prop_assert_eq!(answer_limited(&table, scope, method, &path, limit), want, "path {:?} routes {:?}", path, rendered);
            prop_assert_eq!(table.matches_any_limited(scope, &path, limit), oracle::matches_any(&oracle_table, scope, &path, limit));
        }
    }
}

/// Separators between the parameters of an adversarial template (`/` cuts a segment).
const SEPARATORS: [&str; 7] = ["", "-", ".", "é", "-.", "/", "1"];
const ADVERSARIAL_CONVS: [&str; 6] = ["", ":int", ":float", ":path", ":uuid", ":str"];
const TEMPLATE_ENDS: [&str; 5] = ["", ".json", "x", "/", "é"];
/// Units a path repeats: each can end (or continue) the match of several convertors.
const UNITS: [&str; 10] = ["-", "1", "1.", "-.", "é", "a", "-/", "a-", "0.5-", "f"];
const PATH_ENDS: [&str; 8] = ["", ".json", ".jsox", "x", "/", "\n", "é", "-x"];

/// (separator + convertor per parameter, template end)
type ShapeGen = (Vec<(u8, u8)>, u8);
/// (units, repeats, path end)
type RepeatGen = (Vec<u8>, u8, u8);

/// `/r{i}/` then parameters joined by separators: the shapes of issue #12 (`/{a}-{b}.json`).
fn shape(i: usize, (params, end): &ShapeGen) -> String {
    let mut t = format!("/r{i}/");
    for (n, (sep, conv)) in params.iter().enumerate() {
        if n > 0 {
            t.push_str(SEPARATORS[*sep as usize % SEPARATORS.len()]);
        }
        let conv = ADVERSARIAL_CONVS[*conv as usize % ADVERSARIAL_CONVS.len()];
        t.push_str(&format!("{{p{n}{conv}}}"));
    }
    t.push_str(TEMPLATE_ENDS[*end as usize % TEMPLATE_ENDS.len()]);
    t
}

fn repeated(i: usize, (units, repeats, end): &RepeatGen) -> String {
    let mut p = format!("/r{i}/");
    for r in 0..*repeats as usize {
        let unit = units.get(r % units.len().max(1)).copied().unwrap_or(0);
        p.push_str(UNITS[unit as usize % UNITS.len()]);
    }
    p.push_str(PATH_ENDS[*end as usize % PATH_ENDS.len()]);
    p
}

/// A path for route `i`'s shape: each parameter a run of units (sometimes empty), separators
/// and template end kept, then one of `PATH_ENDS` appended (most of those make it miss late).
fn derived(i: usize, (params, end): &ShapeGen, (units, repeats, tail): &RepeatGen) -> String {
    let mut p = format!("/r{}/", i % 2);
    for (n, (sep, _)) in params.iter().enumerate() {
        if n > 0 {
            p.push_str(SEPARATORS[*sep as usize % SEPARATORS.len()]);
        }
        let unit = units.get(n % units.len().max(1)).copied().unwrap_or(0);
        let count = (*repeats as usize + n * 5) % 9;
        p.push_str(&UNITS[unit as usize % UNITS.len()].repeat(count));
    }
    p.push_str(TEMPLATE_ENDS[*end as usize % TEMPLATE_ENDS.len()]);
    if tail % 3 == 0 {
        p.push_str(PATH_ENDS[*tail as usize % PATH_ENDS.len()]);
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig {
        // The oracle is a naive backtracker (cubic or worse here): fewer, shorter cases.
        cases: (cases() / 20).max(1),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Several parameters in one segment or tail, paths of repeated ambiguous units: the table
    /// matcher picks the same route and the same parameter values as the ordered scan.
    #[test]
    fn adversarial_shapes_match_oracle(
        shapes in prop::collection::vec((prop::collection::vec((any::<u8>(), any::<u8>()), 2..4), any::<u8>()), 1..4),
        paths in prop::collection::vec((any::<usize>(), prop::collection::vec(any::<u8>(), 1..4), 0u8..14, any::<u8>(), any::<bool>()), 1..6),
        redirect in any::<bool>(),
    ) {
        // Two routes per prefix (the same shape twice would shadow itself): `/r{i % 2}/`.
        let rendered: Vec<String> = shapes.iter().enumerate().map(|(i, g)| shape(i % 2, g)).collect();
        let specs: Vec<Spec<'_>> = rendered.iter().enumerate().map(|(i, t)| Spec {
            index: i,
            template: t,
            kind: Kind::Http,
            methods: None,
        }).collect();
        let oracle_table = oracle_routes(&specs).unwrap();
        let table = RouteTable::new(specs.clone(), redirect).unwrap();
        for (route, units, repeats, end, derive) in &paths {
            let gen = (units.clone(), *repeats, *end);
            let path = if *derive {
                derived(route % shapes.len(), &shapes[route % shapes.len()], &gen)
            } else {
                repeated(route % 2, &gen)
            };
            let want = oracle::resolve(&oracle_table, redirect, Scope::Http, "GET", &path);
            prop_assert_eq!(answer(&table, Scope::Http, "GET", &path), want, "path {:?} routes {:?}", path, rendered);
        }
    }
}
