//! `pseudoproxy call` (the real binary) against wiremock: bearer mode with the health-check
//! header, an error code explained in one line, `--gzip` decoding, and SigV4 signing for
//! service `lambda` with credentials from the environment.

use std::io::Write;
use std::process::{Command, Output};

use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs `call` with a clean AWS environment plus `env`.
async fn call(args: Vec<String>, env: Vec<(&'static str, &'static str)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_pseudoproxy"));
        command.arg("call").args(&args);
        for var in [
            "PSEUDOPROXY_AUTH_TOKEN",
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_REGION",
        ] {
            command.env_remove(var);
        }
        command
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/config")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
            .envs(env);
        command.output().unwrap()
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_health_check_error_explained_and_gzip() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(header("authorization", "Bearer local-token"))
        .and(header("x-psoxy-health-check", "deep"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-psoxy-psoxy-version", "9.9.9")
                .set_body_raw(r#"{"configuredSource":"confluence"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/blocked"))
        .respond_with(ResponseTemplate::new(403).insert_header("x-psoxy-error", "BLOCKED_BY_RULES"))
        .mount(&server)
        .await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"results":["zipped"]}"#).unwrap();
    Mock::given(method("GET"))
        .and(path("/zipped"))
        .and(header("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(gz.finish().unwrap(), "application/json"),
        )
        .mount(&server)
        .await;
    let uri = server.uri();

    let args = vec![format!("{uri}/"), "--health-check".into(), "deep".into()];
    let health = call(args, vec![("PSEUDOPROXY_AUTH_TOKEN", "local-token")]).await;
    let out = text(&health);
    assert!(health.status.success(), "{out}");
    for expected in [
        "status: 200 OK",
        "x-psoxy-psoxy-version: 9.9.9",
        r#"{"configuredSource":"confluence"}"#,
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }

    let blocked = call(vec![format!("{uri}/blocked")], vec![]).await;
    let out = text(&blocked);
    assert_eq!(blocked.status.code(), Some(1), "{out}");
    assert!(
        out.contains("x-psoxy-error: BLOCKED_BY_RULES\n  → the rules do not allow"),
        "{out}"
    );

    let zipped = call(vec![format!("{uri}/zipped"), "--gzip".into()], vec![]).await;
    let out = text(&zipped);
    assert!(zipped.status.success(), "{out}");
    assert!(
        out.contains(r#"{"results":["zipped"]}"#),
        "decoded body expected:\n{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_signs_for_lambda_with_env_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/wiki/api/v2/spaces"))
        .and(header_exists("x-amz-date"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    let args = vec![
        format!("{}/wiki/api/v2/spaces?limit=1", server.uri()),
        "--region".into(),
        "eu-west-1".into(),
    ];
    let env = vec![
        ("AWS_ACCESS_KEY_ID", "AKIDCALLTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret-for-test"),
    ];
    let output = call(args, env).await;
    assert!(output.status.success(), "{}", text(&output));
    let requests = server.received_requests().await.unwrap();
    let auth = requests[0].headers["authorization"]
        .to_str()
        .unwrap()
        .to_owned();
    let prefix = "AWS4-HMAC-SHA256 Credential=AKIDCALLTEST/";
    assert!(auth.starts_with(prefix), "{auth}");
    assert!(
        auth.contains("/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature="),
        "{auth}"
    );
}
