//! `pseudoproxy rules report RULES [--examples M] [--against OLD] --out FILE`: one
//! self-contained HTML page that shows the people who approve a connector what leaves —
//! per endpoint the requests it admits and what happens to every field, per golden example
//! the original and the sanitized response side by side, and with `--against` the privacy
//! effect of the change at the top.
//!
//! This file is the I/O edge: it reads the rules, the lint file, the examples and the old
//! rules, takes the date, and writes the page. Everything between is pure:
//!
//! - `build` asks the engine (`lint::lint`, `lint::diff`, `RuleSet::gate`,
//!   `sanitize::sanitize`, the JSON diff of `rules test`) and fills the `model`;
//! - `requests` reads an endpoint's request shape (parameters, CQL grammar);
//! - `fate` pairs an example's original and sanitized values and says what happened to each;
//! - `html` renders the model, every text through `escape`, with the inline `report.css`.
//!
//! Errors are the CLI's [`CliError`]; the pure layers cannot fail (an example that cannot be
//! sanitized is shown as such). Exit codes: 0 the page was written (findings and exposures
//! are on it: `rules lint` and `rules diff` are the gates), 2 usage or I/O, 3 invalid rules
//! or lint file. The page never holds a secret: the examples' test-only salt and key are
//! used to sanitize, and only the salt's fingerprint is shown.

mod build;
mod escape;
mod fate;
mod html;
mod model;
mod requests;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use clap::Args;

use super::examples_manifest::Manifest;
use super::rules_lint::{load_config, sidecar_of};
use super::{CliError, rules_file};
use crate::lint::LintConfig;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Rules file (YAML).
    rules: PathBuf,
    /// Examples manifest: each example's original and sanitized response side by side,
    /// sanitized with the manifest's test-only salt and key (its `rules` key is not used:
    /// RULES is).
    #[arg(long)]
    examples: Option<PathBuf>,
    /// The rules file before a change: the privacy effect of the change goes at the top.
    #[arg(long)]
    against: Option<PathBuf>,
    /// Lint file with personal-name patterns and acknowledged findings
    /// [default: RULES with `.lint.yaml` for its extension, if any].
    #[arg(long)]
    lint_file: Option<PathBuf>,
    /// Where to write the page (HTML).
    #[arg(long)]
    out: PathBuf,
}

pub(super) fn run(args: ReportArgs) -> Result<(), CliError> {
    let rules = rules_file::load_or_report(&args.rules)?;
    let old = args
        .against
        .as_deref()
        .map(rules_file::load_or_report)
        .transpose()?;
    let lint_file = args.lint_file.clone().or_else(|| {
        let default = sidecar_of(&args.rules);
        default.exists().then_some(default)
    });
    let config = match &lint_file {
        Some(path) => load_config(path)?,
        None => LintConfig::default(),
    };
    let examples = args.examples.as_deref().map(read_examples).transpose()?;
    let inputs = build::Inputs {
        rules_origin: args.rules.display().to_string(),
        rules: &rules,
        lint_file: lint_file.map(|p| p.display().to_string()),
        lint_config: &config,
        examples: examples.as_ref(),
        against: args
            .against
            .as_ref()
            .zip(old.as_ref())
            .map(|(path, old)| (path.display().to_string(), old)),
        generated: crate::clock::utc_iso8601(now()),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let report = build::build(&inputs);
    let page = html::render(&report);
    write_page(&args.out, &page)?;
    println!(
        "{}: {} endpoint(s), {} example(s){}",
        args.out.display(),
        report.endpoints.len(),
        examples.as_ref().map_or(0, |set| set.examples.len()),
        match &report.change {
            Some(change) if change.exposes => "; the change EXPOSES more (see the top)",
            Some(_) => "; the change exposes nothing new",
            None => "",
        }
    );
    Ok(())
}

/// The manifest and every file it names. An unreadable original is an error; an
/// unreadable golden output is shown on the page.
fn read_examples(manifest_path: &Path) -> Result<build::Examples, CliError> {
    let (manifest, base) = Manifest::load(manifest_path)?;
    let examples = manifest
        .examples
        .iter()
        .map(|example| {
            let original_path = base.join(&example.original);
            let original = std::fs::read_to_string(&original_path).map_err(|e| {
                CliError::Usage(format!("cannot read {}: {e}", original_path.display()))
            })?;
            let expected_path = base.join(&example.sanitized);
            let expected = std::fs::read_to_string(&expected_path)
                .map_err(|e| format!("cannot read {}: {e}", expected_path.display()));
            Ok(build::ExampleInput {
                method: example.method.clone().unwrap_or_else(|| "GET".to_owned()),
                url: example.url.clone(),
                label: example.original.display().to_string(),
                original,
                expected,
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(build::Examples {
        origin: manifest_path.display().to_string(),
        salt: manifest.salt,
        encryption_key: manifest.encryption_key,
        examples,
    })
}

fn write_page(path: &Path, page: &str) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::Usage(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::write(path, page).map_err(fail)
}

/// Now, or `SOURCE_DATE_EPOCH` (seconds) when set, so that a page can be reproduced byte
/// for byte.
fn now() -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(SystemTime::now, |secs| {
            SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
        })
}
