//! What every rules subcommand and `sanitize` share: loading a rules file with every
//! diagnostic printed, and reading a request URL as path and query.

use std::path::Path;

use super::CliError;
use crate::rules::{self, BlockReason, Blocked, RuleSet, RulesError};

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

/// Why a URL was refused, for the rules author who typed it: the proxy's log line never
/// names an undeclared parameter (it is the caller's text); here it is the author's own.
pub(super) fn blocked_for_author(blocked: &Blocked) -> String {
    match &blocked.reason {
        BlockReason::QueryParamNotAllowed { name } => {
            format!("BLOCKED_BY_RULES: query parameter `{name}` not allowed")
        }
        other => format!("BLOCKED_BY_RULES: {other}"),
    }
}
