//! Helpers for the proxy tests: an `AppState` against a loopback upstream, function-URL
//! event JSON (API Gateway v2 payload, as AWS sends it), and one capturing log subscriber
//! for the whole test binary.
//!
//! The test secrets below are the canaries the log-capture test looks for.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{HeaderMap, Response, StatusCode};
use pseudoproxy::auth::{AccessTokens, ManagerConfig, TokenError};
use pseudoproxy::config::{AuthSettings, ProxySettings, RulesChoice, SystemClock, TokenSource};
use pseudoproxy::proxy::{self, AppState, Dependencies, ReqwestUpstream, ShippedRules};
use pseudoproxy::pseudonym::PseudonymConfig;
use pseudoproxy::secrets::MemoryStore;
use tower::ServiceExt;

pub(crate) const SALT: &str = "canary-salt-5b1f0e";
pub(crate) const ENCRYPTION_KEY: &str = "canary-key-77d2c4";
pub(crate) const ACCESS_TOKEN: &str = "canary-access-token-9a8b7c";
pub(crate) const CLOUD_ID: &str = "acme-cloud-id";
pub(crate) const SPACES: &str = "/wiki/api/v2/spaces";
pub(crate) const SPACES_FULL: &str = "/ex/confluence/acme-cloud-id/wiki/api/v2/spaces";

/// Settings for tests: all required values present, upstream at `upstream_base`.
pub(crate) fn settings(upstream_base: &str) -> ProxySettings {
    ProxySettings {
        source: "confluence".into(),
        upstream_base: upstream_base.into(),
        request_timeout: std::time::Duration::from_secs(5),
        development_mode: false,
        confluence_cloud_id: Some(CLOUD_ID.into()),
        allowed_ip_blocks: None,
        allowed_caller_arns: None,
        path_prefix: None,
        function_name: None,
        pseudonym: PseudonymConfig {
            salt: SALT.into(),
            encryption_key: Some(ENCRYPTION_KEY.into()),
            ..PseudonymConfig::default()
        },
        rules: RulesChoice::Shipped,
        auth: AuthSettings::default(),
        tokens: TokenSource::Static {
            parameter: "ACCESS_TOKEN".into(),
        },
        missing: Vec::new(),
        warnings: Vec::new(),
        expected_rules_sha: None,
        config_last_modified: None,
    }
}

/// How a request reaches the function: each front door delivers its own event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    /// Lambda function URL (API Gateway v2 payload, stage `$default`).
    FunctionUrl,
    /// API Gateway HTTP API (payload 2.0) on stage [`STAGE`]: the stage is in `rawPath`.
    HttpApi,
    /// API Gateway REST API (payload 1.0) on stage [`STAGE`], a `/{proxy+}` resource.
    RestApi,
}

/// The API Gateway stage of the test events.
pub(crate) const STAGE: &str = "prod";

impl Door {
    pub(crate) const ALL: [Door; 3] = [Door::FunctionUrl, Door::HttpApi, Door::RestApi];

    /// `PATH_PREFIX` a deployment behind this door is configured with.
    pub(crate) fn path_prefix(self) -> Option<String> {
        match self {
            Door::HttpApi => Some(format!("/{STAGE}")),
            Door::FunctionUrl | Door::RestApi => None,
        }
    }
}

/// A state with the shipped rules, the real HTTP client and a static token in memory,
/// built by the proxy's one constructor.
pub(crate) async fn state_with(settings: ProxySettings) -> AppState {
    state_guarded_by(settings, proxy::LocalAccess::NotLocal).await
}

/// [`state_with`], for a `serve` guarded by `local_access`.
pub(crate) async fn state_guarded_by(
    settings: ProxySettings,
    local_access: proxy::LocalAccess,
) -> AppState {
    install_log_capture();
    let deps = Dependencies {
        store: Arc::new(MemoryStore::with(&[("ACCESS_TOKEN", ACCESS_TOKEN)])),
        clock: Arc::new(SystemClock),
        upstream: Arc::new(ReqwestUpstream::new().unwrap()),
        shipped_rules: ShippedRules::Embedded,
        tuning: ManagerConfig::default(),
        local_access,
    };
    proxy::build(deps, settings).await.unwrap()
}

