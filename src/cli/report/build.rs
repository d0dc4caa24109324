//! Builds the report's model from the engine: `lint::lint` for the field tables and
//! findings, `lint::diff` for the effect of a change, `RuleSet::gate` and
//! `sanitize::sanitize` for the examples, and `rules test`'s JSON diff against each golden
//! output — the same analysis `rules lint`, `rules diff` and `rules test` print.
//!
//! PURE: the I/O edge (`super`) reads every file first. The examples' test-only salt and
//! key are used here to sanitize and never copied into the model (only the salt's
//! fingerprint is).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::super::json_diff;
use super::super::rules_file::{blocked_for_author, split_url};
use super::fate::{Aligned, is_reversible};
use super::model::{
    Change, EndpointSection, ExampleOutcome, ExampleView, Fate, FieldDelta, FieldRow, FindingView,
    Golden, Header, PseudonymDelta, Report, RequestDelta,
};
use super::requests;
use crate::lint::diff::{self as rules_diff, exposure};
use crate::lint::{self, Applied, Finding, LeafReport, LintConfig};
use crate::lint::{LintExample, LintReport};
use crate::pseudonym::{PseudonymConfig, Pseudonymizer};
use crate::rules::{Endpoint, RuleSet};
use crate::sanitize;

/// The golden examples of a manifest, as the I/O edge read them. No `Debug`: it holds the
/// test-only secrets.
pub(super) struct Examples {
    /// The manifest, as named on the command line.
    pub origin: String,
    /// Test-only secrets: used to sanitize, never shown.
    pub salt: String,
    pub encryption_key: Option<String>,
    pub examples: Vec<ExampleInput>,
}

/// One example: its request, its upstream body and its expected output.
pub(super) struct ExampleInput {
    pub method: String,
    pub url: String,
    /// The original's file, as the manifest names it.
    pub label: String,
    pub original: String,
    /// The expected sanitized body, or why it could not be read.
    pub expected: Result<String, String>,
}

/// Everything a report is built from.
pub(super) struct Inputs<'a> {
    /// The rules file as named on the command line.
    pub rules_origin: String,
    pub rules: &'a RuleSet,
    pub lint_file: Option<String>,
    pub lint_config: &'a LintConfig,
    pub examples: Option<&'a Examples>,
    /// `--against`: the rules before the change, and how they were named.
    pub against: Option<(String, &'a RuleSet)>,
    /// ISO-8601 UTC instant.
    pub generated: String,
    pub version: String,
}

/// The report of `inputs`.
pub(super) fn build(inputs: &Inputs<'_>) -> Report {
    let rules = inputs.rules;
    let lint_examples: Option<Vec<LintExample>> = inputs.examples.map(|set| {
        set.examples
            .iter()
            .map(|e| LintExample {
                label: e.label.clone(),
                method: e.method.clone(),
                url: e.url.clone(),
                body: e.original.clone(),
            })
            .collect()
    });
    let linted = lint::lint(rules, inputs.lint_config, lint_examples.as_deref());
    let pseudonymizer = inputs.examples.map(|set| {
        Pseudonymizer::new(PseudonymConfig {
            salt: set.salt.clone(),
            encryption_key: set.encryption_key.clone(),
            ..PseudonymConfig::default()
        })
    });
    let mut endpoints: Vec<EndpointSection> = rules
        .endpoints
        .iter()
        .zip(&linted.endpoints)
        .map(|(endpoint, report)| EndpointSection {
            index: report.index,
            label: endpoint.label.clone(),
            requests: requests::shape(rules, endpoint),
            has_schema: report.has_schema,
            fields: report.leaves.iter().map(field_row).collect(),
            findings: Vec::new(),
            examples: Vec::new(),
        })
        .collect();
    let other_findings = place_findings(&mut endpoints, &linted);
    let mut stray_examples = Vec::new();
    if let (Some(set), Some(pseudonymizer)) = (inputs.examples, &pseudonymizer) {
        for example in &set.examples {
            let (index, view) = example_view(rules, &linted, pseudonymizer, example);
            match endpoints.iter_mut().find(|e| Some(e.index) == index) {
                Some(section) => section.examples.push(view),
                None => stray_examples.push(view),
            }
        }
    }
    let change = inputs.against.as_ref().map(|(origin, old)| {
        let examples = inputs.examples.zip(pseudonymizer.as_ref());
        change_effect(origin, old, rules, examples)
    });
    let mut totals: BTreeMap<Fate, usize> = BTreeMap::new();
    for field in endpoints.iter().flat_map(|e| &e.fields) {
        *totals.entry(field.fate).or_default() += 1;
    }
    Report {
        header: Header {
            rules: inputs.rules_origin.clone(),
            rules_sha1: rules.sha1_hex.clone(),
            lint_file: inputs.lint_file.clone(),
            examples: inputs.examples.map(|set| set.origin.clone()),
            generated: inputs.generated.clone(),
            version: inputs.version.clone(),
            example_salt_fingerprint: pseudonymizer.as_ref().map(Pseudonymizer::salt_fingerprint),
            example_key: inputs
                .examples
                .is_some_and(|set| set.encryption_key.is_some()),
        },
        change,
        totals: Fate::ALL
            .into_iter()
            .filter_map(|f| totals.get(&f).map(|n| (f, *n)))
            .collect(),
        endpoints,
        stray_examples,
        other_findings,
        notes: linted.notes.clone(),
        open_findings: linted.findings.len(),
        acknowledged: linted.acknowledged.len(),
    }
}

