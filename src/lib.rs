//! pseudoproxy: a privacy-sanitizing data-export proxy for Confluence Cloud.
//!
//! Module map (pure core first, I/O at the edge; ARCHITECTURE.md follows a request and a
//! cold start through them):
//!
//! - [`jackson`] — PURE. The exact bytes of output: Jackson's compact JSON and Java's
//!   number text (`1.0E10`), shared by the sanitizer and JSONPath filter comparisons.
//! - [`percent`] — PURE. Percent-encoding and -decoding, the one implementation.
//! - [`jsonpath`] — PURE. Compiles the Jayway-dialect JSONPath subset that rule files use and
//!   locates matches in a JSON document. Unsupported syntax is a compile error, never a
//!   silent zero-match.
//! - [`pseudonym`] — PURE. Psoxy v0.4 pseudonyms: salted SHA-256, email canonicalization,
//!   reversible (AES-256-CBC) tokens and their reversal in request URLs, IP hashing, salt
//!   fingerprint.
//! - [`rules`] — PURE. YAML rules: a raw serde mirror, compile-once validation with every
//!   problem located (file:line:column), endpoint matching and request gating.
//! - [`sanitize`] — PURE. Applies a compiled endpoint to a response body: schema filter,
//!   transforms, pagination-link protection; upstream error bodies. Fails closed.
//! - [`lint`] — PURE. The rules linter: classifies every leaf of every responseSchema
//!   (dropped, redacted, pseudonymized, digested, raw), finds dead paths and personal
//!   fields kept raw, and diffs two rules files by their privacy effect.
//! - [`clock`] — PURE. Time as a dependency (`SystemClock`, and `ManualClock` for tests).
//! - [`secrets`] — I/O EDGE. The `SecretStore` trait (SSM, local file, memory).
//! - [`config`] — I/O EDGE. Every setting's name, resolution (environment → instance
//!   parameter → shared parameter) and the complete, immutable `ProxySettings`.
//! - [`auth`] — I/O EDGE. The token seam `AccessTokens` and the Atlassian OAuth lifecycle.
//! - [`tls`] — I/O EDGE. The one TLS client configuration of the process.
//! - [`proxy`] — I/O EDGE. The request pipeline `app(state)` for Lambda, `serve` and tests;
//!   `proxy::build`, the one constructor of its state.
//! - [`cli`] — the command-line front end (one file per subcommand).
//!
//! Dependencies point one way (cli → proxy → auth → config → secrets; proxy → sanitize →
//! rules → jsonpath/pseudonym); `scripts/check-module-graph.py` fails on a cycle. The pure
//! modules never import tokio, reqwest, axum, lambda or AWS crates; a test in `tests/`
//! enforces it. The I/O modules and their dependencies sit behind the default feature
//! `runtime`; `--no-default-features` builds the pure core alone (the fuzz crate does, to
//! keep its nightly build short).

#[cfg(feature = "runtime")]
pub mod auth;
#[cfg(feature = "runtime")]
pub mod cli;
pub mod clock;
#[cfg(feature = "runtime")]
pub mod config;
pub mod jackson;
pub mod jsonpath;
pub mod lint;
pub mod percent;
#[cfg(feature = "runtime")]
pub mod proxy;
pub mod pseudonym;
pub mod rules;
pub mod sanitize;
#[cfg(feature = "runtime")]
pub mod secrets;
#[cfg(feature = "runtime")]
pub mod tls;
