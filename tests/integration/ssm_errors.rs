//! SsmStore error classification through the real AWS SDK, against a wiremock server
//! that answers like SSM does (JSON 1.1 error bodies): the classes the token manager
//! relies on, and no AWS message (which can quote values) in our errors.

use aws_sdk_ssm::config::retry::RetryConfig;
use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
use pseudoproxy::secrets::{SecretError, SecretStore, SsmStore};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn store_at(endpoint: &str) -> SsmStore {
    let config = aws_sdk_ssm::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    SsmStore::new(aws_sdk_ssm::Client::from_conf(config), None)
}

fn class(error: &SecretError) -> &'static str {
    match error {
        SecretError::AccessDenied { .. } => "denied",
        SecretError::Transient { .. } => "transient",
        SecretError::Failed { .. } => "failed",
    }
}

#[tokio::test]
async fn service_errors_map_to_classes_without_aws_messages() {
    let cases = [
        (400, "AccessDeniedException", "denied"),
        (400, "ThrottlingException", "transient"),
        (500, "InternalServerError", "transient"),
        (503, "ServiceUnavailable", "transient"),
        (400, "ValidationException", "failed"),
        (400, "InvalidKeyId", "failed"),
    ];
    for (status, code, expected) in cases {
        let server = MockServer::start().await;
        let body = format!(r#"{{"__type":"{code}","message":"Value 'leaked-secret' rejected"}}"#);
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(status).set_body_raw(body, "application/x-amz-json-1.1"),
            )
            .mount(&server)
            .await;
        let store = store_at(&server.uri());
        let errors = [
            store.get("P").await.unwrap_err(),
            store.put("P", "leaked-secret").await.unwrap_err(),
            store
                .create_if_absent("P", "leaked-secret")
                .await
                .unwrap_err(),
            store.delete("P").await.unwrap_err(),
        ];
        for error in errors {
            assert_eq!(class(&error), expected, "{code}: {error}");
            let message = error.to_string();
            assert!(!message.contains("leaked-secret"), "{code}: {message}");
            assert!(message.contains('P'), "names the parameter: {message}");
        }
    }
}

#[tokio::test]
async fn not_found_and_already_exists_are_answers_not_errors() {
    let server = MockServer::start().await;
    let not_found = r#"{"__type":"ParameterNotFound","message":"x"}"#;
    Mock::given(method("POST"))
        .and(wiremock::matchers::header(
            "x-amz-target",
            "AmazonSSM.PutParameter",
        ))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"__type":"ParameterAlreadyExists","message":"x"}"#,
            "application/x-amz-json-1.1",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(not_found, "application/x-amz-json-1.1"),
        )
        .mount(&server)
        .await;
    let store = store_at(&server.uri());
    assert!(store.get("P").await.unwrap().is_none());
    store.delete("P").await.unwrap();
    assert!(!store.create_if_absent("P", "v").await.unwrap());
}

#[tokio::test]
async fn connection_failure_is_transient() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = store_at(&format!("http://127.0.0.1:{port}"));
    let error = store.get("P").await.unwrap_err();
    assert_eq!(class(&error), "transient", "{error}");
}

/// IAM with exact-name grants: a `GetParameters` batch naming any ungranted parameter is
/// denied whole. `get_many` must still answer every name as `get` would (value, absent or
/// denied), and re-ask the names of denied batches concurrently, not one round trip each.
#[tokio::test]
async fn denied_batches_fall_back_to_concurrent_single_reads() {
    use wiremock::matchers::{body_string_contains, header};
    let server = MockServer::start().await;
    let json = "application/x-amz-json-1.1";
    let denied = r#"{"__type":"AccessDeniedException","message":"x"}"#;
    let delay = std::time::Duration::from_millis(300);
    let target = |operation: &str| header("x-amz-target", format!("AmazonSSM.{operation}"));
    // Any batch naming "DENIED" is refused; so is reading it alone.
    for operation in ["GetParameters", "GetParameter"] {
        Mock::given(method("POST"))
            .and(target(operation))
            .and(body_string_contains(r#""DENIED""#))
            .respond_with(ResponseTemplate::new(400).set_body_raw(denied, json))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(target("GetParameter"))
        .and(body_string_contains(r#""ABSENT""#))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(r#"{"__type":"ParameterNotFound","message":"x"}"#, json)
                .set_delay(delay),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    // Every other single read finds its parameter, slowly.
    let found = r#"{"Parameter":{"Name":"G","Type":"SecureString","Value":"granted","Version":3}}"#;
    Mock::given(method("POST"))
        .and(target("GetParameter"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(found, json)
                .set_delay(delay),
        )
        .with_priority(3)
        .mount(&server)
        .await;

    // Two batches of ten names, each holding the denied name.
    let mut names: Vec<String> = (0..17).map(|i| format!("G{i}")).collect();
    names.insert(4, "DENIED".into());
    names.insert(12, "ABSENT".into());
    names.push("DENIED".into());
    let store = store_at(&server.uri());
    let start = std::time::Instant::now();
    let results = store.get_many(&names).await;
    let elapsed = start.elapsed();

    assert_eq!(results.len(), names.len());
    for (name, result) in names.iter().zip(&results) {
        match (name.as_str(), result) {
            ("DENIED", Err(e)) => assert_eq!(class(e), "denied", "{name}: {e}"),
            ("ABSENT", Ok(None)) => {}
            (_, Ok(Some(p))) if name.starts_with('G') => assert_eq!(p.value, "granted"),
            _ => panic!("{name}: unexpected {result:?}"),
        }
    }
    // 20 single reads of 300 ms each: one by one that is 6 s; concurrently about 0.3 s.
    assert!(
        elapsed < delay * 5,
        "fallback reads were not concurrent: {elapsed:?} for {} names",
        names.len()
    );
}