/// One leaf of the linter's table.
fn field_row(leaf: &LeafReport) -> FieldRow {
    let reversible = leaf.applied.iter().any(is_reversible);
    let path = leaf.path.to_string();
    FieldRow {
        by: leaf.applied.iter().map(|a| by_text(a, &path)).collect(),
        path,
        kinds: leaf.kinds.clone(),
        fate: Fate::of_class(leaf.class, reversible),
        personal: leaf.personal.clone(),
        truncated: leaf.truncated.clone(),
        findings: Vec::new(),
    }
}

/// `#1 pseudonymize (reversible) $..email [conditional]`: the JSONPath only when it is
/// not the leaf's own (as `rules lint` prints it).
fn by_text(applied: &Applied, leaf_path: &str) -> String {
    let mut text = format!("#{} {}", applied.transform + 1, applied.kind);
    if !applied.options.is_empty() {
        let _ = write!(text, " ({})", applied.options);
    }
    if applied.path != leaf_path {
        text.push(' ');
        text.push_str(&applied.path);
    }
    if applied.on_enclosing {
        text.push_str(" [enclosing value]");
    }
    if !applied.certain {
        text.push_str(" [conditional]");
    }
    text
}

fn finding_view(finding: &Finding, reason: Option<&str>) -> FindingView {
    FindingView {
        code: finding.code.to_string(),
        endpoint: finding.endpoint.clone(),
        path: finding.path.clone(),
        message: finding.message.clone(),
        fix: finding.fix.clone(),
        reason: reason.map(str::to_owned),
    }
}

/// Each finding, open or acknowledged, goes to the field it names, else to its endpoint;
/// the ones naming no endpoint of the file are returned.
fn place_findings(endpoints: &mut [EndpointSection], linted: &LintReport) -> Vec<FindingView> {
    let all = linted.findings.iter().map(|f| finding_view(f, None)).chain(
        linted
            .acknowledged
            .iter()
            .map(|a| finding_view(&a.finding, Some(a.reason.as_str()))),
    );
    let mut unplaced = Vec::new();
    for view in all {
        let mut placed = false;
        for section in endpoints.iter_mut().filter(|s| s.label == view.endpoint) {
            placed = true;
            let row = section
                .fields
                .iter_mut()
                .find(|row| Some(&row.path) == view.path.as_ref());
            match row {
                Some(row) => row.findings.push(view.clone()),
                None => section.findings.push(view.clone()),
            }
        }
        if !placed {
            unplaced.push(view);
        }
    }
    unplaced
}

/// An example's request through the gate and its body through the sanitizer: the index
/// of the endpoint that admits it (if any) and what the page shows.
fn example_view(
    rules: &RuleSet,
    linted: &LintReport,
    pseudonymizer: &Pseudonymizer,
    example: &ExampleInput,
) -> (Option<usize>, ExampleView) {
    let view = |outcome: ExampleOutcome| ExampleView {
        method: example.method.clone(),
        url: example.url.clone(),
        original: example.label.clone(),
        outcome,
    };
    let (path, query) = split_url(&example.url);
    let matched = match rules.gate(&example.method, path, query) {
        Ok(matched) => matched,
        Err(blocked) => {
            let reason = blocked_for_author(&blocked);
            return (None, view(ExampleOutcome::Refused { reason }));
        }
    };
    let outputs = sanitize_body(rules, matched.endpoint, pseudonymizer, &example.original);
    let report = linted.endpoints.get(matched.index);
    let outcome = match (report, outputs, parse_all(&example.original)) {
        (_, Err(reason), _) => ExampleOutcome::Refused { reason },
        (_, _, Err(e)) => ExampleOutcome::Refused {
            reason: format!("the original is not JSON: {e}"),
        },
        (None, _, _) => ExampleOutcome::Refused {
            reason: "the linter has no table for this endpoint".to_owned(),
        },
        (Some(report), Ok(outputs), Ok(originals)) => {
            let mut aligned = Aligned::default();
            for i in 0..originals.len().max(outputs.len()) {
                let original = originals.get(i);
                let filtered = original
                    .map(|v| sanitize::filter_by_schema(rules, matched.endpoint, v.clone()));
                aligned.add(report, original, filtered.as_ref(), outputs.get(i));
            }
            let tally = aligned.tally();
            ExampleOutcome::Shown {
                rows: aligned.rows,
                tally,
                golden: golden(&example.expected, &outputs),
            }
        }
    };
    (Some(matched.index), view(outcome))
}

