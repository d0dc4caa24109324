//! `pseudoproxy rules lint F`: what happens to every field of every endpoint, and what
//! looks like a leak (the analysis is `crate::lint`; this file reads files and prints).
//! With `--psoxy P` (e.g. rules/psoxy-treatment.yaml) it also sets every field next to
//! Psoxy's treatment; `--format markdown` prints that comparison as docs/psoxy-fields.md
//! carries it.
//!
//! Exit codes: 0 clean, 1 findings (or problems against Psoxy's treatment), 2 usage or
//! I/O, 3 invalid rules, lint file or facts file.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::examples_manifest::{Manifest, default_manifest};
use super::{CliError, rules_file};
use crate::lint::{self, LintConfig, LintExample, LintReport, PsoxyComparison, PsoxyFacts};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Format {
    Text,
    Json,
    /// The comparison with Psoxy (needs `--psoxy`), as docs/psoxy-fields.md carries it.
    Markdown,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Rules file (YAML).
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Examples manifest: every JSONPath must match something in an example response of
    /// its endpoint [default: the project's example-api-responses/examples.yaml, if any].
    #[arg(long, conflicts_with = "no_examples")]
    examples: Option<PathBuf>,
    /// Do not check JSONPaths against example responses.
    #[arg(long)]
    no_examples: bool,
    /// Lint file with extra personal-name patterns and acknowledged findings
    /// [default: F with `.lint.yaml` for its extension, e.g. confluence.lint.yaml, if any].
    #[arg(long)]
    lint_file: Option<PathBuf>,
    /// Psoxy's treatment of every field (e.g. rules/psoxy-treatment.yaml): set each field
    /// next to ours and check that every field Psoxy passes and these rules drop has a
    /// reason [required by `--format markdown`].
    #[arg(long, value_name = "FACTS", required_if_eq("format", "markdown"))]
    psoxy: Option<PathBuf>,
}

/// The JSON output: the report plus which files it is about.
#[derive(Serialize)]
struct JsonOutput<'a> {
    rules: String,
    lint_file: Option<String>,
    examples: Option<String>,
    #[serde(flatten)]
    report: &'a LintReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    psoxy: Option<&'a PsoxyComparison>,
}

pub(super) fn run(args: LintArgs) -> Result<(), CliError> {
    let rules = rules_file::load_or_report(&args.file)?;
    let lint_file = args.lint_file.clone().or_else(|| {
        let default = sidecar_of(&args.file);
        default.exists().then_some(default)
    });
    let config = match &lint_file {
        Some(path) => load_config(path)?,
        None => LintConfig::default(),
    };
    let manifest = match (&args.examples, args.no_examples) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => Some(default_manifest()).filter(|p| p.exists()),
    };
    let examples = manifest.as_deref().map(load_examples).transpose()?;
    let facts = match &args.psoxy {
        Some(path) => Some((load_psoxy(path)?, path.display().to_string())),
        None => None,
    };
    let report = lint::lint(&rules, &config, examples.as_deref());
    let origin = args.file.display().to_string();
    let comparison = facts
        .as_ref()
        .map(|(facts, file)| lint::compare_with_psoxy(&report, facts, &origin, file));
    match args.format {
        Format::Text => {
            print!("{}", lint::render_text(&origin, &report));
            if let Some(comparison) = &comparison {
                print!("{}", psoxy_problems_text(comparison));
            }
        }
        Format::Json => {
            let output = JsonOutput {
                rules: origin,
                lint_file: lint_file.map(|p| p.display().to_string()),
                examples: manifest.map(|p| p.display().to_string()),
                report: &report,
                psoxy: comparison.as_ref(),
            };
            let text = serde_json::to_string_pretty(&output)
                .map_err(|e| CliError::Usage(format!("cannot write the report: {e}")))?;
            println!("{text}");
        }
        Format::Markdown => match &comparison {
            Some(comparison) => print!("{}", lint::render_psoxy_markdown(comparison)),
            None => {
                return Err(CliError::Usage(
                    "--format markdown needs --psoxy".to_owned(),
                ));
            }
        },
    }
    let mut failed = Vec::new();
    if !report.findings.is_empty() {
        let n = report.findings.len();
        failed.push(format!("{}: {n} lint finding(s)", args.file.display()));
    }
    if let Some(comparison) = &comparison
        && !comparison.problems.is_empty()
    {
        let n = comparison.problems.len();
        failed.push(format!(
            "{}: {n} problem(s) against Psoxy's treatment",
            comparison.facts
        ));
    }
    match failed.is_empty() {
        true => Ok(()),
        false => Err(CliError::ChecksFailed(failed.join("; "))),
    }
}

/// After the text report: how the comparison with Psoxy went.
fn psoxy_problems_text(comparison: &PsoxyComparison) -> String {
    let problems: String = comparison
        .problems
        .iter()
        .map(|p| format!("- {p}\n"))
        .collect();
    let n = comparison.problems.len();
    format!("\nPSOXY ({}): {n} problem(s)\n{problems}", comparison.facts)
}

fn load_psoxy(path: &Path) -> Result<PsoxyFacts, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    PsoxyFacts::from_yaml(&text)
        .map_err(|e| CliError::InvalidRules(format!("{}: {e}", path.display())))
}

/// `rules/confluence.yaml` → `rules/confluence.lint.yaml`.
pub(super) fn sidecar_of(rules: &Path) -> PathBuf {
    let extension = rules
        .extension()
        .map_or_else(|| "yaml".to_owned(), |e| e.to_string_lossy().into_owned());
    match rules.extension() {
        Some(_) => rules.with_extension(format!("lint.{extension}")),
        None => rules.with_extension("lint.yaml"),
    }
}

pub(super) fn load_config(path: &Path) -> Result<LintConfig, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    LintConfig::from_yaml(&text)
        .map_err(|e| CliError::InvalidRules(format!("{}: {e}", path.display())))
}

/// The manifest's examples with their bodies; its `rules` key is not used (the file being
/// linted is).
pub(super) fn load_examples(manifest_path: &Path) -> Result<Vec<LintExample>, CliError> {
    let (manifest, base) = Manifest::load(manifest_path)?;
    manifest
        .examples
        .iter()
        .map(|example| {
            let path = base.join(&example.original);
            let body = std::fs::read_to_string(&path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            Ok(LintExample {
                label: example.original.display().to_string(),
                method: example.method.clone().unwrap_or_else(|| "GET".to_owned()),
                url: example.url.clone(),
                body,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lint_file_sits_next_to_the_rules() {
        let table = [
            ("rules/confluence.yaml", "rules/confluence.lint.yaml"),
            ("a.yml", "a.lint.yml"),
            ("rules", "rules.lint.yaml"),
        ];
        for (rules, expected) in table {
            assert_eq!(
                sidecar_of(Path::new(rules)),
                PathBuf::from(expected),
                "{rules}"
            );
        }
    }
}
