//! Integration tests: one binary, one module per area.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

// The caller as adversary: token oracles, error bodies, cursors, CQL, logs (threat model).
mod adversary;
// `pseudoproxy call`: bearer and SigV4 requests, error explanations, gzip.
mod call_cli;
// Canaries in generated responses, the linter as the oracle (generator reusable).
mod canary;
// `pseudoproxy sanitize`: known answers, gating, secrets.
mod cli_sanitize;
// Every example in docs/rules.md is executed.
mod docs_examples;
// The Terraform module's scheduled health event through the app; its alarm filter matches.
mod infra_health_event;
// `export --all` through `serve` over a rate-limiting Confluence; SIGKILL and resume.
mod export_e2e;
// The wiremock Confluence and the `serve` child process for the export tests.
mod export_support;
// `export` unattended: rate limit, silent proxy, next=true links, SIGTERM/resume, summary.
mod export_unattended;
// Jayway-only paths are load errors; the documented rewrites work.
mod jsonpath_rules;
// `rules lint` on the shipped rules: clean, formats, exit codes, docs report current.
mod lint_cli;
// Dropping the email pseudonymize fails the linter and the canaries.
mod lint_email;
// Canary documents through the real proxy: body, headers, error bodies, logs.
mod proxy_canary;
// Property tests over the whole sanitizer.
mod properties;
// Worklytics' calls through `serve`, every `_links.next` followed against a paging Confluence.
mod replay_worklytics;
// ≥ 30 hostile paths and headers: documented status, upstream never called.
mod proxy_hostile;
// Function-URL events through lambda_http parsing and the app: success, every error code, health.
mod proxy_lambda;
// Over TCP: token reversal, local bearer, captured logs hold no secret.
mod proxy_loopback;
// Proxy test state, function-URL events, captured logs.
mod proxy_support;
// The pure modules import no I/O crate.
mod pure_core;
// `rules check` diagnostics and `rules test` on the golden examples.
mod rules_cli;
// `rules diff`: exposures, pseudonym changes, example output diffs.
mod rules_diff;
// `rules report`: the HTML page per endpoint and example, planted markup, a change at the top.
mod report_cli;
// SsmStore error classes through the real SDK (wiremock).
mod ssm_errors;
// SsmStore and the resolver against moto (scripts/with-moto.sh).
mod ssm_moto;
// Running the built CLI, temp copies of project data.
mod support;
// OAuth: the mock Atlassian (stateful token endpoint, Confluence) and test helpers.
mod oauth_mock;
mod oauth_support;
// OAuth token lifecycle through the app: write-back, timeouts, locks, classification, health.
mod oauth_lifecycle;
// Fault-injecting store (gates, lost answers, throttling) and skewed instance clocks.
mod oauth_chaos;
// The token family under faults: disconnects at each await point, deadlines, refusal
// storms, thawed instances, transient failures during a 401 retry, 403/404 expiry.
mod oauth_faults;
// OAuth: 3 instances × 50 concurrent requests over moto SSM → one token call.
mod oauth_moto;
// SecretsManagerStore, SECRETS_STORE and the Lambda state against moto's Secrets Manager.
mod secrets_manager_moto;
// OAuth: a simulated year with injected faults, zero revocations, 30-day warning.
mod oauth_year;
// OAuth: `pseudoproxy auth --no-browser` against the mocks, storing to moto SSM and a file.
mod oauth_auth_cli;