/// The example through `rules` as the proxy would: the gate, then the sanitizer; every
/// top-level value of the output, or why nothing leaves.
fn sanitized(
    rules: &RuleSet,
    pseudonymizer: &Pseudonymizer,
    example: &ExampleInput,
) -> Result<Vec<Value>, String> {
    let (path, query) = split_url(&example.url);
    let matched = rules
        .gate(&example.method, path, query)
        .map_err(|blocked| blocked_for_author(&blocked))?;
    sanitize_body(rules, matched.endpoint, pseudonymizer, &example.original)
}

/// `body` through the sanitizer for `endpoint`: every top-level value of the output.
fn sanitize_body(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
) -> Result<Vec<Value>, String> {
    let output = sanitize::sanitize(rules, endpoint, pseudonymizer, body)
        .map_err(|e| format!("SANITIZATION_FAILED: {e}"))?;
    parse_all(&output.body).map_err(|e| format!("sanitized output is not JSON: {e}"))
}

/// Compared as `rules test` compares: one value against one value, else as arrays.
fn golden(expected: &Result<String, String>, actual: &[Value]) -> Golden {
    let text = match expected {
        Ok(text) => text,
        Err(why) => return Golden::Unavailable(why.clone()),
    };
    let expected = match parse_all(text) {
        Ok(values) => values,
        Err(e) => return Golden::Unavailable(format!("the expected file is not JSON: {e}")),
    };
    let lines = match (expected.as_slice(), actual) {
        ([e], [a]) => json_diff::diff(e, a),
        _ => json_diff::diff(
            &Value::Array(expected.clone()),
            &Value::Array(actual.to_vec()),
        ),
    };
    match lines.is_empty() {
        true => Golden::Matches,
        false => Golden::Differs(lines),
    }
}

/// The privacy effect of going from `old` to `new` (`rules diff`), with how each example's
/// output changes when there are examples.
fn change_effect(
    old_origin: &str,
    old: &RuleSet,
    new: &RuleSet,
    examples: Option<(&Examples, &Pseudonymizer)>,
) -> Change {
    let diff = rules_diff::diff(old, new);
    let mut change = Change {
        against: old_origin.to_owned(),
        against_sha1: old.sha1_hex.clone(),
        exposes: diff.exposes(),
        exposed: Vec::new(),
        protected: Vec::new(),
        reclassified: Vec::new(),
        pseudonyms: diff
            .pseudonyms
            .iter()
            .map(|p| PseudonymDelta {
                endpoint: p.endpoint.clone(),
                path: p.path.to_string(),
                old: p.old.clone(),
                new: p.new.clone(),
            })
            .collect(),
        requests: diff
            .requests
            .iter()
            .map(|r| RequestDelta {
                endpoint: r.endpoint.clone(),
                change: r.change.clone(),
                widens: r.widens,
            })
            .collect(),
        endpoints_added: diff.endpoints_added.clone(),
        endpoints_removed: diff.endpoints_removed.clone(),
        examples: Vec::new(),
    };
    for leaf in &diff.leaves {
        let delta = FieldDelta {
            endpoint: leaf.endpoint.clone(),
            path: leaf.path.to_string(),
            old: leaf.old,
            new: leaf.new,
        };
        match exposure(leaf.new).cmp(&exposure(leaf.old)) {
            Ordering::Greater => change.exposed.push(delta),
            Ordering::Less => change.protected.push(delta),
            Ordering::Equal => change.reclassified.push(delta),
        }
    }
    if let Some((set, pseudonymizer)) = examples {
        for example in &set.examples {
            let before = sanitized(old, pseudonymizer, example);
            let after = sanitized(new, pseudonymizer, example);
            let lines = match (&before, &after) {
                (Ok(b), Ok(a)) => json_diff::diff(&as_one(b), &as_one(a)),
                (b, a) if b == a => Vec::new(),
                (b, a) => vec![format!("old: {}; new: {}", outcome(b), outcome(a))],
            };
            if !lines.is_empty() {
                change.examples.push((example.url.clone(), lines));
            }
        }
    }
    change
}

/// One value as is, several as an array (as `rules diff` compares outputs).
fn as_one(values: &[Value]) -> Value {
    match values {
        [one] => one.clone(),
        many => Value::Array(many.to_vec()),
    }
}

fn outcome(result: &Result<Vec<Value>, String>) -> String {
    match result {
        Ok(_) => "sanitized".to_owned(),
        Err(e) => e.clone(),
    }
}

/// Every top-level JSON value of a body (one for most responses, several for NDJSON).
fn parse_all(text: &str) -> Result<Vec<Value>, serde_json::Error> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect()
}
