//! The canary test through the real proxy: canary-filled documents generated from each
//! endpoint's responseSchema are served by a wiremock upstream and fetched through
//! `proxy::app` as a function-URL event, so everything the caller can see is checked —
//! the body, every response header, error bodies — and so is everything the proxy logs.
//!
//! Oracle: the linter, as in `canary` (a canary may reach the caller only from a leaf the
//! linter lets pass raw). Headers and logs are held to more: no canary at all. Upstream
//! error bodies are held to spec §2.9 (JSON ≤ 16 KiB passes with every email
//! pseudonymized; anything else is replaced), so there no *email* canary may appear.

use std::io::Read;
use std::sync::Arc;

use axum::http::StatusCode;
use proptest::strategy::{Strategy, ValueTree};
use pseudoproxy::lint::LintReport;
use pseudoproxy::proxy::AppState;
use pseudoproxy::rules::RuleSet;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::canary::generator::{Generated, document};
use crate::canary::{Oracle, leaks, seeded_runner, shipped};
use crate::proxy_support::*;
use crate::support::root;

/// Generated documents per endpoint (each is fetched several ways).
const CASES: u32 = 8;

/// Any canary the generator makes, and the ones this file puts in upstream headers.
fn canary_pattern() -> regex::Regex {
    regex::Regex::new(r"zq\d{5}qz").unwrap()
}

/// Headers an upstream might send that must never reach the caller (not in spec §2.10).
const UPSTREAM_EXTRA_HEADERS: [(&str, &str); 3] = [
    ("x-atlassian-user", "zq90001qz@canary.example"),
    ("set-cookie", "session=zq90002qz"),
    ("x-trace-detail", "zq90003qz"),
];

/// One request per endpoint of the shipped rules: the first golden-example URL it gates.
fn request_per_endpoint(rules: &RuleSet) -> Vec<(usize, String)> {
    let examples =
        std::fs::read_to_string(root().join("example-api-responses/examples.yaml")).unwrap();
    let mut found: Vec<(usize, String)> = Vec::new();
    for line in examples.lines() {
        let Some(url) = line.trim_start().strip_prefix("- url:") else {
            continue;
        };
        let url = url.trim();
        let (path, query) = url
            .split_once('?')
            .map_or((url, None), |(p, q)| (p, Some(q)));
        let matched = rules
            .gate("GET", path, query)
            .unwrap_or_else(|e| panic!("example {url} is refused: {e}"));
        if !found.iter().any(|(i, _)| *i == matched.index) {
            found.push((matched.index, url.to_owned()));
        }
    }
    assert_eq!(
        found.len(),
        rules.endpoints.len(),
        "an endpoint without a golden example: {found:?}"
    );
    found
}

/// Serves exactly `template` to every request until the next call.
async fn upstream_answers(server: &MockServer, template: ResponseTemplate) {
    server.reset().await;
    Mock::given(any())
        .respond_with(template)
        .mount(server)
        .await;
}

fn with_extra_headers(mut template: ResponseTemplate) -> ResponseTemplate {
    for (name, value) in UPSTREAM_EXTRA_HEADERS {
        template = template.insert_header(name, value);
    }
    template
}

/// The body as the caller reads it (gunzipped when the proxy compressed it).
fn body_text(reply: &Reply) -> String {
    match reply.headers.get("content-encoding") {
        Some(coding) if coding == "gzip" => {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&reply.body[..])
                .read_to_string(&mut text)
                .unwrap();
            text
        }
        _ => reply.text(),
    }
}

/// No canary in any header value of the reply.
fn headers_clean(reply: &Reply, context: &str) {
    for (name, value) in &reply.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        assert!(
            !canary_pattern().is_match(&value),
            "{context}: header {name}: {value}"
        );
    }
}

struct Case<'a> {
    state: Arc<AppState>,
    server: &'a MockServer,
    url: &'a str,
    label: &'a str,
}

