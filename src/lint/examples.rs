//! L005: every JSONPath of an endpoint should match something in at least one example
//! response of that endpoint — a path that matches nothing in realistic data is either
//! untested or wrong (the classic silent zero-match).
//!
//! Examples are tied to endpoints the way the proxy ties requests to them
//! ([`RuleSet::gate`]); paths are evaluated on each response after the responseSchema
//! filter, which is what the transforms see. An endpoint without examples is not checked
//! (the report says so).

use serde_json::Value;

use super::LintExample;
use super::classify::describe;
use super::findings::{Code, Finding};
use crate::jsonpath::JsonPath;
use crate::rules::RuleSet;
use crate::sanitize;

/// Examples per endpoint, L005 findings, and notes about examples that could not be used.
pub(super) struct ExampleOutcome {
    pub counts: Vec<usize>,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

pub(super) fn check_examples(rules: &RuleSet, examples: &[LintExample]) -> ExampleOutcome {
    let mut docs: Vec<Vec<Value>> = vec![Vec::new(); rules.endpoints.len()];
    let mut counts = vec![0; rules.endpoints.len()];
    let mut notes = Vec::new();
    for example in examples {
        let (path, query) = match example.url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (example.url.as_str(), None),
        };
        let matched = match rules.gate(&example.method, path, query) {
            Ok(m) => m,
            Err(blocked) => {
                notes.push(format!(
                    "example {} is not admitted by these rules ({}); not used",
                    example.label, blocked.reason
                ));
                continue;
            }
        };
        let values = serde_json::Deserializer::from_str(&example.body)
            .into_iter::<Value>()
            .collect::<Result<Vec<_>, _>>();
        match values {
            Ok(values) => {
                counts[matched.index] += 1;
                docs[matched.index].extend(
                    values
                        .into_iter()
                        .map(|v| sanitize::filter_by_schema(rules, matched.endpoint, v)),
                );
            }
            Err(e) => notes.push(format!(
                "example {} is not JSON ({e}); not used",
                example.label
            )),
        }
    }
    let mut findings = Vec::new();
    for (index, endpoint) in rules.endpoints.iter().enumerate() {
        if counts[index] == 0 {
            continue;
        }
        for (t, transform) in endpoint.transforms.iter().enumerate() {
            let (kind, _) = describe(&transform.kind);
            let paths = transform
                .apply_only_when
                .iter()
                .chain(&transform.json_paths);
            for path in paths.filter(|p| !matches_any(p, &docs[index])) {
                findings.push(Finding::new(
                    Code::UnmatchedInExamples,
                    &endpoint.label,
                    Some(path.source().to_owned()),
                    format!(
                        "`{}` (#{} {kind}) matches nothing in the example responses of this \
                         endpoint ({})",
                        path.source(),
                        t + 1,
                        counts[index]
                    ),
                    "add an example response that exercises it, or fix the path".into(),
                ));
            }
        }
    }
    ExampleOutcome {
        counts,
        findings,
        notes,
    }
}

fn matches_any(path: &JsonPath, docs: &[Value]) -> bool {
    docs.iter().any(|doc| path.matches_any(doc))
}
