//! Hostile requests: each gets its documented status and none reaches the upstream.
//!
//! One wiremock stands in for Confluence and answers anything; after every row the test
//! asserts it received nothing. Every row goes through each front door (function URL, API
//! Gateway HTTP API on a stage, API Gateway REST API), as the event payload AWS sends,
//! so they also exercise the Lambda request parsing of each.

use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::proxy_support::*;

struct Row {
    what: &'static str,
    event: Event,
    status: u16,
    code: &'static str,
}

fn row(what: &'static str, event: Event, status: u16, code: &'static str) -> Row {
    Row {
        what,
        event,
        status,
        code,
    }
}

fn get(path_and_query: &str) -> Event {
    Event::get(path_and_query)
}

fn rows() -> Vec<Row> {
    const B: u16 = 403;
    const BLOCKED: &str = "BLOCKED_BY_RULES";
    const INVALID: &str = "INVALID_REQUEST";
    let ok = format!("{SPACES}?limit=3");
    vec![
        row("dot-dot", get("/wiki/api/v2/../v2/spaces"), B, BLOCKED),
        row(
            "dot-dot %2e%2e",
            get("/wiki/api/v2/%2e%2e/v2/spaces"),
            B,
            BLOCKED,
        ),
        row(
            "dot-dot %2E%2E",
            get("/wiki/api/v2/%2E%2E/v2/spaces"),
            B,
            BLOCKED,
        ),
        row(
            "dot-dot .%2e",
            get("/wiki/api/v2/.%2e/v2/spaces"),
            B,
            BLOCKED,
        ),
        row(
            "dot-dot double %252e",
            get("/wiki/api/v2/%252e%252e/v2/spaces"),
            B,
            BLOCKED,
        ),
        row("single dot", get("/wiki/api/v2/./spaces"), B, BLOCKED),
        row(
            "encoded slash %2f",
            get("/wiki/api/v2%2fspaces"),
            B,
            BLOCKED,
        ),
        row(
            "encoded slash %2F",
            get("/wiki/api%2Fv2/spaces"),
            B,
            BLOCKED,
        ),
        row(
            "double-encoded slash",
            get("/wiki/api/v2%252Fspaces"),
            B,
            BLOCKED,
        ),
        row(
            "encoded backslash",
            get("/wiki/api/v2%5cspaces"),
            B,
            BLOCKED,
        ),
        row("empty segment", get("/wiki/api//v2/spaces"), B, BLOCKED),
        row(
            "encoded CR LF in path",
            get("/wiki/api/v2/spaces%0d%0aX-Injected:1"),
            B,
            BLOCKED,
        ),
        row("encoded NUL", get("/wiki/api/v2/spaces%00"), B, BLOCKED),
        row(
            "semicolon smuggling",
            get("/wiki/api/v2/spaces;jsessionid=1"),
            B,
            BLOCKED,
        ),
        row(
            "semicolon in id",
            get("/wiki/api/v2/pages/65538;x/versions"),
            B,
            BLOCKED,
        ),
        row(
            "unknown path",
            get("/wiki/api/v2/pages/65538/body"),
            B,
            BLOCKED,
        ),
        row("admin api", get("/admin/v1/orgs"), B, BLOCKED),
        row(
            "unknown query param",
            get(&format!("{ok}&body-format=storage")),
            B,
            BLOCKED,
        ),
        row(
            "query param bad value",
            get(&format!("{SPACES}?limit=lots")),
            B,
            BLOCKED,
        ),
        row(
            "malformed query escape",
            get(&format!("{SPACES}?limit=3&cursor=%zz")),
            B,
            BLOCKED,
        ),
        row(
            "non-numeric id",
            get("/wiki/api/v2/pages/abc/versions?limit=2"),
            B,
            BLOCKED,
        ),
        row("POST", get(&ok).method("POST"), B, BLOCKED),
        row("PUT", get(&ok).method("PUT").body("{}", false), B, BLOCKED),
        row("DELETE", get(&ok).method("DELETE"), B, BLOCKED),
        row("PATCH", get(&ok).method("PATCH"), B, BLOCKED),
        row(
            "oversized body",
            get(&ok).body(&"x".repeat(300 * 1024), false),
            400,
            INVALID,
        ),
        row(
            "GET with a body",
            get(&ok).body("{\"q\":1}", false),
            400,
            INVALID,
        ),
        row(
            "override path relative",
            get(&ok).header("x-psoxy-targetpath", "wiki/api"),
            400,
            INVALID,
        ),
        row(
            "override path with query",
            get(&ok).header("x-psoxy-targetpath", "/wiki/api/v2/spaces?limit=1"),
            400,
            INVALID,
        ),
        row(
            "override path too long",
            get(&ok).header("x-psoxy-targetpath", &format!("/{}", "a".repeat(5000))),
            400,
            INVALID,
        ),
        row(
            "override path with space",
            get(&ok).header("x-psoxy-targetpath", "/wiki/api v2"),
            400,
            INVALID,
        ),
        row(
            "override path with fragment",
            get(&ok).header("x-psoxy-targetpath", "/wiki/api/v2/spaces#x"),
            400,
            INVALID,
        ),
        row(
            "override path traversal",
            get(&ok).header("x-psoxy-targetpath", "/wiki/api/v2/%2e%2e/spaces"),
            B,
            BLOCKED,
        ),
        row(
            "override query too long",
            get(&ok).header(
                "x-psoxy-targetquery",
                &format!("limit={}", "1".repeat(5000)),
            ),
            400,
            INVALID,
        ),
        row(
            "override query unknown param",
            get(&ok).header("x-psoxy-targetquery", "expand=body"),
            B,
            BLOCKED,
        ),
        row(
            "override query with fragment",
            get(&ok).header("x-psoxy-targetquery", "limit=1#x"),
            400,
            INVALID,
        ),
        row(
            "plain http",
            get(&ok).header("x-forwarded-proto", "http"),
            400,
            "HTTPS_REQUIRED",
        ),
        row(
            "forged token",
            get(&format!("{SPACES}?favorited-by=p~{}", "B".repeat(60))),
            409,
            "TOKENIZED_REQUEST_PARAMETER_INVALID",
        ),
        row(
            "forged token with ~ percent-encoded",
            get(&format!("{SPACES}?favorited-by=p%7E{}", "B".repeat(60))),
            409,
            "TOKENIZED_REQUEST_PARAMETER_INVALID",
        ),
        row(
            "forged token with letters percent-encoded",
            get(&format!("{SPACES}?favorited-by=p~%42{}", "B".repeat(59))),
            409,
            "TOKENIZED_REQUEST_PARAMETER_INVALID",
        ),
    ]
}

