//! The proxy driven in-process through real event JSON parsed by `lambda_http` (function
//! URL and API Gateway HTTP API payload 2.0, API Gateway REST API payload 1.0), with
//! wiremock on loopback as Confluence: success, every error code of the catalogue, the
//! health check, gzip and base64 request bodies, each front door's caller identity.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use pseudoproxy::auth::TokenError;
use pseudoproxy::config::RulesChoice;
use pseudoproxy::proxy::{self, AppState};
use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::proxy_support::*;
use crate::support::root;

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("example-api-responses").join(name)).unwrap()
}

async fn confluence_with(route: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn spaces_page1() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(example("original/spaces-page1.json"), "application/json")
        .insert_header("link", "</wiki/api/v2/spaces?cursor=abc>; rel=\"next\"")
        .insert_header("x-ratelimit-remaining", "99")
        .insert_header("beta-ratelimit", "\"global\";r=2940;t=15")
        .insert_header("beta-ratelimit-policy", "\"global\";q=65000;w=3600")
        .insert_header("x-beta-ratelimit-nearlimit", "false")
        .insert_header("set-cookie", "atl=secret-cookie")
}

#[tokio::test]
async fn success_is_the_golden_sanitized_page_with_psoxy_headers() {
    let server = confluence_with(SPACES_FULL, spaces_page1()).await;
    let mut settings = settings(&server.uri());
    settings.pseudonym = PseudonymConfig {
        salt: "salt".into(),
        encryption_key: Some("secret".into()),
        ..PseudonymConfig::default()
    };
    let fingerprint = Pseudonymizer::new(settings.pseudonym.clone()).salt_fingerprint();
    let state = Arc::new(state_with(settings).await);
    let reply = invoke(
        state.clone(),
        &Event::get(&format!(
            "{SPACES}?limit=3&description-format=plain&sort=id"
        )),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut expected: serde_json::Value =
        serde_json::from_str(&example("sanitized/spaces-page1.json")).unwrap();
    // The proxy seals the cursor of the next link (the golden file has the source's).
    let next = expected["_links"]["next"].as_str().unwrap().to_owned();
    let (before, cursor) = next.split_once("cursor=").unwrap();
    let sealed = Pseudonymizer::new(state.settings.pseudonym.clone()).seal(cursor);
    expected["_links"]["next"] = format!("{before}cursor={sealed}").into();
    assert_eq!(reply.json(), expected);
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let sha = state.rules.as_ref().unwrap().sha1_hex.clone();
    assert_eq!(header("x-psoxy-rules-sha"), Some(sha));
    assert_eq!(
        header("x-psoxy-psoxy-version").as_deref(),
        Some(proxy::VERSION)
    );
    assert_eq!(header("x-psoxy-pii-salt-sha256"), Some(fingerprint));
    assert_eq!(
        header("x-psoxy-warning").as_deref(),
        Some("compression-not-requested")
    );
    assert_eq!(header("content-type").as_deref(), Some("application/json"));
    assert!(header("link").is_some() && header("x-ratelimit-remaining").is_some());
    for name in [
        "beta-ratelimit",
        "beta-ratelimit-policy",
        "x-beta-ratelimit-nearlimit",
    ] {
        assert!(header(name).is_some(), "{name} passes through");
    }
    assert_eq!(
        header("set-cookie"),
        None,
        "only the listed headers pass through"
    );

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    let upstream = &received[0];
    let sent = |name: &str| {
        upstream
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        sent("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}"))
    );
    assert_eq!(
        sent("user-agent"),
        Some(format!("pseudoproxy/{}", proxy::VERSION))
    );
    assert_eq!(sent("accept").as_deref(), Some("application/json"));
    assert!(sent("accept-encoding").unwrap_or_default().contains("gzip"));
    assert!(
        upstream
            .headers
            .keys()
            .all(|k| !k.as_str().starts_with("x-psoxy"))
    );
    assert_eq!(
        upstream.url.query(),
        Some("limit=3&description-format=plain&sort=id")
    );
}