impl Case<'_> {
    async fn fetch(&self, gzip: bool) -> Reply {
        let mut event = Event::get(self.url);
        if gzip {
            event = event.header("accept-encoding", "gzip");
        }
        invoke(self.state.clone(), &event).await
    }

    /// A 2xx with the document: sanitized, only raw-allowed canaries in the body.
    async fn success(&self, report: &LintReport, index: usize, doc: &Generated, gzip: bool) {
        let template =
            ResponseTemplate::new(200).set_body_raw(doc.value.to_string(), "application/json");
        upstream_answers(self.server, with_extra_headers(template)).await;
        let reply = self.fetch(gzip).await;
        let context = format!("{} 200 (gzip {gzip})", self.label);
        // A root of the wrong type is withheld whole (502 SANITIZATION_FAILED); the body
        // and headers are held to the same oracle either way.
        // Only a root of the wrong kind may be withheld: every endpoint's schema wants an
        // object, except accessible-resources, which wants an array.
        let wants_array = self.label.ends_with("accessible-resources");
        let root_rejected = match &doc.value {
            serde_json::Value::Object(_) => wants_array,
            serde_json::Value::Array(_) => !wants_array,
            _ => true,
        };
        let withheld = reply.status == StatusCode::BAD_GATEWAY
            && reply.error_code() == Some("SANITIZATION_FAILED");
        assert!(
            reply.status == StatusCode::OK || (withheld && root_rejected),
            "{context}: {} {}",
            reply.status,
            reply.text()
        );
        headers_clean(&reply, &context);
        let body = body_text(&reply);
        let found = leaks(&report.endpoints[index], doc, &body, Oracle::Privacy);
        assert!(
            found.is_empty(),
            "{context}: {}\nbody: {body}",
            found.join("\n")
        );
    }

    /// The same document as an upstream error: passed per §2.9, no email canary.
    /// Returns how many email canaries the document held (so the check is not vacuous).
    async fn upstream_error(&self, doc: &Generated, status: u16) -> usize {
        let template =
            ResponseTemplate::new(status).set_body_raw(doc.value.to_string(), "application/json");
        upstream_answers(self.server, with_extra_headers(template)).await;
        let reply = self.fetch(false).await;
        let context = format!("{} upstream {status}", self.label);
        assert_eq!(reply.status.as_u16(), status, "{context}");
        assert_eq!(reply.error_code(), Some("API_ERROR"), "{context}");
        headers_clean(&reply, &context);
        let body = reply.text();
        let sent = doc.value.to_string();
        let mut emails = 0;
        for (canary, origin) in &doc.canaries {
            let email = format!("{canary}@canary.example");
            emails += usize::from(sent.contains(&email));
            assert!(
                !body.contains(&email),
                "{context}: {email} from {origin}\n{body}"
            );
        }
        emails
    }

    /// A 2xx or non-2xx answer that is not JSON: only the proxy's own text comes back.
    async fn not_json(&self, status: u16, body: String, expected_code: &str) {
        let template = ResponseTemplate::new(status).set_body_raw(body, "text/html");
        upstream_answers(self.server, with_extra_headers(template)).await;
        let reply = self.fetch(false).await;
        let context = format!("{} non-JSON {status}", self.label);
        assert_eq!(reply.error_code(), Some(expected_code), "{context}");
        headers_clean(&reply, &context);
        let text = reply.text();
        assert!(!canary_pattern().is_match(&text), "{context}: {text}");
    }
}