pub(crate) async fn state(upstream_base: &str) -> Arc<AppState> {
    Arc::new(state_with(settings(upstream_base)).await)
}

/// An access-token source that always fails the given way.
#[derive(Debug)]
pub(crate) struct FailingTokens(pub fn() -> TokenError);

#[async_trait::async_trait]
impl AccessTokens for FailingTokens {
    async fn bearer_within(&self, _: Option<std::time::Instant>) -> Result<String, TokenError> {
        Err((self.0)())
    }
    async fn on_rejected(
        &self,
        _rejected: &str,
        _status: u16,
        _: Option<std::time::Instant>,
    ) -> pseudoproxy::auth::Refusal {
        pseudoproxy::auth::Refusal::Failed((self.0)())
    }
}

/// One function-URL invocation (what `cargo lambda` and AWS deliver).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub method: &'static str,
    pub raw_path: String,
    pub raw_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub base64: bool,
    pub source_ip: String,
    pub user_arn: String,
    pub door: Door,
}

impl Event {
    pub(crate) fn get(path_and_query: &str) -> Event {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Event {
            method: "GET",
            raw_path: path.into(),
            raw_query: query.into(),
            headers: vec![("x-forwarded-proto".into(), "https".into())],
            body: None,
            base64: false,
            source_ip: "198.51.100.7".into(),
            user_arn: "arn:aws:sts::123456789012:assumed-role/worklytics-caller/session-1".into(),
            door: Door::FunctionUrl,
        }
    }

    /// The same request delivered through `door`.
    pub(crate) fn through(mut self, door: Door) -> Event {
        self.door = door;
        self
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Event {
        self.headers.retain(|(n, _)| n != name);
        self.headers.push((name.into(), value.into()));
        self
    }

    pub(crate) fn method(mut self, method: &'static str) -> Event {
        self.method = method;
        self
    }

    pub(crate) fn body(mut self, body: &str, base64: bool) -> Event {
        self.body = Some(body.into());
        self.base64 = base64;
        self
    }

    pub(crate) fn source_ip(mut self, ip: &str) -> Event {
        self.source_ip = ip.into();
        self
    }

    /// The event payload of this request's door, as JSON text.
    pub(crate) fn to_json(&self) -> String {
        match self.door {
            Door::FunctionUrl => self.v2_json("$default", &self.raw_path),
            Door::HttpApi => self.v2_json(STAGE, &format!("/{STAGE}{}", self.raw_path)),
            Door::RestApi => self.v1_json(),
        }
    }

    /// API Gateway REST API (payload 1.0), AWS_IAM authorization: the query arrives
    /// parsed and decoded, the caller in `requestContext.identity`.
    fn v1_json(&self) -> String {
        use serde_json::{Map, Value, json};
        let mut headers = Map::new();
        let mut multi_headers = Map::new();
        for (name, value) in &self.headers {
            headers.insert(name.clone(), json!(value));
            multi_headers.insert(name.clone(), json!([value]));
        }
        let mut query = Map::new();
        let mut multi_query: Map<String, Value> = Map::new();
        for pair in self.raw_query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |t: &str| {
                pseudoproxy::percent::decode_lossy(t, pseudoproxy::percent::Plus::IsSpace)
            };
            let (name, value) = (decode(name), decode(value));
            query.insert(name.clone(), json!(value));
            match multi_query.get_mut(&name) {
                Some(Value::Array(values)) => values.push(json!(value)),
                _ => {
                    multi_query.insert(name, json!([value]));
                }
            }
        }
        let none_if_empty = |m: Map<String, Value>| match m.is_empty() {
            true => Value::Null,
            false => Value::Object(m),
        };
        json!({
            "resource": "/{proxy+}",
            "path": self.raw_path,
            "httpMethod": self.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": none_if_empty(query),
            "multiValueQueryStringParameters": none_if_empty(multi_query),
            "pathParameters": {"proxy": self.raw_path.trim_start_matches('/')},
            "stageVariables": null,
            "requestContext": {
                "accountId": "123456789012",
                "resourceId": "a1b2c3",
                "stage": STAGE,
                "requestId": "c0ffee00-1111-2222-3333-444455556666",
                "identity": {
                    "cognitoIdentityPoolId": null,
                    "accountId": "123456789012",
                    "cognitoIdentityId": null,
                    "caller": "AROAEXAMPLE:session-1",
                    "accessKey": "ASIAEXAMPLE",
                    "sourceIp": self.source_ip,
                    "cognitoAuthenticationType": null,
                    "cognitoAuthenticationProvider": null,
                    "userArn": self.user_arn,
                    "userAgent": "test",
                    "user": "AROAEXAMPLE:session-1"
                },
                "resourcePath": "/{proxy+}",
                "httpMethod": self.method,
                "apiId": "abcdefghij",
                "path": format!("/{STAGE}{}", self.raw_path),
                "protocol": "HTTP/1.1",
                "requestTime": "01/Jan/2025:00:00:00 +0000",
                "requestTimeEpoch": 1735689600000_i64
            },
            "body": self.body,
            "isBase64Encoded": self.base64
        })
        .to_string()
    }