#[tokio::test]
async fn gzip_when_accepted_and_large_enough() {
    let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(proxy::GZIP_MIN_BYTES));
    let small = r#"{"a":"x"}"#;
    let server = MockServer::start().await;
    for (route, body) in [("/big", big.clone()), ("/small", small.to_owned())] {
        let response = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        Mock::given(path(route))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    let mut s = settings(&server.uri());
    s.rules = RulesChoice::Custom {
        origin: "RULES".into(),
        yaml: "endpoints:\n  - pathTemplate: /big\n  - pathTemplate: /small\n".into(),
    };
    let state = Arc::new(state_with(s).await);
    let gzip = |p: &str| Event::get(p).header("accept-encoding", "deflate, gzip");
    let reply = invoke(state.clone(), &gzip("/big")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.headers.get("content-encoding").unwrap(), "gzip");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(reply.body.as_slice())
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, big);
    assert!(reply.headers.get("x-psoxy-warning").is_none());
    // Below the threshold: plain, and no warning (compression was requested).
    let reply = invoke(state.clone(), &gzip("/small")).await;
    assert_eq!(
        (reply.text().as_str(), reply.headers.get("content-encoding")),
        (small, None)
    );
    assert!(reply.headers.get("x-psoxy-warning").is_none());
    // Not requested: plain, with the warning.
    let reply = invoke(state, &Event::get("/big")).await;
    assert_eq!(reply.text(), big);
    assert_eq!(
        reply.headers.get("x-psoxy-warning").unwrap(),
        "compression-not-requested"
    );
}