#[tokio::test]
async fn no_canary_reaches_the_caller_or_the_logs_through_the_proxy() {
    let (rules, report) = shipped();
    let server = MockServer::start().await;
    let state = state(&server.uri()).await;
    let mut labels = Vec::new();
    let mut emails_in_error_bodies = 0;
    for (index, url) in request_per_endpoint(&rules) {
        let endpoint = &rules.endpoints[index];
        let case = Case {
            state: state.clone(),
            server: &server,
            url: &url,
            label: &endpoint.label,
        };
        let strategy = document(&rules, endpoint.response_schema.as_ref());
        let mut runner = seeded_runner(CASES);
        for n in 0..CASES {
            let doc = strategy.new_tree(&mut runner).unwrap().current().realize();
            case.success(&report, index, &doc, n % 2 == 0).await;
            emails_in_error_bodies += case.upstream_error(&doc, [404, 500][n as usize % 2]).await;
            // Truncated JSON: the sanitizer's error must not echo the document.
            let text = doc.value.to_string();
            let cut = text
                .char_indices()
                .nth(text.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            let half = text[..cut].to_owned() + "\u{1}";
            case.not_json(200, half, "SANITIZATION_FAILED").await;
        }
        let html = "<html><body>zq80001qz zq80002qz@canary.example</body></html>".to_owned();
        case.not_json(200, html.clone(), "SANITIZATION_FAILED")
            .await;
        case.not_json(503, html, "API_ERROR").await;
        labels.push(endpoint.label.clone());
    }
    assert!(
        emails_in_error_bodies > 0,
        "no email canary was ever sent in an error body"
    );
    let logs = captured_logs();
    for label in &labels {
        assert!(
            logs.contains(&format!("\"endpoint\":\"{label}\"")),
            "{label} not logged:\n{logs}"
        );
    }
    assert!(logs.contains("SANITIZATION_FAILED"), "{logs}");
    let leaked: Vec<&str> = canary_pattern()
        .find_iter(&logs)
        .map(|m| m.as_str())
        .collect();
    assert!(leaked.is_empty(), "canaries in the logs: {leaked:?}");
}

/// A caller's `p~` token is sent upstream as its original (docs/rules.md, "Pseudonyms"),
/// and Confluence echoes the query in `_links.next` and `Link`: the caller must get its
/// token back there, never the original, and a link the source rewrote must be dropped
/// rather than leak. The cursor in those links is sealed (the shipped rules declare
/// `cursor` a sealed cursor).
#[tokio::test]
async fn reversed_tokens_echoed_in_pagination_links_are_retokenized() {
    let server = MockServer::start().await;
    let account = "557058:zq91001qz-echo";
    let token = pseudoproxy::pseudonym::Pseudonymizer::new(settings("").pseudonym)
        .tokenize(account)
        .unwrap();
    let sent = "557058%3Azq91001qz-echo";
    let body = format!(
        r#"{{"results":[],"_links":{{"next":"/wiki/api/v2/spaces?favorited-by={sent}&cursor=c1","base":"https://acme.example/wiki"}}}}"#
    );
    let template = ResponseTemplate::new(200)
        .set_body_raw(body, "application/json")
        .append_header(
            "link",
            format!("</wiki/api/v2/spaces?favorited-by={sent}&cursor=c1>; rel=\"next\"").as_str(),
        )
        .append_header(
            "link",
            format!("</wiki/api/v2/spaces?favorited-by=%22{sent}%22>; rel=\"prev\"").as_str(),
        );
    Mock::given(wiremock::matchers::query_param("favorited-by", account))
        .respond_with(template)
        .mount(&server)
        .await;
    let url = format!("{SPACES_FULL}?favorited-by={token}&limit=2");
    let reply = invoke(state(&server.uri()).await, &Event::get(&url)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let body = reply.text();
    let sealed = pseudoproxy::pseudonym::Pseudonymizer::new(settings("").pseudonym).seal("c1");
    let next = format!("/wiki/api/v2/spaces?favorited-by={token}&cursor={sealed}");
    assert_eq!(reply.json()["_links"]["next"], next.as_str(), "{body}");
    let links: Vec<&str> = reply
        .headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        links,
        [format!("<{next}>; rel=\"next\"")],
        "the rewritten prev is dropped"
    );
    let everything = format!("{body}{:?}", reply.headers);
    assert!(!everything.contains("zq91001qz"), "{everything}");
}
