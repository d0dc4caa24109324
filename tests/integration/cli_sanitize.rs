//! `pseudoproxy sanitize` end to end through the built binary.

use serde_json::Value;

use crate::support::{data, root, run_cli, stderr, stdout};

#[test]
fn the_readme_example_yields_the_contract_pseudonym() {
    let rules = data("one-endpoint.yaml");
    let out = run_cli(
        &[
            "sanitize",
            "--rules",
            rules.to_str().unwrap(),
            "--url",
            "/x",
        ],
        &[("PSOXY_SALT", "salt")],
        r#"{"a":"alice@acme.com"}"#,
        &root(),
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"a\":\"t~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk@acme.com\"}\n"
    );
}

#[test]
fn every_known_answer_vector_through_the_cli() {
    let rules = data("known-answers.yaml");
    let input = data("known-answers.json");
    let out = run_cli(
        &[
            "sanitize",
            "--rules",
            rules.to_str().unwrap(),
            "--url",
            "/known-answers",
            "--salt",
            "salt",
            "--encryption-key",
            "secret",
            input.to_str().unwrap(),
        ],
        &[],
        "",
        &root(),
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let expected = std::fs::read_to_string(data("known-answers.expected.json")).unwrap();
    // Byte-for-byte: key order and compact form are part of the contract.
    assert_eq!(stdout(&out).trim_end(), expected.trim_end());
}

#[test]
fn a_url_the_rules_do_not_allow_is_blocked_with_exit_1() {
    let rules = data("one-endpoint.yaml");
    for url in ["/y", "/x/", "/x/../x", "/%2e%2E/x"] {
        let out = run_cli(
            &["sanitize", "--rules", rules.to_str().unwrap(), "--url", url],
            &[("PSOXY_SALT", "salt")],
            r#"{"a":"alice@acme.com"}"#,
            &root(),
        );
        assert_eq!(out.status.code(), Some(1), "{url}");
        assert!(
            stderr(&out).contains("BLOCKED_BY_RULES"),
            "{url}: {}",
            stderr(&out)
        );
        assert!(
            stdout(&out).is_empty(),
            "{url}: nothing may be printed for a blocked URL"
        );
    }
}

#[test]
fn missing_salt_is_a_usage_error_and_nothing_is_printed() {
    let rules = data("one-endpoint.yaml");
    let out = run_cli(
        &[
            "sanitize",
            "--rules",
            rules.to_str().unwrap(),
            "--url",
            "/x",
        ],
        &[],
        "{}",
        &root(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("PSOXY_SALT"));
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_body_that_is_not_json_fails_closed_without_echoing_it() {
    let rules = data("one-endpoint.yaml");
    let body = "<html>alice@acme.com secret page</html>";
    let out = run_cli(
        &[
            "sanitize",
            "--rules",
            rules.to_str().unwrap(),
            "--url",
            "/x",
        ],
        &[("PSOXY_SALT", "salt")],
        body,
        &root(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SANITIZATION_FAILED"));
    assert!(!stdout(&out).contains("alice") && !stderr(&out).contains("alice"));
}

#[test]
fn ndjson_bodies_are_sanitized_value_by_value() {
    let rules = data("one-endpoint.yaml");
    let out = run_cli(
        &[
            "sanitize",
            "--rules",
            rules.to_str().unwrap(),
            "--url",
            "/x",
        ],
        &[("PSOXY_SALT", "salt")],
        "{\"a\":\"test\"}\n{\"a\":null,\"b\":1.50}",
        &root(),
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        stdout(&out),
        "{\"a\":\"t~Tt8H7clbL9y8ryN4_RLYrCEsKqbjJsWcPmKb4wOdZDI\"}\n{\"a\":null,\"b\":1.5}\n"
    );
}
