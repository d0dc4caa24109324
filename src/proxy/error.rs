//! The proxy layer's one error type and its public face (docs/proxy.md, "Error catalogue").
//!
//! Invariant: a [`ProxyError`] maps to exactly one status and `X-Psoxy-Error` code, and
//! its public message is static text or a list of setting *names*. The internal detail
//! (which may name a parameter or an upstream host, never a value) is logged once, by
//! the audit line, not echoed to the caller.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

/// Header carrying the error code on every failed response.
pub const ERROR_HEADER: &str = "x-psoxy-error";

/// `Retry-After` of a 503 (the token endpoint, the store or the source unavailable).
const RETRY_AFTER_SECONDS: &str = "30";

/// Everything that can stop a request, in pipeline order.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("request did not arrive over https")]
    HttpsRequired,
    #[error("caller IP not in ALLOWED_DATA_ACCESS_IP_BLOCKS")]
    UnauthorizedIp,
    #[error("caller principal not in ALLOWED_CALLER_ARNS")]
    UnauthorizedCaller,
    #[error("local server bearer token missing or wrong")]
    UnauthorizedLocal,
    #[error("local server request addressed to a host that is not loopback")]
    ForeignHost,
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    #[error("rules invalid at load: {0}")]
    RulesInvalid(String),
    #[error("missing configuration: {}", .0.join(", "))]
    ConnectionSetup(Vec<String>),
    #[error("{0}")]
    Blocked(#[from] crate::rules::Blocked),
    #[error("reversible token in request: {0}")]
    TokenInvalid(crate::pseudonym::PseudonymError),
    #[error("source authorization revoked: {0}")]
    SourceAuthRevoked(String),
    #[error("configuration backend unavailable: {0}")]
    ConfigurationFailure(String),
    #[error("cannot connect to source: {0}")]
    ConnectionToSource(String),
    #[error("source read timed out")]
    SourceReadTimeout,
    #[error("upstream 2xx response not sanitizable: {0}")]
    SanitizationFailed(String),
    #[error("response too large: {0}")]
    ResponseTooLarge(&'static str),
}

impl ProxyError {
    /// The `X-Psoxy-Error` value.
    pub fn code(&self) -> &'static str {
        match self {
            ProxyError::HttpsRequired => "HTTPS_REQUIRED",
            ProxyError::UnauthorizedIp => "UNAUTHORIZED_IP_ADDRESS",
            ProxyError::UnauthorizedCaller
            | ProxyError::UnauthorizedLocal
            | ProxyError::ForeignHost => "UNAUTHORIZED_CALLER",
            ProxyError::InvalidRequest(_) => "INVALID_REQUEST",
            ProxyError::RulesInvalid(_) => "RULES_INVALID",
            ProxyError::ConnectionSetup(_) => "CONNECTION_SETUP",
            ProxyError::Blocked(_) => "BLOCKED_BY_RULES",
            ProxyError::TokenInvalid(_) => "TOKENIZED_REQUEST_PARAMETER_INVALID",
            ProxyError::SourceAuthRevoked(_) => "SOURCE_AUTH_REVOKED",
            ProxyError::ConfigurationFailure(_) => "CONFIGURATION_FAILURE",
            ProxyError::ConnectionToSource(_) => "CONNECTION_TO_SOURCE",
            ProxyError::SourceReadTimeout => "SOURCE_API_READ_TIMEOUT",
            ProxyError::SanitizationFailed(_) => "SANITIZATION_FAILED",
            ProxyError::ResponseTooLarge(_) => "RESPONSE_TOO_LARGE",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::HttpsRequired | ProxyError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::UnauthorizedIp
            | ProxyError::UnauthorizedCaller
            | ProxyError::ForeignHost
            | ProxyError::Blocked(_) => StatusCode::FORBIDDEN,
            ProxyError::UnauthorizedLocal => StatusCode::UNAUTHORIZED,
            ProxyError::RulesInvalid(_) | ProxyError::ConnectionSetup(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ProxyError::TokenInvalid(_) => StatusCode::CONFLICT,
            ProxyError::SourceAuthRevoked(_)
            | ProxyError::SanitizationFailed(_)
            | ProxyError::ResponseTooLarge(_) => StatusCode::BAD_GATEWAY,
            ProxyError::ConfigurationFailure(_) | ProxyError::ConnectionToSource(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProxyError::SourceReadTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The short message the caller sees; `None` = empty body (blocked by rules).
    pub fn public_message(&self) -> Option<String> {
        let text = match self {
            ProxyError::Blocked(_) => return None,
            ProxyError::HttpsRequired => "requests must use https",
            ProxyError::UnauthorizedIp => "caller IP address not allowed",
            ProxyError::UnauthorizedCaller => "caller not allowed",
            ProxyError::UnauthorizedLocal => {
                "this server requires Authorization: Bearer <the --auth-token value>"
            }
            ProxyError::ForeignHost => {
                "this local server answers only requests addressed to localhost, 127.0.0.1 or \
                 [::1]; start it with --auth-token to serve other host names"
            }
            ProxyError::InvalidRequest(why) => why,
            ProxyError::RulesInvalid(_) => {
                "the rules file failed to load; see the health check and the function logs"
            }
            ProxyError::ConnectionSetup(names) => {
                return Some(format!("missing configuration: {}", names.join(", ")));
            }
            ProxyError::TokenInvalid(_) => "a reversible token in the request is invalid",
            ProxyError::SourceAuthRevoked(_) => {
                "the source rejected the refresh token; re-run the consent flow (pseudoproxy auth)"
            }
            ProxyError::ConfigurationFailure(_) => {
                "configuration or token service temporarily unavailable; retry later"
            }
            ProxyError::ConnectionToSource(_) => "cannot connect to the source API",
            ProxyError::SourceReadTimeout => "the source API did not answer in time",
            ProxyError::SanitizationFailed(_) => {
                "the source response could not be sanitized, so it was withheld"
            }
            ProxyError::ResponseTooLarge(hint) => hint,
        };
        Some(text.to_owned())
    }

    /// The response the caller gets: status, `X-Psoxy-Error`, JSON `{error, message}`.
    pub fn to_response(&self) -> Response<Body> {
        let body = match self.public_message() {
            None => Body::empty(),
            Some(message) => {
                let json = serde_json::json!({ "error": self.code(), "message": message });
                Body::from(json.to_string())
            }
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(ERROR_HEADER, HeaderValue::from_static(self.code()));
        // A 503 is temporary by definition: say when to come back.
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if self.public_message().is_some() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        response
    }
}
