//! Unit tests of the linter: tables of small rules files → classes, findings, diffs.

mod classes;
mod diffs;
mod findings;

use crate::lint::{EndpointReport, LintConfig, LintExample, LintReport, lint};
use crate::rules::{self, RuleSet};

pub(super) fn load(yaml: &str) -> RuleSet {
    rules::from_str(yaml, "test.yaml").unwrap_or_else(|d| panic!("{d}"))
}

pub(super) fn report(yaml: &str) -> LintReport {
    lint(&load(yaml), &LintConfig::default(), None)
}

pub(super) fn report_with(yaml: &str, config: &str, examples: &[(&str, &str)]) -> LintReport {
    let config = LintConfig::from_yaml(config).unwrap();
    let examples: Vec<LintExample> = examples
        .iter()
        .enumerate()
        .map(|(i, (url, body))| LintExample {
            label: format!("example{i}"),
            method: "GET".into(),
            url: (*url).into(),
            body: (*body).into(),
        })
        .collect();
    lint(&load(yaml), &config, Some(&examples))
}

/// `leaf kinds class` lines of an endpoint, for readable table comparisons.
pub(super) fn rows(endpoint: &EndpointReport) -> Vec<String> {
    endpoint
        .leaves
        .iter()
        .map(|l| format!("{} {} {}", l.path, l.kinds, l.class.label()))
        .collect()
}

/// `code endpoint path` of every open finding.
pub(super) fn codes(report: &LintReport) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                f.code.id(),
                f.endpoint,
                f.path.as_deref().unwrap_or("-")
            )
        })
        .collect()
}
