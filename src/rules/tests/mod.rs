//! Data-driven tests of the rules layer; their data lives in `tests/data/rules/`.
//!
//! - `valid`: the three transform spellings, and a file using every key, checked for
//!   what each key compiles into;
//! - `golden`: every `invalid/*.yaml` must fail with exactly the diagnostics of the
//!   `.expected` file beside it (`RULES_BLESS=1` rewrites them — then review the diff);
//! - `gate_table`: request → endpoint or block reason, from `gate/cases.yaml`;
//! - `props`: loading and gating never panic, whatever the input.

mod gate_table;
mod golden;
mod props;
mod valid;

use std::path::PathBuf;

pub(crate) fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules")
}

pub(crate) fn read_data(relative: &str) -> String {
    let path = data_dir().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads a fixture that must be valid, showing its diagnostics if it is not.
pub(crate) fn load_valid(relative: &str) -> super::RuleSet {
    super::from_str(&read_data(relative), relative).unwrap_or_else(|d| panic!("{d}"))
}
