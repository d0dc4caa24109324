//! Deserializing the node tree into the raw mirror while reporting *every* problem.
//!
//! serde stops at the first error, so recovery works by passes: each pass deserializes
//! the whole tree; every node where a problem was found is recorded and *pruned* (its
//! mapping entry or sequence item is skipped in later passes, as if it were not written).
//! Passes repeat until one succeeds. Unknown keys never stop a pass: the node
//! deserializer reports and skips them itself.
//!
//! A value that was pruned can make a later check look wrong (a missing `pathTemplate`,
//! a `$ref` to a pruned definition). Serde's own "missing key" for a pruned field is
//! suppressed here; for compile-time checks, [`Damage`] tells `compile` which mapping
//! entries were pruned so it can stay quiet about their consequences.
//!
//! Invariant: the value is only `Some` when a pass succeeded; if any problem was found,
//! the loader fails regardless, so pruning can never turn a bad file into a good one.

use std::cell::RefCell;
use std::collections::HashSet;

use serde::de::DeserializeOwned;
use serde_saphyr::Location;

use super::Node;
use super::de::NodeDe;
use crate::rules::diagnostics::Problem;

/// More passes than this means a pathological file; the problems so far are reported.
const MAX_PASSES: usize = 100;

/// Shared state of one pass.
pub(crate) struct Ctx<'a> {
    pub src: &'a str,
    pruned: &'a HashSet<usize>,
    found: RefCell<Vec<Found>>,
    damage: RefCell<Damage>,
}

/// A problem met during a pass, and the node to prune because of it (none for an
/// unknown key, which is skipped rather than failed). `problem` is `None` when the
/// failure is only a consequence of an earlier pruning.
struct Found {
    prune: Option<usize>,
    problem: Option<Problem>,
}

/// Mapping entries that were skipped because their key or value was pruned.
#[derive(Debug, Default)]
pub(crate) struct Damage(HashSet<((u64, u64), String)>);

impl Damage {
    /// Was `key` of the mapping located at `map` pruned?
    pub(crate) fn has(&self, map: &Location, key: &str) -> bool {
        self.0
            .contains(&((map.line(), map.column()), key.to_owned()))
    }
}

impl<'a> Ctx<'a> {
    fn new(src: &'a str, pruned: &'a HashSet<usize>) -> Ctx<'a> {
        Ctx {
            src,
            pruned,
            found: RefCell::default(),
            damage: RefCell::default(),
        }
    }

    pub(crate) fn is_pruned(&self, node: &Node) -> bool {
        self.pruned.contains(&node.id)
    }

    /// Records a problem; `prune` names the node that failed because of it.
    pub(crate) fn record(&self, prune: Option<&Node>, problem: Option<Problem>) {
        self.found.borrow_mut().push(Found {
            prune: prune.map(|n| n.id),
            problem,
        });
    }

    pub(crate) fn note_damage(&self, map: &Node, key: &Node) {
        let key = key
            .scalar_text(self.src)
            .map(|k| k.into_owned())
            .unwrap_or_default();
        self.damage
            .borrow_mut()
            .0
            .insert(((map.at.line(), map.at.column()), key));
    }
}

/// The outcome of deserializing a tree: the value if some pass succeeded, and every
/// problem found along the way.
pub(crate) struct Recovered<T> {
    pub value: Option<T>,
    pub problems: Vec<Problem>,
    pub damage: Damage,
}

pub(crate) fn deserialize_recovering<T: DeserializeOwned>(root: &Node, src: &str) -> Recovered<T> {
    let mut pruned = HashSet::new();
    let mut problems = Vec::new();
    for _ in 0..MAX_PASSES {
        let cx = Ctx::new(src, &pruned);
        let result = T::deserialize(NodeDe::new(root, &cx));
        let Ctx { found, damage, .. } = cx;
        let mut progressed = false;
        for Found { prune, problem } in found.into_inner() {
            problems.extend(problem);
            if let Some(id) = prune {
                progressed |= pruned.insert(id);
            }
        }
        match result {
            Ok(value) => {
                return Recovered {
                    value: Some(value),
                    problems,
                    damage: damage.into_inner(),
                };
            }
            Err(_) if progressed && !pruned.contains(&root.id) => {}
            Err(_) => break,
        }
    }
    if problems.is_empty() {
        // Unreachable by construction (every failure is recorded), but never fail open.
        problems.push(Problem::new(1, 1, "the rules file could not be read"));
    }
    Recovered {
        value: None,
        problems,
        damage: Damage::default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::rules::raw::{RawRules, RawTransform};
    use crate::rules::yaml::parse;

    fn recover(src: &str) -> Recovered<RawRules> {
        deserialize_recovering::<RawRules>(&parse(src).unwrap(), src)
    }

    fn messages(src: &str) -> Vec<String> {
        let mut problems = recover(src).problems;
        problems.sort_by_key(|p| (p.line, p.column));
        problems.dedup();
        problems
            .iter()
            .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
            .collect()
    }

    #[test]
    fn all_three_transform_spellings_load() {
        let src = "endpoints:\n  - pathTemplate: /a\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: [$.a]\n        encoding: JSON\n      - !pseudonymize\n        jsonPaths: [$.b]\n      - method: pseudonymize\n        jsonPaths: [$.c]\n        includeReversible: true\n";
        let recovered = recover(src);
        assert!(recovered.problems.is_empty(), "{:?}", recovered.problems);
        let rules = recovered.value.unwrap();
        let endpoints = rules.endpoints.unwrap();
        let transforms = endpoints[0].value.transforms.as_ref().unwrap();
        let paths: Vec<_> = transforms
            .iter()
            .map(|t| match &t.value {
                RawTransform::Pseudonymize(p) => p.json_paths[0].value.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(paths, ["$.a", "$.b", "$.c"]);
    }

    #[test]
    fn reports_every_shape_problem_in_one_run() {
        let src = "endpoints:\n  - pathTemplat: /a\n    allowedMethods: {a: 1}\n    transforms:\n      - !<pseudonymise>\n        jsonPaths: [$.a]\n      - !redact\n        jsonPaths: 5\n      - method: hashIp\n        jsonPaths: [$.x]\n        encoding: JSON\n";
        assert_eq!(
            messages(src),
            [
                "2:5 unknown key `pathTemplat` in endpoint",
                "3:21 `allowedMethods`: expected a sequence, found a mapping",
                "5:9 unknown transform tag `!<pseudonymise>`",
                "8:20 `jsonPaths`: expected a sequence, found the number 5",
                "11:9 unknown key `encoding` in transform `hashIp`",
            ]
        );
    }
}
