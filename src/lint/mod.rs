//! The rules linter: proves, per endpoint, what happens to every field a rules file lets
//! through, and flags what looks like a leak.
//!
//! PURE. For each endpoint the responseSchema is unrolled into a finite [`shape::Shape`]
//! (`$ref`s followed, cycles bounded); every transform JSONPath is evaluated over that
//! shape (`reach`), which says which positions it can match and whether it always does;
//! each leaf then gets its worst-case [`LeafClass`] (`classify`). The checks (`checks`,
//! `examples`) turn that into [`Finding`]s with stable codes; a lint file
//! ([`LintConfig`]) adds personal-name patterns and acknowledges findings with reasons.
//! [`diff`] compares two rules files with the same analysis; `psoxy_compare` sets the
//! result next to Psoxy's treatment of each field (`rules/psoxy-treatment.yaml`).
//!
//! Invariant: a leaf is only ever reported as protected when every document the schema
//! lets through gets that protection — the canary tests (`tests/integration/canary.rs`)
//! hold the linter to this by sanitizing generated documents.

mod checks;
pub(crate) mod classify;
pub(crate) mod config;
// `rules diff` (cli) is its one user: without the runtime feature it is not compiled.
#[cfg_attr(not(feature = "runtime"), allow(dead_code))]
pub(crate) mod diff;
mod examples;
pub(crate) mod findings;
pub(crate) mod names;
mod psoxy_compare;
pub(crate) mod reach;
mod render;
pub(crate) mod shape;

use serde::Serialize;

pub use classify::{Applied, LeafClass};
pub use config::{Acknowledgement, LintConfig, LintConfigError};
pub use findings::{Code, Finding};
pub use psoxy_compare::{
    Conditional, EndpointComparison, EndpointFacts, FieldFacts, FieldRow, PsoxyClass,
    PsoxyComparison, PsoxyFacts, PsoxyFactsError, PsoxyProblem, PsoxyProblemKind, PsoxySource,
    compare_with_psoxy, render_psoxy_markdown,
};
pub use render::render_text;
pub use shape::{LeafPath, MAX_REF_REPEAT, SchemaStep};

use crate::rules::RuleSet;

/// An example response, tied to its endpoint by its request.
#[derive(Debug, Clone)]
pub struct LintExample {
    /// How the example is named in notes (e.g. its file name).
    pub label: String,
    pub method: String,
    /// `PATH?QUERY` of the request the body answers.
    pub url: String,
    pub body: String,
}

/// Everything the linter found about a rules file.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub endpoints: Vec<EndpointReport>,
    /// Findings not acknowledged: any of them fails the lint.
    pub findings: Vec<Finding>,
    pub acknowledged: Vec<AcknowledgedFinding>,
    /// About the examples: ones no endpoint admits, ones that are not JSON.
    pub notes: Vec<String>,
}

/// A finding the lint file accepts, with its reason.
#[derive(Debug, Clone, Serialize)]
pub struct AcknowledgedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
}

/// One endpoint: every leaf and what happens to it.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointReport {
    /// 0-based position in the rules file.
    pub index: usize,
    /// `pathTemplate` or `pathRegex`.
    pub endpoint: String,
    pub has_schema: bool,
    /// Example responses used for L005; `None` when examples were not used.
    pub examples: Option<usize>,
    pub leaves: Vec<LeafReport>,
}

/// One leaf of an endpoint's responseSchema.
#[derive(Debug, Clone, Serialize)]
pub struct LeafReport {
    pub path: LeafPath,
    /// The value kinds the schema lets through here, e.g. `string`.
    pub kinds: String,
    /// Worst case over every document the schema lets through.
    pub class: LeafClass,
    /// What the name looks like, when it looks personal.
    pub personal: Option<String>,
    /// An L001 for this leaf is acknowledged by the lint file.
    pub acknowledged: bool,
    /// Why the analysis stopped here, for leaves cut off in a recursive schema.
    pub truncated: Option<String>,
    /// Every transform that reaches the leaf (or an enclosing value), in file order.
    pub applied: Vec<Applied>,
}