#[tokio::test]
async fn health_check_is_sorted_json_and_412_when_something_is_missing() {
    let state_ok = state("http://127.0.0.1:9").await;
    let reply = invoke(
        state_ok,
        &Event::get("/anything").header("x-psoxy-health-check", "true"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let json = reply.json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "keys sorted");
    assert_eq!(json["callerIp"], "198.51.100.7");
    assert_eq!(json["configuredHost"], "127.0.0.1:9");
    assert_eq!(json["nonDefaultSalt"], true);
    assert!(
        !text.contains(SALT) && !text.contains(ACCESS_TOKEN),
        "{text}"
    );

    let mut settings = settings("http://127.0.0.1:9");
    settings.missing = vec!["PSOXY_SALT".into()];
    settings.allowed_ip_blocks =
        Some(pseudoproxy::config::parse::ip_blocks("198.51.100.0/24").unwrap());
    let state = Arc::new(state_with(settings).await);
    let reply = invoke(
        state.clone(),
        &Event::get("/").header("x-psoxy-health-check", ""),
    )
    .await;
    assert_eq!(reply.status, 412);
    assert_eq!(
        reply.json()["missingConfigProperties"],
        serde_json::json!(["PSOXY_SALT"])
    );
    assert_eq!(reply.json()["clientIpAuthorized"], true);
    // The health check sits behind the allow-lists: a stranger learns nothing of it.
    let stranger = Event::get("/")
        .header("x-psoxy-health-check", "")
        .source_ip("203.0.113.9");
    let reply = invoke(state, &stranger).await;
    assert_eq!(reply.status, 403);
    assert!(!reply.text().contains("saltSha256Hash"), "{}", reply.text());
}

#[tokio::test]
async fn base64_request_bodies_are_decoded_and_refused_on_get() {
    let server = confluence_with(SPACES_FULL, spaces_page1()).await;
    let state = state(&server.uri()).await;
    // "{}" base64-encoded: a body, so a GET with it is refused after the gate.
    let event = Event::get(&format!("{SPACES}?limit=3")).body("e30=", true);
    let reply = invoke(state.clone(), &event).await;
    assert_eq!(
        (reply.status.as_u16(), reply.error_code()),
        (400, Some("INVALID_REQUEST"))
    );
    // An empty base64 body is no body.
    let event = Event::get(&format!("{SPACES}?limit=3")).body("", true);
    assert_eq!(invoke(state, &event).await.status, 200);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// One row of the error catalogue: how to provoke it and what the caller gets.
struct Case {
    name: &'static str,
    status: u16,
    code: &'static str,
}

async fn provoke(case: &Case) -> Reply {
    let ok_path = format!("{SPACES}?limit=3");
    match case.name {
        "not https" => {
            invoke(
                state("http://127.0.0.1:9").await,
                &Event::get(&ok_path).header("x-forwarded-proto", "http"),
            )
            .await
        }
        "ip not allowed" => {
            let mut s = settings("http://127.0.0.1:9");
            s.allowed_ip_blocks =
                Some(pseudoproxy::config::parse::ip_blocks("10.0.0.0/8,2001:db8::/32").unwrap());
            invoke(
                Arc::new(state_with(s).await),
                &Event::get(&ok_path).source_ip("203.0.113.9"),
            )
            .await
        }
        "caller not allowed" => {
            let mut s = settings("http://127.0.0.1:9");
            s.allowed_caller_arns =
                Some(vec!["arn:aws:iam::123456789012:role/someone-else".into()]);
            invoke(Arc::new(state_with(s).await), &Event::get(&ok_path)).await
        }
        "bad override" => {
            let event = Event::get(&ok_path).header("x-psoxy-targetpath", "wiki/no-slash");
            invoke(state("http://127.0.0.1:9").await, &event).await
        }
        "blocked" => {
            invoke(
                state("http://127.0.0.1:9").await,
                &Event::get("/wiki/api/v2/pages/1/body"),
            )
            .await
        }
        "rules invalid" => {
            let mut s = settings("http://127.0.0.1:9");
            s.rules = RulesChoice::Custom {
                origin: "RULES".into(),
                yaml: "endpoints:\n  - pathTemplate: 7\n    bogus: 1\n".into(),
            };
            invoke(Arc::new(state_with(s).await), &Event::get(&ok_path)).await
        }
        "missing config" => {
            let mut s = settings("http://127.0.0.1:9");
            s.missing = vec!["PSOXY_SALT".into(), "CLIENT_ID".into()];
            invoke(Arc::new(state_with(s).await), &Event::get(&ok_path)).await
        }
        "revoked" | "token service down" => {
            let mut state = state_with(settings("http://127.0.0.1:9")).await;
            state.tokens = Arc::new(FailingTokens(match case.name {
                "revoked" => || TokenError::Revoked("invalid_grant".into()),
                _ => || TokenError::Unavailable("token endpoint 503".into()),
            }));
            invoke(Arc::new(state), &Event::get(&ok_path)).await
        }
        "bad token" => {
            let event = Event::get(&format!("{SPACES}?favorited-by=p~{}", "A".repeat(64)));
            invoke(state("http://127.0.0.1:9").await, &event).await
        }
        "connect error" => invoke(state("http://127.0.0.1:9").await, &Event::get(&ok_path)).await,
        "read timeout" => {
            let server = confluence_with(
                SPACES_FULL,
                spaces_page1().set_delay(Duration::from_secs(3)),
            )
            .await;
            let mut s = settings(&server.uri());
            s.request_timeout = Duration::from_millis(300);
            invoke(Arc::new(state_with(s).await), &Event::get(&ok_path)).await
        }
        "upstream 404" => {
            let body = r#"{"message":"user ana@acme.example not found"}"#;
            let server = confluence_with(
                SPACES_FULL,
                ResponseTemplate::new(404).set_body_string(body),
            )
            .await;
            invoke(state(&server.uri()).await, &Event::get(&ok_path)).await
        }
        "not json" => {
            let html = ResponseTemplate::new(200).set_body_string("<html>ana@acme.example</html>");
            let server = confluence_with(SPACES_FULL, html).await;
            invoke(state(&server.uri()).await, &Event::get(&ok_path)).await
        }
        "too large" => {
            let big = format!(
                r#"{{"a":"{}"}}"#,
                "x".repeat(proxy::MAX_RESPONSE_BYTES + 10)
            );
            let server =
                confluence_with("/big", ResponseTemplate::new(200).set_body_string(big)).await;
            let mut s = settings(&server.uri());
            s.rules = RulesChoice::Custom {
                origin: "RULES".into(),
                yaml: "endpoints:\n  - pathTemplate: /big\n".into(),
            };
            invoke(Arc::new(state_with(s).await), &Event::get("/big")).await
        }
        other => panic!("no recipe for {other}"),
    }
}

#[tokio::test]
async fn every_error_code_of_the_catalogue() {
    let cases = [
        Case {
            name: "not https",
            status: 400,
            code: "HTTPS_REQUIRED",
        },
        Case {
            name: "ip not allowed",
            status: 403,
            code: "UNAUTHORIZED_IP_ADDRESS",
        },
        Case {
            name: "caller not allowed",
            status: 403,
            code: "UNAUTHORIZED_CALLER",
        },
        Case {
            name: "bad override",
            status: 400,
            code: "INVALID_REQUEST",
        },
        Case {
            name: "blocked",
            status: 403,
            code: "BLOCKED_BY_RULES",
        },
        Case {
            name: "rules invalid",
            status: 500,
            code: "RULES_INVALID",
        },
        Case {
            name: "missing config",
            status: 500,
            code: "CONNECTION_SETUP",
        },
        Case {
            name: "revoked",
            status: 502,
            code: "SOURCE_AUTH_REVOKED",
        },
        Case {
            name: "token service down",
            status: 503,
            code: "CONFIGURATION_FAILURE",
        },
        Case {
            name: "bad token",
            status: 409,
            code: "TOKENIZED_REQUEST_PARAMETER_INVALID",
        },
        Case {
            name: "connect error",
            status: 503,
            code: "CONNECTION_TO_SOURCE",
        },
        Case {
            name: "read timeout",
            status: 504,
            code: "SOURCE_API_READ_TIMEOUT",
        },
        Case {
            name: "upstream 404",
            status: 404,
            code: "API_ERROR",
        },
        Case {
            name: "not json",
            status: 502,
            code: "SANITIZATION_FAILED",
        },
        Case {
            name: "too large",
            status: 502,
            code: "RESPONSE_TOO_LARGE",
        },
    ];
    for case in &cases {
        let reply = provoke(case).await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code()),
            (case.status, Some(case.code)),
            "{}: {}",
            case.name,
            reply.text()
        );
        let text = reply.text();
        assert!(!text.contains("ana@acme.example"), "{}: {text}", case.name);
        match case.code {
            "BLOCKED_BY_RULES" => assert!(reply.body.is_empty(), "empty body when blocked"),
            "CONNECTION_SETUP" => assert!(
                text.contains("PSOXY_SALT") && text.contains("CLIENT_ID"),
                "{text}"
            ),
            "SOURCE_AUTH_REVOKED" => assert!(text.contains("consent"), "{text}"),
            // Rebuilt from the allow-list: this body has none of the recognised shapes.
            "API_ERROR" => assert_eq!(text, r#"{"error":"API_ERROR","status":404}"#),
            _ => assert!(text.contains(case.code), "{}: {text}", case.name),
        }
    }
}

#[tokio::test]
async fn upstream_401_asks_the_token_source_then_passes_the_error() {
    let server = confluence_with(
        SPACES_FULL,
        ResponseTemplate::new(401).set_body_string("<html>no</html>"),
    )
    .await;
    let reply = invoke(
        state(&server.uri()).await,
        &Event::get(&format!("{SPACES}?limit=3")),
    )
    .await;
    assert_eq!(
        (reply.status.as_u16(), reply.error_code()),
        (401, Some("API_ERROR"))
    );
    assert_eq!(
        reply.json(),
        serde_json::json!({"error": "API_ERROR", "status": 401})
    );
    // The static source offers no other token: no retry.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[allow(dead_code)]
fn _state_is_send_sync(state: AppState) -> impl Send + Sync {
    state
}

#[tokio::test]
async fn every_front_door_serves_checks_the_caller_and_answers_the_health_check() {
    let server = confluence_with(SPACES_FULL, spaces_page1()).await;
    for door in Door::ALL {
        let mut settings = settings(&server.uri());
        settings.path_prefix = door.path_prefix();
        settings.allowed_caller_arns = Some(vec![
            "arn:aws:iam::123456789012:role/worklytics-caller".into(),
        ]);
        settings.allowed_ip_blocks =
            Some(pseudoproxy::config::parse::ip_blocks("198.51.100.0/24").unwrap());
        let state = Arc::new(state_with(settings).await);
        // A data call: served, and the upstream got the path without stage or prefix.
        let reply = invoke(
            state.clone(),
            &Event::get(&format!(
                "{SPACES}?limit=3&description-format=plain&sort=id"
            ))
            .through(door),
        )
        .await;
        assert_eq!(reply.status, 200, "{door:?}: {}", reply.text());
        let received = server.received_requests().await.unwrap();
        assert_eq!(received.last().unwrap().url.path(), SPACES_FULL, "{door:?}");
        // The health check, with every field Psoxy's has and the caller's address.
        let health = invoke(
            state.clone(),
            &Event::get("/")
                .header("x-psoxy-health-check", "true")
                .through(door),
        )
        .await;
        assert_eq!(health.status, 200, "{door:?}: {}", health.text());
        let json = health.json();
        assert_eq!(json["callerIp"], "198.51.100.7", "{door:?}");
        for field in [
            "version",
            "configuredSource",
            "nonDefaultSalt",
            "missingConfigProperties",
            "saltSha256Hash",
            "callerIp",
            "bundleFilename",
            "javaSourceCodeVersion",
            "userAgent",
            "pseudonymImplementation",
            "pseudonymizeAppIds",
            "configPropertiesLastModified",
        ] {
            assert!(json.get(field).is_some(), "{door:?}: health lacks {field}");
        }
        assert_eq!(json["pseudonymImplementation"], "v0.4");
        // Another principal, or another address, is refused.
        let mut stranger = Event::get(SPACES).through(door);
        stranger.user_arn = "arn:aws:sts::123456789012:assumed-role/someone-else/s".into();
        let reply = invoke(state.clone(), &stranger).await;
        assert_eq!(reply.status, 403, "{door:?}: {}", reply.text());
        let reply = invoke(
            state.clone(),
            &Event::get(SPACES).source_ip("203.0.113.9").through(door),
        )
        .await;
        assert_eq!(reply.status, 403, "{door:?}: {}", reply.text());
        // Psoxy's legacy pseudonyms are refused with a clear error.
        let legacy = Event::get(&format!("{SPACES}?limit=3"))
            .header("x-psoxy-pseudonym-implementation", "v0.3")
            .through(door);
        let reply = invoke(state.clone(), &legacy).await;
        assert_eq!(reply.status, 400, "{door:?}: {}", reply.text());
        assert!(reply.text().contains("v0.3"), "{}", reply.text());
    }
}

#[tokio::test]
async fn a_body_jackson_would_refuse_or_a_rejected_root_is_502_never_an_empty_page() {
    let deep = format!("{{\"results\":{}{}}}", "[".repeat(1001), "]".repeat(1001));
    for (what, body) in [
        (
            "array where an object is expected",
            "[{\"id\":\"1\"}]".to_owned(),
        ),
        ("null document", "null".to_owned()),
        ("1001 levels deep", deep),
    ] {
        let server = confluence_with(
            SPACES_FULL,
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let state = state(&server.uri()).await;
        let reply = invoke(state, &Event::get(&format!("{SPACES}?limit=3"))).await;
        assert_eq!(reply.status, 502, "{what}: {}", reply.text());
        assert_eq!(reply.error_code(), Some("SANITIZATION_FAILED"), "{what}");
    }
    // Between serde_json's and Jackson's limits, with a lone surrogate: served.
    let body = format!(
        "{{\"results\":[{{\"id\":\"1\",\"name\":\"cut \\ud83d\",\"x\":{}{}}}]}}",
        "[".repeat(300),
        "]".repeat(300)
    );
    let server = confluence_with(
        SPACES_FULL,
        ResponseTemplate::new(200).set_body_raw(body, "application/json"),
    )
    .await;
    let reply = invoke(
        state(&server.uri()).await,
        &Event::get(&format!("{SPACES}?limit=3")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["results"][0]["id"], "1");
}

/// The binary started by hand with `AWS_LAMBDA_RUNTIME_API` set (a copied Lambda
/// environment, a shell left over from `cargo lambda`) lacks the variables the runtime
/// client needs: it says which and exits 1, instead of panicking inside lambda_runtime.
#[test]
fn a_hand_started_lambda_binary_names_the_missing_runtime_variables() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.json");
    std::fs::write(&secrets, "{}").unwrap();
    let output = crate::support::run_cli(
        &[],
        &[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9"),
            ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
            ("PSEUDOPROXY_SECRETS_FILE", secrets.to_str().unwrap()),
            ("RUST_LOG", "error"),
        ],
        "",
        dir.path(),
    );
    let stderr = crate::support::stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("AWS_LAMBDA_FUNCTION_VERSION is unset or empty"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