/// Forgets what the mock received and has it answer anything with `{}`.
async fn answer_anything(server: &MockServer) {
    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn hostile_requests_get_their_status_and_never_reach_upstream() {
    let server = MockServer::start().await;
    answer_anything(&server).await;
    let rows = rows();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    let mut failures = Vec::new();
    for door in Door::ALL {
        let mut settings = settings(&server.uri());
        settings.path_prefix = door.path_prefix();
        let state = std::sync::Arc::new(state_with(settings).await);
        for row in &rows {
            let event = row.event.clone().through(door);
            let reply = invoke(state.clone(), &event).await;
            let got = (reply.status.as_u16(), reply.error_code().map(str::to_owned));
            if got != (row.status, Some(row.code.to_owned())) {
                failures.push(format!(
                    "{door:?} {}: expected {} {}, got {got:?} {}",
                    row.what,
                    row.status,
                    row.code,
                    reply.text()
                ));
            }
            let reached = server.received_requests().await.unwrap().len();
            if reached != 0 {
                failures.push(format!("{door:?} {}: reached the upstream", row.what));
                answer_anything(&server).await;
            }
        }
        // The same app does reach the upstream for a benign request (the mock works).
        let reply = invoke(state, &get(&format!("{SPACES}?limit=3")).through(door)).await;
        if reply.status != 200 || server.received_requests().await.unwrap().len() != 1 {
            failures.push(format!("{door:?}: benign request {}", reply.text()));
        }
        answer_anything(&server).await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
