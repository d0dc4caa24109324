//! The proxy over real TCP on loopback (as `serve` runs it), wiremock as Confluence:
//! reversible tokens in the query reach the upstream as their originals, the local bearer
//! token is enforced, and the log of the whole binary never holds a secret or a value.

use std::net::SocketAddr;
use std::sync::Arc;

use pseudoproxy::proxy::{self, AppState};
use pseudoproxy::pseudonym::Pseudonymizer;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::proxy_support::*;

async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = proxy::app(Arc::new(state)).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

const CANARY_BODY: &str = "canary-body-ana.souza@acme-widgets.example-3e1d";
const CANARY_QUERY: &str = "canaryQueryValue42";

#[tokio::test]
async fn tokens_reversed_local_bearer_enforced_and_logs_clean() {
    let server = MockServer::start().await;
    let original = "value with spaces/slash&amp";
    Mock::given(method("GET"))
        .and(path(SPACES_FULL))
        .and(query_param("favorited-by", original))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"{{"results":[{{"id":"1","authorId":"{CANARY_BODY}","name":"{CANARY_BODY}"}}]}}"#
            ),
            "application/json",
        ))
        .mount(&server)
        .await;
    let access = pseudoproxy::proxy::LocalAccess::Bearer("local-bearer-canary".into());
    let state = state_guarded_by(settings(&server.uri()), access).await;
    let token = Pseudonymizer::new(settings("").pseudonym)
        .tokenize(original)
        .unwrap();
    let addr = serve(state).await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}{SPACES}?limit=3&favorited-by={token}");

    let refused = client.get(&url).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["x-psoxy-error"], "UNAUTHORIZED_CALLER");

    let reply = client
        .get(&url)
        .bearer_auth("local-bearer-canary")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body = reply.text().await.unwrap();
    assert!(!body.contains(CANARY_BODY), "{body}");
    assert!(body.contains("\"authorId\":\"t~"), "{body}");

    // A query value and a body that must never be logged.
    let with_query = format!("http://{addr}{SPACES}?limit=3&labels={CANARY_QUERY}");
    let get_body = client
        .get(&with_query)
        .bearer_auth("local-bearer-canary")
        .body(CANARY_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(get_body.status(), 400);
    let unmatched = client
        .get(&with_query)
        .bearer_auth("local-bearer-canary")
        .send()
        .await
        .unwrap();
    assert_eq!(
        unmatched.status(),
        404,
        "the mock only knows the reversed value"
    );

    let logs = captured_logs();
    assert!(
        logs.contains("\"status\":200") && logs.contains("pseudoproxy::audit"),
        "audit lines captured:\n{logs}"
    );
    for secret in [
        SALT,
        ENCRYPTION_KEY,
        ACCESS_TOKEN,
        "local-bearer-canary",
        CANARY_BODY,
        CANARY_QUERY,
        original,
    ] {
        assert!(!logs.contains(secret), "log holds {secret:?}:\n{logs}");
    }
    // The query is logged with values removed, `p~` tokens kept (they are ciphertext).
    assert!(
        logs.contains(&format!("limit=&favorited-by={token}")),
        "{logs}"
    );
    assert!(
        !logs.contains("ana.souza") && !logs.contains("@acme.example"),
        "{logs}"
    );
}

/// A `serve` whose log goes to a file (not a terminal) writes plain text: no ANSI escape
/// sequences, one readable audit line per request.
#[tokio::test]
async fn a_redirected_serve_log_has_no_colour_codes() {
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (child, base) =
        crate::export_support::spawn_serve_logging(&server.uri(), dir.path(), log.into()).await;
    let status = reqwest::get(format!("{base}/wiki/api/v2/pages/1/body"))
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    drop(child);
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("BLOCKED_BY_RULES"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "escape sequences in a redirected log: {text:?}"
    );
}
