//! The Terraform module's scheduled deep health check, end to end in process: the exact
//! event EventBridge sends (`infra/modules/pseudoproxy-lambda/health-check-event.json`)
//! goes through `lambda_http`'s parser and the app, and the log lines it produces are
//! matched against the alarms' metric-filter patterns read from `health.tf`.
//!
//! Invariants checked: the event is a valid function-URL event that reaches the health
//! check with `deep` honoured (the upstream's answer decides 200 vs 412); a definitive
//! failure (the source refuses the token) is counted by the definitive-failure filter
//! only, a transient one (the source answers 503) by the transient filter only, and a
//! healthy check by neither.

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
    let scopes: Vec<&str> = pseudoproxy::auth::SCOPES
        .into_iter()
        .filter(|s| *s != "offline_access")
        .collect();
    let sites = serde_json::json!([{"id": crate::proxy_support::CLOUD_ID, "scopes": scopes}]);
    Mock::given(method("GET"))
        .and(path("/oauth/token/accessible-resources"))
        .respond_with(ResponseTemplate::new(upstream_status).set_body_json(sites))
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

/// The `log_metric_patterns` of `health.tf` (name → pattern), with HCL's `\"` unescaped.
fn metric_filter_patterns() -> Vec<(String, String)> {
    let hcl = module_file("health.tf");
    let start = hcl
        .find("log_metric_patterns = {")
        .expect("health.tf declares log_metric_patterns");
    hcl[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim() != "}")
        .filter_map(|l| {
            let (name, quoted) = l.split_once('=')?;
            let quoted = quoted.trim();
            let pattern = quoted.get(1..quoted.len() - 1)?.replace("\\\"", "\"");
            Some((name.trim().to_owned(), pattern))
        })
        .collect()
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

/// The JSON log lines captured while `run` ran.
async fn lines_of<F: std::future::Future<Output = u16>>(run: F) -> (u16, Vec<Value>) {
    let before = captured_logs().lines().count();
    let status = run.await;
    let lines = captured_logs()
        .lines()
        .skip(before)
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == "scheduled-deep-health-check")
        .collect();
    (status, lines)
}

/// Names of the metric filters that count at least one of `lines`.
fn counted_by(patterns: &[(String, String)], lines: &[Value]) -> Vec<String> {
    patterns
        .iter()
        .filter(|(_, pattern)| lines.iter().any(|line| pattern_matches(pattern, line)))
        .map(|(name, _)| name.clone())
        .collect()
}

#[tokio::test]
async fn scheduled_event_runs_the_deep_check_and_each_failure_meets_its_alarm() {
    let patterns = metric_filter_patterns();
    assert!(patterns.len() >= 3, "{patterns:?}");
    // `deep` is honoured: only the upstream's answer differs between the runs.
    let (status, healthy) = lines_of(scheduled_check(200)).await;
    assert_eq!(status, 200, "token accepted → healthy");
    assert!(!healthy.is_empty(), "the healthy check logged nothing");
    assert_eq!(counted_by(&patterns, &healthy), Vec::<String>::new());

    let (status, refused) = lines_of(scheduled_check(401)).await;
    assert_eq!(status, 412, "token refused → 412");
    assert_eq!(
        counted_by(&patterns, &refused),
        ["HealthCheckDefinitiveFailure"]
    );

    let (status, outage) = lines_of(scheduled_check(503)).await;
    assert_eq!(status, 412, "source down → 412");
    assert_eq!(
        counted_by(&patterns, &outage),
        ["HealthCheckTransientFailure"]
    );
}
/// The module restricts callers by default (`ALLOWED_CALLER_ARNS`, optionally IP blocks);
/// the scheduled event carries no principal and a loopback source IP, yet must reach the
/// health check. The exemption is for that shape of event and that header only.
#[tokio::test]
async fn the_scheduled_event_passes_the_caller_allow_lists_and_nothing_else_does() {
    let server = MockServer::start().await;
    let mut settings = crate::proxy_support::settings(&server.uri());
    settings.allowed_caller_arns = Some(vec![
        "arn:aws:iam::123456789012:role/worklytics-caller".into(),
    ]);
    settings.allowed_ip_blocks =
        Some(pseudoproxy::config::parse::ip_blocks("198.51.100.0/24").unwrap());
    let state = std::sync::Arc::new(crate::proxy_support::state_with(settings).await);
    let scheduled: Value = serde_json::from_str(&module_file("health-check-event.json")).unwrap();
    let answer = |event: Value| {
        let state = state.clone();
        async move {
            let request = lambda_http::request::from_str(&event.to_string()).unwrap();
            let response: Response<Body> = proxy::app(state).oneshot(request).await.unwrap();
            let status = response.status().as_u16();
            let error = response
                .headers()
                .get("x-psoxy-error")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, error)
        }
    };
    let (status, error) = answer(scheduled.clone()).await;
    assert_ne!(status, 403, "the schedule's event was refused: {error:?}");
    assert_eq!(error, None);

    // The same event asking for data is judged like any caller.
    let mut data = scheduled.clone();
    data["headers"]
        .as_object_mut()
        .unwrap()
        .remove("x-psoxy-health-check");
    data["rawPath"] = "/wiki/api/v2/spaces".into();
    data["requestContext"]["http"]["path"] = "/wiki/api/v2/spaces".into();
    let (status, error) = answer(data).await;
    assert_eq!(
        (status, error.as_deref()),
        (403, Some("UNAUTHORIZED_IP_ADDRESS"))
    );

    // A health check that came through a front door (it has a domain name) is judged too.
    let mut through_url = scheduled.clone();
    through_url["requestContext"]["domainName"] = "abcdefghij.lambda-url.us-east-1.on.aws".into();
    let (status, error) = answer(through_url).await;
    assert_eq!(
        (status, error.as_deref()),
        (403, Some("UNAUTHORIZED_IP_ADDRESS"))
    );
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