    /// The API Gateway v2 payload (function URL or HTTP API) as JSON text.
    fn v2_json(&self, stage: &str, raw_path: &str) -> String {
        let headers: serde_json::Map<String, serde_json::Value> = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": self.raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abcdefghijklmnop",
                "authorizer": { "iam": {
                    "accessKey": "ASIAEXAMPLE",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLE:session-1",
                    "principalOrgId": null,
                    "userArn": self.user_arn,
                    "userId": "AROAEXAMPLE:session-1"
                }},
                "domainName": "abcdefghijklmnop.lambda-url.us-east-1.on.aws",
                "domainPrefix": "abcdefghijklmnop",
                "http": {
                    "method": self.method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": "test"
                },
                "requestId": "c0ffee00-1111-2222-3333-444455556666",
                "routeKey": "$default",
                "stage": stage,
                "time": "01/Jan/2025:00:00:00 +0000",
                "timeEpoch": 1735689600000_i64
            },
            "body": self.body,
            "isBase64Encoded": self.base64
        })
        .to_string()
    }
}

/// What the caller got back.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub(crate) fn error_code(&self) -> Option<&str> {
        self.headers
            .get(proxy::ERROR_HEADER)
            .and_then(|v| v.to_str().ok())
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Parses the event exactly as the Lambda runtime does and runs it through the app.
pub(crate) async fn invoke(state: Arc<AppState>, event: &Event) -> Reply {
    let request =
        lambda_http::request::from_str(&event.to_json()).expect("valid function-URL event");
    answer(state, request).await
}

/// As [`invoke`], inside a Lambda invocation that must be answered within `left`.
pub(crate) async fn invoke_with_deadline(
    state: Arc<AppState>,
    event: &Event,
    left: std::time::Duration,
) -> Reply {
    use lambda_http::RequestExt;
    let request =
        lambda_http::request::from_str(&event.to_json()).expect("valid function-URL event");
    let mut context = lambda_http::Context::default();
    let deadline = std::time::SystemTime::now() + left;
    let millis = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    context.deadline = u64::try_from(millis).unwrap();
    answer(state, request.with_lambda_context(context)).await
}

async fn answer(state: Arc<AppState>, request: lambda_http::Request) -> Reply {
    let response: Response<Body> = proxy::app(state).oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Everything the proxy logged during this test binary's run.
pub(crate) fn captured_logs() -> String {
    let buffer = LOGS.get_or_init(Default::default).lock().unwrap();
    String::from_utf8_lossy(&buffer).into_owned()
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once) a global subscriber that keeps every log line of every test, at the
/// production default level for dependencies and everything of ours.
pub(crate) fn install_log_capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let buffer = LOGS.get_or_init(Default::default).clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info,pseudoproxy=trace"))
            .with_ansi(false)
            .json()
            .with_current_span(true)
            .with_writer(move || Capture(buffer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}
