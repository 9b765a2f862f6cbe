//! Matching work is linear in the path's length for every template shape (issue #12): counted in
//! matcher steps (`matcher::steps`), never timed. The adversarial shapes are those where a
//! backtracking regex engine (and a memo-less backtracker) takes quadratic or cubic time: several
//! parameters in one segment or tail, each able to stop at almost any position, and a path that
//! fails at its very end.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::matcher::steps;
use super::oracle::OracleOutcome;
use super::tests::answer;
use super::*;

/// Steps allowed per byte of path, for one whole `resolve` (search, captures, redirect probe).
const STEPS_PER_BYTE: u64 = 64;

/// (kind, template, path of `n` repeated units): every path misses at its end or barely matches.
type Shape = (Kind, &'static str, fn(usize) -> String);

pub(super) const SHAPES: [Shape; 10] = [
    (Kind::Http, "/s2/{a}-{b}.json", |n| {
        format!("/s2/{}.jsox", "-".repeat(n))
    }),
    (Kind::Http, "/s3/{a}-{b}-{c}.json", |n| {
        format!("/s3/{}.jsox", "-".repeat(n))
    }),
    (Kind::Http, "/s2/{a}-{b}.json", |n| {
        format!("/s2/{}.jsox/", "-".repeat(n))
    }),
    (Kind::Http, "/n/{a:int}{b:int}{c:int}x", |n| {
        format!("/n/{}y", "1".repeat(n))
    }),
    (Kind::Http, "/f/{a:float}{b:float}{c:float}x", |n| {
        format!("/f/1.{}y", "1".repeat(n))
    }),
    (Kind::Http, "/t/{a}{b}{c}x", |n| {
        format!("/t/{}y", "a".repeat(n))
    }),
    (Kind::Http, "/p/{a:path}-{b:path}-{c}.json", |n| {
        format!("/p/{}x", "-/".repeat(n / 2))
    }),
    (Kind::Mount, "/m/{a}-{b}.d", |n| {
        format!("/m/{}.x/rest", "-".repeat(n))
    }),
    (Kind::Http, "/u/{a}é{b}é{c}é", |n| {
        format!("/u/{}x", "é".repeat(n / 2))
    }),
    (Kind::WebSocket, "/w/{a}-{b}.{c:int}", |n| {
        format!("/w/{}.x", "-.".repeat(n / 2))
    }),
];

fn table(kind: Kind, template: &str) -> RouteTable {
    let spec = Spec {
        index: 0,
        template,
        kind,
        methods: None,
    };
    RouteTable::new([spec], true).unwrap()
}

#[test]
fn adversarial_shapes_cost_linear_steps() {
    for (kind, template, path) in SHAPES {
        let table = table(kind, template);
        let scope = match kind {
            Kind::WebSocket => Scope::WebSocket,
            _ => Scope::Http,
        };
        for n in [1_000, 4_000] {
            let path = path(n);
            steps::take();
            let outcome = answer(&table, scope, "GET", &path);
            let used = steps::take();
            let allowed = STEPS_PER_BYTE * (path.len() as u64 + 1);
            assert!(
                used <= allowed,
                "{template} on {} bytes: {used} steps > {allowed} ({outcome:?})",
                path.len()
            );
        }
    }
}

#[test]
fn adversarial_shapes_still_match_when_they_should() {
    let found = |t: &RouteTable, p: &str| {
        matches!(answer(t, Scope::Http, "GET", p), OracleOutcome::Found(..))
    };
    let s3 = table(Kind::Http, "/s3/{a}-{b}-{c}.json");
    let dashes = "-".repeat(3_000);
    assert!(found(&s3, &format!("/s3/{dashes}.json")));
    assert_eq!(
        answer(&s3, Scope::Http, "GET", "/s3/x-y-z-w.json"),
        OracleOutcome::Found(
            0,
            vec![
                ("a".into(), "x-y".into()),
                ("b".into(), "z".into()),
                ("c".into(), "w".into())
            ]
        )
    );
    let n = table(Kind::Http, "/n/{a:int}{b:int}{c:int}x");
    assert!(found(&n, &format!("/n/{}x", "7".repeat(3_000))));
}
