//! Rules files: load, validate (every problem located), match requests.
//!
//! PURE (apart from [`load`], the one function that reads a file). Loading is staged:
//!
//! 1. `yaml`: serde-saphyr parses the text into a located node tree (YAML syntax only);
//! 2. `yaml::recover` + `yaml::de`: the tree is deserialized into the raw serde mirror (`raw`),
//!    reporting every unknown key, wrong type and unknown transform in one run;
//! 3. `compile`: the mirror is validated and compiled into a [`RuleSet`] (regexes,
//!    JSONPaths, templates, `$ref`s) — again collecting every problem.
//!
//! Problems of all stages come back together as [`Diagnostics`], sorted by position.
//! [`RuleSet::gate`] (in `gate`) decides whether a request may be forwarded.

mod compile;
mod compile_schema;
mod compile_transform;
mod cql;
pub(crate) mod diagnostics;
mod gate;
mod java_regex;
pub(crate) mod model;
mod param_check;
mod path_guard;
pub(crate) mod plan;
mod query;
mod raw;
mod template;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
mod yaml;

use std::path::{Path, PathBuf};

pub use diagnostics::{Diagnostic, Diagnostics};
pub use gate::{BlockReason, Blocked, Matched};
pub use model::*;
pub use path_guard::PathProblem;
pub use plan::{PlanOp, PlanSegment, PlanStep, TransformPlan};

/// The shipped Confluence rules as `(origin, yaml)`, embedded so the binary works anywhere.
pub const SHIPPED_RULES: (&str, &str) = (
    "confluence.yaml",
    include_str!("../../rules/confluence.yaml"),
);

/// Why a rules file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read rules file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// Parses and compiles a rules file. `origin` names it in diagnostics (`confluence.yaml`).
/// Every problem of the file is reported at once; a file with any problem never yields
/// a `RuleSet`.
pub fn from_str(text: &str, origin: &str) -> Result<RuleSet, Diagnostics> {
    // Loading recurses once per nesting level of the document (bounded by the YAML
    // parser's depth budget of 64), and unoptimized builds spend tens of KiB of stack
    // per level. A thread of its own keeps that independent of the caller's stack
    // (2 MiB for async workers and test threads), so deep input is refused, not fatal.
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("rules-loader".to_owned())
            .stack_size(LOADER_STACK_BYTES)
            .spawn_scoped(scope, || load_text(text, origin));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                let problem =
                    diagnostics::Problem::new(1, 1, "internal error while loading the rules file");
                Err(Diagnostics::from_problems(origin, vec![problem]))
            }),
            // No thread to be had: load here, which is fine for every realistic file.
            Err(_) => load_text(text, origin),
        }
    })
}

/// Virtual reservation; only the pages a load touches are ever committed.
const LOADER_STACK_BYTES: usize = 32 * 1024 * 1024;

fn load_text(text: &str, origin: &str) -> Result<RuleSet, Diagnostics> {
    let fail = |problems| Err(Diagnostics::from_problems(origin, problems));
    let root = match yaml::parse(text) {
        Ok(root) if root.is_null() => return fail(vec![empty_file()]),
        Ok(root) => root,
        Err(problem) => return fail(vec![problem]),
    };
    let recovered = yaml::recover::deserialize_recovering::<raw::RawRules>(&root, text);
    let mut problems = recovered.problems;
    let Some(raw) = &recovered.value else {
        return fail(problems);
    };
    // Compile even when the mirror had problems: the file's other mistakes (a bad
    // JSONPath, a missing `$ref`) belong in the same report.
    match compile::compile(raw, text, &recovered.damage, root.at) {
        Ok(rules) if problems.is_empty() => Ok(rules),
        Ok(_) => fail(problems),
        Err(found) => {
            problems.extend(found);
            if problems.is_empty() {
                // Compile declines only with a reason, here or earlier; never fail open.
                problems.push(diagnostics::Problem::new(
                    1,
                    1,
                    "the rules file could not be compiled",
                ));
            }
            fail(problems)
        }
    }
}

/// A file with no content (or only comments) would block every request: surely a mistake.
fn empty_file() -> diagnostics::Problem {
    diagnostics::Problem::new(1, 1, "the rules file is empty").with_hint(Some(
        "list the requests to allow under `endpoints:`".to_owned(),
    ))
}

/// Reads `path` and compiles it; diagnostics name the file by its file name.
pub fn load(path: &Path) -> Result<RuleSet, RulesError> {
    let text = std::fs::read_to_string(path).map_err(|source| RulesError::Io {
        path: path.to_owned(),
        source,
    })?;
    let origin = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    from_str(&text, &origin).map_err(RulesError::Invalid)
}
