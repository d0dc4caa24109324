//! Differential tests: the one-walk evaluator (`PathSet`) finds exactly the nodes that the
//! reference (`JsonPath::locate`) finds — path by path, each once, in document order —
//! whether a path is walked alone or together with others. Nodes are compared by address
//! in the same (unchanged) document, so "the same node" means the very same node.

use std::convert::Infallible;

use proptest::prelude::*;
use serde_json::Value;

use super::super::{JsonPath, Leave, MatchVisitor, PathSet, get};
use super::properties::arb_json;

/// Records, per path of the set, the address of every node it matches, in walk order.
struct Recorder {
    found: Vec<Vec<usize>>,
}

impl MatchVisitor for Recorder {
    type Error = Infallible;

    fn enter(&mut self, node: &Value, matched: &[usize], _: bool) -> Result<usize, Infallible> {
        for &path in matched {
            self.found[path].push(address(node));
        }
        Ok(usize::MAX)
    }

    fn leave(&mut self, _: &mut Value, _: &[usize]) -> Result<Leave, Infallible> {
        Ok(Leave::Keep)
    }
}

fn address(node: &Value) -> usize {
    std::ptr::from_ref(node) as usize
}

/// What `PathSet` finds for each of `paths`, walking them together; `None` when the set
/// refuses them (a filter reading from the root).
pub(super) fn walked(paths: &[&JsonPath], document: &mut Value) -> Option<Vec<Vec<usize>>> {
    let set = PathSet::new(paths)?;
    let mut recorder = Recorder {
        found: vec![Vec::new(); paths.len()],
    };
    let Ok(()) = set.walk(document, &mut recorder);
    Some(recorder.found)
}

/// What the reference finds for `path`, as node addresses.
pub(super) fn located(path: &JsonPath, document: &Value) -> Vec<usize> {
    path.locate(document)
        .iter()
        .map(|at| get(document, at).map_or(0, address))
        .collect()
}

/// Segments whose combinations cover every selector, deep scans inside deep scans,
/// overlapping unions, negative indexes, slices and filters on arrays and objects.
const SEGMENTS: &[&str] = &[
    ".a",
    ".b",
    ".x",
    "['a','b']",
    "['b','a','b']",
    ".*",
    "[*]",
    "[0]",
    "[-1]",
    "[0,-1,0]",
    "[1:3]",
    "[-2:]",
    "[:1]",
    "[:-1]",
    "[?(@.x)]",
    "[?(@.a == 1)]",
    "[?(@ == 'a')]",
    "[?(@.x != 'a')]",
    "[?(@.a =~ /a.*/)]",
    "[?(@[0] >= '1')]",
    "[?(!@.b)]",
    "..a",
    "..x",
    "..['a','x']",
    "..*",
    "..[*]",
    "..[0]",
    "..[1:]",
    "..[?(@.x)]",
    "..[?(@.a == 'a' || @.b)]",
];

/// A random path of one to four segments that compiles (a deep scan over `*`, an index or
/// a slice must end the path, so some combinations are rejected and skipped).
fn arb_path() -> impl Strategy<Value = JsonPath> {
    prop::collection::vec(prop::sample::select(SEGMENTS), 1..5)
        .prop_filter_map("unsupported combination", |segments| {
            JsonPath::compile(&format!("${}", segments.concat())).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn one_path_walked_alone_matches_the_reference(mut document in arb_json(), path in arb_path()) {
        let want = located(&path, &document);
        let got = walked(&[&path], &mut document);
        prop_assert_eq!(got, Some(vec![want]), "{}", path.source());
    }

    #[test]
    fn paths_walked_together_match_the_reference_each(
        mut document in arb_json(),
        paths in prop::collection::vec(arb_path(), 1..7),
    ) {
        let want: Vec<Vec<usize>> = paths.iter().map(|p| located(p, &document)).collect();
        let refs: Vec<&JsonPath> = paths.iter().collect();
        let got = walked(&refs, &mut document);
        let sources: Vec<&str> = paths.iter().map(JsonPath::source).collect();
        prop_assert_eq!(got, Some(want), "{:?}", sources);
    }
}

#[test]
fn a_filter_reading_from_the_root_is_refused() {
    let table = [
        ("$.a[?(@.x == $.y)]", true),
        ("$..a[?($.flag)]", true),
        ("$.a[?(@.x == 'y')]", false),
        ("$..a", false),
    ];
    for (path, refused) in table {
        let compiled = JsonPath::compile(path).unwrap();
        assert_eq!(compiled.reads_from_root(), refused, "{path}");
        assert_eq!(PathSet::new(&[&compiled]).is_none(), refused, "{path}");
    }
}
