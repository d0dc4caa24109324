//! Integration tests: one binary, one module per area.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod cli_sanitize; // `pseudoproxy sanitize`: known answers, gating, secrets
mod docs_examples; // every example in docs/rules.md is executed
mod jsonpath_rules; // Jayway-only paths are load errors; the documented rewrites work
mod properties; // property tests over the whole sanitizer
mod pure_core;
mod rules_cli; // `rules check` diagnostics and `rules test` on the golden examples
mod ssm_errors; // SsmStore error classes through the real SDK (wiremock)
mod ssm_moto; // SsmStore and the resolver against moto (scripts/with-moto.sh)
mod support; // running the built CLI, temp copies of project data // the pure modules import no I/O crate
