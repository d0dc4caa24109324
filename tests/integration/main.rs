//! Integration tests: one binary, one module per area.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod cli_sanitize; // `pseudoproxy sanitize`: known answers, gating, secrets
mod docs_examples; // every example in docs/rules.md is executed
mod jsonpath_rules; // Jayway-only paths are load errors; the documented rewrites work
mod properties; // property tests over the whole sanitizer
mod proxy_hostile; // ≥ 30 hostile paths and headers: documented status, upstream never called
mod proxy_lambda;
mod proxy_loopback; // over TCP: token reversal, local bearer, captured logs hold no secret // function-URL events through the app: success, every error code, health
mod proxy_support;
mod pure_core;
mod rules_cli; // `rules check` diagnostics and `rules test` on the golden examples
mod support; // running the built CLI, temp copies of project data // the pure modules import no I/O crate // proxy test state, function-URL events, captured logs
