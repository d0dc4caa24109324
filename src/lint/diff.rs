//! The privacy effect of changing a rules file: which leaves become exposed or dropped,
//! which pseudonyms would change, which requests become allowed — from the same static
//! analysis the linter uses, so a reviewer sees the effect without reading every path.
//!
//! Exposure levels: 0 = nothing of the value passes (absent from the schema, dropped,
//! redacted); 1 = a pseudonym or a digest passes; 2 = a masked text passes; 3 = the value
//! passes raw (or anything may pass: no schema). A change **exposes** when a leaf's level
//! rises — `pseudonymized → raw`, `dropped → pseudonymized`, a new endpoint's kept leaves.
//! Endpoints are paired by their `pathTemplate`/`pathRegex` text (in order when repeated).

use std::collections::BTreeMap;

use serde::Serialize;

use super::classify::{self, LeafClass};
use super::shape::LeafPath;
use crate::rules::{Endpoint, RuleSet};

/// Everything that differs, in file order.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct RulesDiff {
    pub endpoints_added: Vec<String>,
    pub endpoints_removed: Vec<String>,
    pub leaves: Vec<LeafChange>,
    pub pseudonyms: Vec<PseudonymChange>,
    pub requests: Vec<RequestChange>,
}

/// A leaf whose class differs; `None` = not in that file's schema (or endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LeafChange {
    pub endpoint: String,
    pub path: LeafPath,
    pub old: Option<LeafClass>,
    pub new: Option<LeafClass>,
    pub exposes: bool,
}

/// A leaf pseudonymized in both files, by transforms whose output differs (encoding,
/// reversible tokens, kind): every pseudonym of it changes, so joins with past data break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PseudonymChange {
    pub endpoint: String,
    pub path: LeafPath,
    pub old: String,
    pub new: String,
}

/// A change to what requests an endpoint admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RequestChange {
    pub endpoint: String,
    pub change: String,
    /// More requests are admitted than before.
    pub widens: bool,
}

impl RulesDiff {
    /// The change lets more through: a leaf's exposure rises or more requests are admitted.
    pub(crate) fn exposes(&self) -> bool {
        self.leaves.iter().any(|l| l.exposes) || self.requests.iter().any(|r| r.widens)
    }
}

/// 0 (nothing passes) … 3 (raw or unknown); see the module docs.
pub(crate) fn exposure(class: Option<LeafClass>) -> u8 {
    class.map_or(0, |c| 3 - c.strength())
}

/// Compare `old` with `new`.
pub(crate) fn diff(old: &RuleSet, new: &RuleSet) -> RulesDiff {
    let mut out = RulesDiff::default();
    let old_by_label = by_label(old);
    let new_by_label = by_label(new);
    for (key, endpoint) in &old_by_label {
        if !new_by_label.contains_key(key) {
            out.endpoints_removed.push(endpoint.label.clone());
        }
    }
    for (key, endpoint) in &new_by_label {
        let previous = old_by_label.get(key).copied();
        if previous.is_none() {
            out.endpoints_added.push(endpoint.label.clone());
            out.requests.push(RequestChange {
                endpoint: endpoint.label.clone(),
                change: "new endpoint: these requests are now allowed".into(),
                widens: true,
            });
        }
        compare_leaves(&mut out, previous.map(|e| (old, e)), (new, endpoint));
        if let Some(previous) = previous {
            compare_requests(&mut out, previous, endpoint);
        }
    }
    out
}

/// Endpoints keyed by (label, occurrence), in file order of first appearance.
fn by_label(rules: &RuleSet) -> BTreeMap<(String, usize), &Endpoint> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for endpoint in &rules.endpoints {
        let n = seen.entry(endpoint.label.as_str()).or_default();
        out.insert((endpoint.label.clone(), *n), endpoint);
        *n += 1;
    }
    out
}

/// Per leaf, in schema order: its class and the signature of what pseudonymizes it.
type LeafTable = Vec<(LeafPath, (LeafClass, String))>;

fn lookup<'t>(table: &'t LeafTable, path: &LeafPath) -> Option<&'t (LeafClass, String)> {
    table.iter().find(|(p, _)| p == path).map(|(_, row)| row)
}

fn leaf_table(rules: &RuleSet, endpoint: &Endpoint) -> LeafTable {
    let analysis = classify::analyse(rules, endpoint);
    analysis
        .leaves
        .iter()
        .map(|(node, class, applied)| {
            let signature: Vec<String> = applied
                .iter()
                .filter(|a| a.certain && !a.on_enclosing && a.effect == LeafClass::Pseudonymized)
                .map(|a| match a.options.is_empty() {
                    true => a.kind.to_owned(),
                    false => format!("{} ({})", a.kind, a.options),
                })
                .collect();
            (
                analysis.shape.path(*node),
                (*class, signature.join(" then ")),
            )
        })
        .collect()
}

fn compare_leaves(
    out: &mut RulesDiff,
    old: Option<(&RuleSet, &Endpoint)>,
    (new_rules, new): (&RuleSet, &Endpoint),
) {
    let before = old.map(|(r, e)| leaf_table(r, e)).unwrap_or_default();
    let after = leaf_table(new_rules, new);
    // New schema order first, then the leaves only the old schema had.
    let gone = before.iter().filter(|(p, _)| lookup(&after, p).is_none());
    let paths: Vec<&LeafPath> = after.iter().chain(gone).map(|(p, _)| p).collect();
    for path in paths {
        let (b, a) = (lookup(&before, path), lookup(&after, path));
        let (old_class, new_class) = (b.map(|x| x.0), a.map(|x| x.0));
        if old_class != new_class {
            out.leaves.push(LeafChange {
                endpoint: new.label.clone(),
                path: path.clone(),
                old: old_class,
                new: new_class,
                exposes: exposure(new_class) > exposure(old_class),
            });
        } else if let (Some((LeafClass::Pseudonymized, was)), Some((_, now))) = (b, a)
            && was != now
        {
            out.pseudonyms.push(PseudonymChange {
                endpoint: new.label.clone(),
                path: path.clone(),
                old: was.clone(),
                new: now.clone(),
            });
        }
    }
}

fn compare_requests(out: &mut RulesDiff, old: &Endpoint, new: &Endpoint) {
    let mut push = |change: String, widens: bool| {
        out.requests.push(RequestChange {
            endpoint: new.label.clone(),
            change,
            widens,
        })
    };
    match (&old.allowed_query_params, &new.allowed_query_params) {
        (Some(_), None) => push(
            "allowedQueryParams removed: every query parameter is now allowed".into(),
            true,
        ),
        (None, Some(_)) => push(
            "allowedQueryParams added: only the listed query parameters are allowed".into(),
            false,
        ),
        (Some(before), Some(after)) => {
            let added: Vec<&str> = after
                .iter()
                .filter(|p| !before.contains(p))
                .map(String::as_str)
                .collect();
            let removed: Vec<&str> = before
                .iter()
                .filter(|p| !after.contains(p))
                .map(String::as_str)
                .collect();
            if !added.is_empty() {
                push(
                    format!("query parameters now allowed: {}", added.join(", ")),
                    true,
                );
            }
            if !removed.is_empty() {
                push(
                    format!("query parameters no longer allowed: {}", removed.join(", ")),
                    false,
                );
            }
        }
        (None, None) => {}
    }
    let added: Vec<&str> = new
        .allowed_methods
        .iter()
        .filter(|m| !old.allowed_methods.contains(m))
        .map(String::as_str)
        .collect();
    if !added.is_empty() {
        push(format!("methods now allowed: {}", added.join(", ")), true);
    }
}
