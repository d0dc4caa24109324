//! What every rules subcommand and `sanitize` share: loading a rules file with every
//! diagnostic printed, and reading a request URL as path and query.

use std::path::Path;

use super::CliError;
use crate::rules::{self, RuleSet, RulesError};

/// Load a rules file, printing every diagnostic when it is invalid.
pub(super) fn load_or_report(path: &Path) -> Result<RuleSet, CliError> {
    rules::load(path).map_err(|err| match err {
        RulesError::Invalid(diagnostics) => {
            eprintln!("{diagnostics}");
            CliError::InvalidRules(format!(
                "{}: {} problem(s); the rules are not usable",
                path.display(),
                diagnostics.0.len()
            ))
        }
        other => CliError::Usage(other.to_string()),
    })
}

/// Split `PATH?QUERY` at the first `?`.
pub(super) fn split_url(url: &str) -> (&str, Option<&str>) {
    match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    }
}
