//! The Terraform module's scheduled deep health check, end to end in process: the exact
//! event EventBridge sends (`infra/modules/pseudoproxy-lambda/health-check-event.json`)
//! goes through `lambda_http`'s parser and the app, and the audit line it produces is
//! matched against the alarm's metric-filter pattern read from `health.tf`.
//!
//! Invariants checked: the event is a valid function-URL event that reaches the health
//! check with `deep` honoured (the upstream's answer decides 200 vs 412); the failed
//! check's audit line matches the metric filter and the healthy one does not.

use axum::body::Body;
use http::Response;
use serde_json::Value;
use tower::ServiceExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use pseudoproxy::proxy;

use crate::proxy_support::{captured_logs, state};
use crate::support::root;

const MODULE: &str = "infra/modules/pseudoproxy-lambda";

fn module_file(name: &str) -> String {
    let file = root().join(MODULE).join(name);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Runs the scheduled event through the app with accessible-resources answering `status`.
async fn scheduled_check(upstream_status: u16) -> u16 {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth/token/accessible-resources"))
        .respond_with(ResponseTemplate::new(upstream_status).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let request = lambda_http::request::from_str(&module_file("health-check-event.json"))
        .expect("health-check-event.json parses as a function-URL event");
    let app = proxy::app(state(&server.uri()).await);
    let response: Response<Body> = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        json.get("configuredSource").is_some(),
        "not a health answer: {json}"
    );
    server.verify().await;
    status
}

/// The `pattern` of the health-check metric filter, with HCL's `\"` unescaped.
fn metric_filter_pattern() -> String {
    let hcl = module_file("health.tf");
    let start = hcl
        .find("resource \"aws_cloudwatch_log_metric_filter\"")
        .expect("health.tf declares the metric filter");
    let line = hcl[start..]
        .lines()
        .find(|l| l.trim_start().starts_with("pattern"))
        .expect("the metric filter has a pattern");
    let quoted = line.split_once('=').unwrap().1.trim();
    quoted[1..quoted.len() - 1].replace("\\\"", "\"")
}

/// Evaluates a CloudWatch JSON pattern made of `($.a.b = value)` terms joined by `&&`
/// (the only form the module uses; anything else fails the test).
fn pattern_matches(pattern: &str, event: &Value) -> bool {
    let inner = pattern.trim().trim_start_matches('{').trim_end_matches('}');
    inner.split("&&").all(|term| {
        let term = term.trim().trim_start_matches('(').trim_end_matches(')');
        let (selector, expected) = term
            .split_once(" = ")
            .unwrap_or_else(|| panic!("unsupported term {term:?}"));
        let pointer = selector.trim().trim_start_matches("$.").replace('.', "/");
        let actual = event.pointer(&format!("/{pointer}"));
        let expected = expected.trim();
        match expected.strip_prefix('"') {
            Some(text) => actual.and_then(Value::as_str) == Some(text.trim_end_matches('"')),
            None => actual.and_then(Value::as_f64) == expected.parse::<f64>().ok(),
        }
    })
}

/// Audit lines of the scheduled check (its fixed request id) with the given status.
fn audit_lines(status: u64) -> Vec<Value> {
    captured_logs()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["fields"]["request_id"] == "scheduled-deep-health-check")
        .filter(|l| l["fields"]["status"].as_u64() == Some(status))
        .collect()
}

#[tokio::test]
async fn scheduled_event_runs_the_deep_check_and_failures_match_the_alarm_filter() {
    // `deep` is honoured: only the upstream's answer differs between the two runs.
    assert_eq!(scheduled_check(200).await, 200, "token accepted → healthy");
    assert_eq!(scheduled_check(401).await, 412, "token refused → 412");

    let pattern = metric_filter_pattern();
    let failed = audit_lines(412);
    let healthy = audit_lines(200);
    assert!(
        !failed.is_empty() && !healthy.is_empty(),
        "audit lines missing"
    );
    for line in &failed {
        assert!(pattern_matches(&pattern, line), "{pattern} misses {line}");
    }
    for line in &healthy {
        assert!(
            !pattern_matches(&pattern, line),
            "{pattern} counts a healthy check: {line}"
        );
    }
}

#[test]
fn the_pattern_evaluator_rejects_near_misses() {
    let pattern = r#"{ ($.target = "pseudoproxy::audit") && ($.fields.status = 412) }"#;
    let cases = [
        (
            r#"{"target":"pseudoproxy::audit","fields":{"status":412}}"#,
            true,
        ),
        (
            r#"{"target":"pseudoproxy::audit","fields":{"status":200}}"#,
            false,
        ),
        (r#"{"target":"other","fields":{"status":412}}"#, false),
        (r#"{"fields":{"status":412}}"#, false),
    ];
    for (event, expected) in cases {
        let event: Value = serde_json::from_str(event).unwrap();
        assert_eq!(pattern_matches(pattern, &event), expected, "{event}");
    }
}