impl LeafReport {
    /// Whether the linter allows a value from this leaf to appear in the output as it
    /// came in: kept raw and either not personal or acknowledged, or masked (a partial
    /// rewrite whose result depends on the text). Everything else is a claim that the
    /// value never passes — what the canary tests check.
    pub fn may_pass_raw(&self) -> bool {
        match self.class {
            LeafClass::KeptRaw => self.personal.is_none() || self.acknowledged,
            LeafClass::Masked => true,
            _ => false,
        }
    }
}

impl EndpointReport {
    /// The report row of a leaf path.
    pub fn leaf(&self, path: &LeafPath) -> Option<&LeafReport> {
        self.leaves.iter().find(|l| &l.path == path)
    }
}

impl LintReport {
    /// No unacknowledged finding.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Lint `rules`. With `examples`, also check every JSONPath against the example responses
/// of its endpoint (L005).
pub fn lint(rules: &RuleSet, config: &LintConfig, examples: Option<&[LintExample]>) -> LintReport {
    let mut endpoints = Vec::new();
    let mut findings = Vec::new();
    for (index, endpoint) in rules.endpoints.iter().enumerate() {
        let analysis = classify::analyse(rules, endpoint);
        let (report, found) = checks::check_endpoint(index, endpoint, &analysis, &config.personal);
        endpoints.push(report);
        findings.extend(found);
    }
    let mut notes = Vec::new();
    if let Some(examples) = examples {
        let outcome = examples::check_examples(rules, examples);
        for (report, count) in endpoints.iter_mut().zip(outcome.counts) {
            report.examples = Some(count);
        }
        // A path that can never match cannot match an example either: L002 says it.
        let dead: Vec<(String, Option<String>)> = findings
            .iter()
            .filter(|f| f.code == Code::DeadPath)
            .map(|f| (f.endpoint.clone(), f.path.clone()))
            .collect();
        findings.extend(
            outcome
                .findings
                .into_iter()
                .filter(|f| !dead.contains(&(f.endpoint.clone(), f.path.clone()))),
        );
        notes = outcome.notes;
    }
    let (findings, acknowledged) = acknowledge(&mut endpoints, findings, config);
    LintReport {
        endpoints,
        findings,
        acknowledged,
        notes,
    }
}

/// Split findings into open and acknowledged; an acknowledgement that covers nothing is
/// an L009 finding of its own.
fn acknowledge(
    endpoints: &mut [EndpointReport],
    findings: Vec<Finding>,
    config: &LintConfig,
) -> (Vec<Finding>, Vec<AcknowledgedFinding>) {
    let mut used = vec![false; config.acknowledgements.len()];
    let mut open = Vec::new();
    let mut accepted = Vec::new();
    for finding in findings {
        let ack = config
            .acknowledgements
            .iter()
            .position(|a| a.covers(&finding));
        let Some(i) = ack else {
            open.push(finding);
            continue;
        };
        used[i] = true;
        if finding.code == Code::PersonalKeptRaw {
            mark_acknowledged(endpoints, &finding);
        }
        accepted.push(AcknowledgedFinding {
            finding,
            reason: config.acknowledgements[i].reason.clone(),
        });
    }
    for (ack, _) in config.acknowledgements.iter().zip(used).filter(|(_, u)| !u) {
        open.push(Finding::new(
            Code::StaleAcknowledgement,
            &ack.endpoint,
            ack.path.clone(),
            format!(
                "the lint file acknowledges {} here, but there is no such finding",
                ack.code
            ),
            "remove the acknowledgement, or correct its endpoint and path to the ones the \
             finding names"
                .into(),
        ));
    }
    (open, accepted)
}

fn mark_acknowledged(endpoints: &mut [EndpointReport], finding: &Finding) {
    let leaves = endpoints
        .iter_mut()
        .filter(|e| e.endpoint == finding.endpoint)
        .flat_map(|e| e.leaves.iter_mut());
    for leaf in leaves {
        if Some(leaf.path.to_string()) == finding.path {
            leaf.acknowledged = true;
        }
    }
}

#[cfg(test)]
mod tests;
