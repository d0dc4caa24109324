//! `pseudoproxy rules check` and `pseudoproxy rules test`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::examples_manifest::{Example, Manifest, default_manifest};
use super::rules_file::{blocked_for_author, load_or_report, split_url};
use super::{CliError, json_diff};
use crate::pseudonym::{PseudonymConfig, Pseudonymizer};
use crate::rules::RuleSet;
use crate::sanitize;

/// `rules check F...`: every file is checked even after a failure.
pub(super) fn check(files: &[PathBuf]) -> Result<(), CliError> {
    let mut invalid = 0;
    for file in files {
        match load_or_report(file) {
            Ok(rules) => println!(
                "{}: ok ({} endpoints)",
                file.display(),
                rules.endpoints.len()
            ),
            Err(CliError::InvalidRules(summary)) => {
                eprintln!("{summary}");
                invalid += 1;
            }
            Err(other) => return Err(other),
        }
    }
    match invalid {
        0 => Ok(()),
        n => Err(CliError::InvalidRules(format!(
            "{n} of {} rules file(s) invalid",
            files.len()
        ))),
    }
}

/// `rules test [--examples M]`: run every example; exit 1 if any differs.
pub(super) fn test(manifest_path: Option<PathBuf>) -> Result<(), CliError> {
    let manifest_path = manifest_path.unwrap_or_else(default_manifest);
    let (manifest, base) = Manifest::load(&manifest_path)?;
    let rules = load_or_report(&base.join(&manifest.rules))?;
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: manifest.salt.clone(),
        encryption_key: manifest.encryption_key.clone(),
        ..PseudonymConfig::default()
    });
    let mut failed = 0;
    for example in &manifest.examples {
        let problems = run_example(&rules, &pseudonymizer, &base, example);
        if problems.is_empty() {
            println!("ok   {}", example.url);
        } else {
            failed += 1;
            println!("FAIL {} ({})", example.url, example.sanitized.display());
            for line in problems {
                println!("     {line}");
            }
        }
    }
    let total = manifest.examples.len();
    println!("{} passed, {failed} failed", total - failed);
    match failed {
        0 => Ok(()),
        n => Err(CliError::ChecksFailed(format!(
            "{n} of {total} example(s) differ from their expected output"
        ))),
    }
}

/// The problems of one example; empty when it passes.
fn run_example(
    rules: &RuleSet,
    pseudonymizer: &Pseudonymizer,
    base: &Path,
    example: &Example,
) -> Vec<String> {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(base.join(p))
            .map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let (original, expected) = match (read(&example.original), read(&example.sanitized)) {
        (Ok(o), Ok(s)) => (o, s),
        (Err(e), _) | (_, Err(e)) => return vec![e],
    };
    let (path, query) = split_url(&example.url);
    let method = example.method.as_deref().unwrap_or("GET");
    let matched = match rules.gate(method, path, query) {
        Ok(m) => m,
        Err(blocked) => return vec![blocked_for_author(&blocked)],
    };
    let actual = match sanitize::sanitize(rules, matched.endpoint, pseudonymizer, &original) {
        Ok(s) => s.body,
        Err(e) => return vec![format!("SANITIZATION_FAILED: {e}")],
    };
    match (parse_all(&expected), parse_all(&actual)) {
        // One value per body is the common case: diff it directly so paths read `$.a`.
        (Ok(mut e), Ok(mut a)) if e.len() == 1 && a.len() == 1 => {
            json_diff::diff(&e.remove(0), &a.remove(0))
        }
        (Ok(e), Ok(a)) => json_diff::diff(&Value::Array(e), &Value::Array(a)),
        (Err(e), _) => vec![format!("expected file is not JSON: {e}")],
        (_, Err(e)) => vec![format!("sanitized output is not JSON: {e}")],
    }
}

/// All top-level JSON values of a body (one for ordinary responses, several for NDJSON).
fn parse_all(text: &str) -> Result<Vec<Value>, serde_json::Error> {
    serde_json::Deserializer::from_str(text)
        .into_iter::<Value>()
        .collect()
}
