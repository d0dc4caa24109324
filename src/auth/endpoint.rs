//! The Atlassian token endpoint client (`POST /oauth/token`, JSON body) and the
//! accessible-resources call, with failure classification (docs/oauth.md).
//!
//! Classification: `invalid_grant` in the body, 401 or 403 → [`EndpointError::Rejected`]
//! (definitive); 5xx, 429, connect/DNS failures → [`EndpointError::Unavailable`]; a
//! failure after the request may have been sent (timeout, reset) →
//! [`EndpointError::Ambiguous`] (the token may have rotated: retry once with the same
//! refresh token); a 2xx without the expected fields → [`EndpointError::Invalid`].
//!
//! Invariant: no token, secret or code is ever put into an error or log; error bodies are
//! reduced to the OAuth `error` code.

use std::time::Duration;

use serde::Deserialize;

/// Why a token endpoint call failed.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("rejected: {0}")]
    Rejected(String),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("no answer after the request was sent ({0}); it may have rotated the token")]
    Ambiguous(String),
    #[error("unexpected answer: {0}")]
    Invalid(String),
}

/// A successful grant. `refresh_token` is `None` when the endpoint did not rotate.
#[derive(Clone, Deserialize)]
pub struct TokenGrant {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
}

fn default_expires_in() -> u64 {
    3600
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("rotated", &self.refresh_token.is_some())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// One site from accessible-resources.
#[derive(Debug, Clone, Deserialize)]
pub struct Site {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// The client: one reqwest client, the token URL, a per-attempt timeout.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    client: reqwest::Client,
    url: String,
}

impl TokenEndpoint {
    /// A client for `url` whose calls give up after `timeout` (then `Ambiguous`).
    pub fn new(url: impl Into<String>, timeout: Duration) -> Result<TokenEndpoint, EndpointError> {
        let tls = crate::tls::client_config()
            .map_err(|e| EndpointError::Unavailable(format!("cannot build client: {e}")))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .timeout(timeout)
            .build()
            .map_err(|e| EndpointError::Unavailable(format!("cannot build client: {e}")))?;
        Ok(TokenEndpoint {
            client,
            url: url.into(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `grant_type=refresh_token`.
    pub async fn refresh(
        &self,
        client_id: &str,
        client_secret: &str,
        refresh_token: &str,
    ) -> Result<TokenGrant, EndpointError> {
        self.grant(serde_json::json!({
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        }))
        .await
    }

    /// `grant_type=authorization_code` (the consent bootstrap).
    pub async fn exchange_code(
        &self,
        client_id: &str,
        client_secret: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenGrant, EndpointError> {
        self.grant(serde_json::json!({
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
        }))
        .await
    }

    async fn grant(&self, body: serde_json::Value) -> Result<TokenGrant, EndpointError> {
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| classify_transport(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| classify_transport(&e))?;
        if status.is_success() {
            let grant: TokenGrant = serde_json::from_str(&text).map_err(|_| {
                EndpointError::Invalid("token response is not the expected JSON".into())
            })?;
            if grant.access_token.is_empty() {
                return Err(EndpointError::Invalid(
                    "token response has no access_token".into(),
                ));
            }
            return Ok(grant);
        }
        Err(classify_status(status.as_u16(), &text))
    }

    /// `GET {api_base}/oauth/token/accessible-resources` with the access token.
    pub async fn accessible_resources(
        &self,
        api_base: &str,
        access_token: &str,
    ) -> Result<Vec<Site>, EndpointError> {
        let url = format!(
            "{}/oauth/token/accessible-resources",
            api_base.trim_end_matches('/')
        );
        let response = self
            .client
            .get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| classify_transport(&e))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| classify_transport(&e))?;
        if !status.is_success() {
            return Err(classify_status(status.as_u16(), &text));
        }
        serde_json::from_str(&text).map_err(|_| {
            EndpointError::Invalid("accessible-resources is not a list of sites".into())
        })
    }
}

/// An HTTP error answer → its class; only the OAuth `error` code is kept.
pub(crate) fn classify_status(status: u16, body: &str) -> EndpointError {
    let code = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let described = match &code {
        Some(code) => format!("HTTP {status} {code}"),
        None => format!("HTTP {status}"),
    };
    match (status, code.as_deref()) {
        // A server-side failure is transient whatever its body claims.
        (429 | 500..=599, _) => EndpointError::Unavailable(described),
        (_, Some("invalid_grant")) | (401 | 403, _) => EndpointError::Rejected(described),
        _ => EndpointError::Invalid(described),
    }
}

fn classify_transport(error: &reqwest::Error) -> EndpointError {
    if error.is_connect() {
        // Never reached the endpoint (DNS, refused, TLS): nothing can have rotated.
        EndpointError::Unavailable("cannot connect to the token endpoint".into())
    } else if error.is_timeout() {
        EndpointError::Ambiguous("timed out".into())
    } else {
        EndpointError::Ambiguous("connection failed mid-exchange".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classification() {
        // (status, body, expected class)
        let cases = [
            (
                403,
                r#"{"error":"invalid_grant","error_description":"x"}"#,
                "rejected",
            ),
            (400, r#"{"error":"invalid_grant"}"#, "rejected"),
            (401, "", "rejected"),
            (403, "<html>", "rejected"),
            (500, "", "unavailable"),
            (503, r#"{"error":"invalid_grant"}"#, "unavailable"),
            (502, "<html>", "unavailable"),
            (429, "", "unavailable"),
            (400, r#"{"error":"invalid_request"}"#, "invalid"),
        ];
        for (status, body, expected) in cases {
            let got = match classify_status(status, body) {
                EndpointError::Rejected(_) => "rejected",
                EndpointError::Unavailable(_) => "unavailable",
                EndpointError::Ambiguous(_) => "ambiguous",
                EndpointError::Invalid(_) => "invalid",
            };
            assert_eq!(got, expected, "HTTP {status} {body}");
        }
    }

    #[test]
    fn error_text_never_carries_the_body() {
        let error = classify_status(
            403,
            r#"{"error":"invalid_grant","error_description":"rt-SECRET"}"#,
        );
        assert!(!error.to_string().contains("SECRET"), "{error}");
        let error = classify_status(400, r#"{"error":"rt-SECRET-with-dash"}"#);
        assert!(!error.to_string().contains("SECRET"), "{error}");
    }
}
