//! `pseudoproxy rules diff OLD NEW [--examples M]`: the privacy effect of a rules change —
//! leaves exposed or dropped, pseudonyms that change, requests newly allowed, endpoints
//! added or removed (`crate::lint::diff`); with examples, also how each example's
//! sanitized output changes (the JSON diff of `rules test`).
//!
//! Exit codes: 0 nothing more exposed, 1 the change exposes something, 2 usage or I/O,
//! 3 invalid rules.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::examples_manifest::{Example, Manifest};
use super::{CliError, json_diff, rules_file};
use crate::lint::LeafClass;
use crate::lint::diff::{self, RulesDiff, exposure};
use crate::pseudonym::{PseudonymConfig, Pseudonymizer};
use crate::rules::RuleSet;
use crate::sanitize;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The rules file before the change.
    old: PathBuf,
    /// The rules file after the change.
    new: PathBuf,
    /// Examples manifest: also show how each example's sanitized output changes (with the
    /// manifest's test-only salt and key).
    #[arg(long)]
    examples: Option<PathBuf>,
}

pub(super) fn run(args: DiffArgs) -> Result<(), CliError> {
    let old = rules_file::load_or_report(&args.old)?;
    let new = rules_file::load_or_report(&args.new)?;
    let changes = diff::diff(&old, &new);
    let mut out = format!(
        "rules diff {} -> {}\n",
        args.old.display(),
        args.new.display()
    );
    render(&mut out, &changes);
    if let Some(manifest) = &args.examples {
        render_examples(&mut out, manifest, &old, &new)?;
    }
    let verdict = match changes.exposes() {
        true => "EXPOSES: the new rules let more through (exit 1)",
        false => "nothing is exposed that was not before",
    };
    let _ = writeln!(out, "\n{verdict}");
    print!("{out}");
    match changes.exposes() {
        true => Err(CliError::ChecksFailed(
            "the change exposes data the old rules did not".into(),
        )),
        false => Ok(()),
    }
}

fn class_name(class: Option<LeafClass>) -> &'static str {
    class.map_or("absent", LeafClass::label)
}

fn render(out: &mut String, changes: &RulesDiff) {
    let list = |out: &mut String, title: &str, items: &[String]| {
        if !items.is_empty() {
            let _ = writeln!(out, "\n{title} ({})", items.len());
            items.iter().for_each(|i| {
                let _ = writeln!(out, "  {i}");
            });
        }
    };
    list(out, "ENDPOINTS ADDED", &changes.endpoints_added);
    list(out, "ENDPOINTS REMOVED", &changes.endpoints_removed);
    let leaf_lines = |exposed: bool| -> Vec<String> {
        changes
            .leaves
            .iter()
            .filter(|l| l.exposes == exposed)
            .map(|l| {
                let direction = match exposure(l.new).cmp(&exposure(l.old)) {
                    std::cmp::Ordering::Less => "less exposed",
                    std::cmp::Ordering::Equal => "as exposed",
                    std::cmp::Ordering::Greater => "more exposed",
                };
                format!(
                    "{}  {}  {} -> {} ({direction})",
                    l.endpoint,
                    l.path,
                    class_name(l.old),
                    class_name(l.new)
                )
            })
            .collect()
    };
    list(out, "EXPOSED", &leaf_lines(true));
    list(out, "DROPPED OR LESS EXPOSED", &leaf_lines(false));
    let pseudonyms: Vec<String> = changes
        .pseudonyms
        .iter()
        .map(|p| format!("{}  {}  {} -> {}", p.endpoint, p.path, p.old, p.new))
        .collect();
    list(out, "PSEUDONYMS THAT CHANGE", &pseudonyms);
    let requests: Vec<String> = changes
        .requests
        .iter()
        .map(|r| {
            let mark = if r.widens { "wider" } else { "narrower" };
            format!("{}  {} ({mark})", r.endpoint, r.change)
        })
        .collect();
    list(out, "REQUESTS", &requests);
}

/// Each example through both rule sets; the JSON diff of the two outputs.
fn render_examples(
    out: &mut String,
    manifest_path: &Path,
    old: &RuleSet,
    new: &RuleSet,
) -> Result<(), CliError> {
    let (manifest, base) = Manifest::load(manifest_path)?;
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: manifest.salt.clone(),
        encryption_key: manifest.encryption_key.clone(),
        ..PseudonymConfig::default()
    });
    let _ = writeln!(
        out,
        "\nEXAMPLES (lines read `expected` = old output, `got` = new output)"
    );
    for example in &manifest.examples {
        let body_path = base.join(&example.original);
        let body = std::fs::read_to_string(&body_path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", body_path.display())))?;
        let before = sanitized(old, &pseudonymizer, example, &body);
        let after = sanitized(new, &pseudonymizer, example, &body);
        let lines = match (before, after) {
            (Ok(b), Ok(a)) => json_diff::diff(&b, &a),
            (b, a) if b == a => Vec::new(),
            (b, a) => vec![format!("old: {}; new: {}", outcome(&b), outcome(&a))],
        };
        match lines.is_empty() {
            true => {
                let _ = writeln!(out, "  same      {}", example.url);
            }
            false => {
                let _ = writeln!(out, "  differs   {}", example.url);
                lines.iter().for_each(|l| {
                    let _ = writeln!(out, "            {l}");
                });
            }
        }
    }
    Ok(())
}

fn outcome(result: &Result<Value, String>) -> String {
    match result {
        Ok(_) => "sanitized".to_owned(),
        Err(e) => e.clone(),
    }
}

/// The example's sanitized output under `rules` (several top-level values as an array),
/// or why there is none.
fn sanitized(
    rules: &RuleSet,
    pseudonymizer: &Pseudonymizer,
    example: &Example,
    body: &str,
) -> Result<Value, String> {
    let (path, query) = match example.url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (example.url.as_str(), None),
    };
    let method = example.method.as_deref().unwrap_or("GET");
    let matched = rules
        .gate(method, path, query)
        .map_err(|b| format!("BLOCKED_BY_RULES ({})", b.reason))?;
    let output = sanitize::sanitize(rules, matched.endpoint, pseudonymizer, body)
        .map_err(|e| format!("SANITIZATION_FAILED ({e})"))?;
    let mut values = serde_json::Deserializer::from_str(&output.body)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("output is not JSON ({e})"))?;
    Ok(match values.len() {
        1 => values.remove(0),
        _ => Value::Array(values),
    })
}
