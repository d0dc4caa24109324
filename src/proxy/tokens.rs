//! The seam for upstream bearer tokens.
//!
//! [`AccessTokens`] is what the pipeline asks for a token and tells when the source
//! rejected one. Until the OAuth token manager lands (refresh, single-flight, lock),
//! [`StaticAccessToken`] reads the `ACCESS_TOKEN` parameter from the secret store on
//! every call (no cache, so a rotated value is picked up at once). It accepts a raw
//! token or Psoxy's shared-token JSON `{"token":"…","expirationDate":<epoch millis>}`.
//!
//! Invariant: no token text ever appears in an error, `Debug` output or a log line.

use std::sync::Arc;

use crate::secrets::SecretStore;

/// Terraform's placeholder: a parameter holding it counts as absent.
pub const FILL_ME: &str = "fill me";

/// Why no bearer token could be had. Names parameters, never values.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A required parameter is absent → 500 `CONNECTION_SETUP`.
    #[error("missing {0}")]
    Missing(String),
    /// The source refused the refresh token (`invalid_grant`) → 502 `SOURCE_AUTH_REVOKED`.
    #[error("refresh token revoked: {0}")]
    Revoked(String),
    /// Store or token endpoint unreachable / throttled → 503 `CONFIGURATION_FAILURE`.
    #[error("token source unavailable: {0}")]
    Unavailable(String),
}

/// Where the pipeline gets `Authorization: Bearer` values.
#[async_trait::async_trait]
pub trait AccessTokens: Send + Sync + std::fmt::Debug {
    /// A token believed valid now.
    async fn bearer(&self) -> Result<String, TokenError>;
    /// The source answered 401 to `rejected`; a manager may refresh so that the next
    /// [`AccessTokens::bearer`] returns a different token (the pipeline retries once).
    async fn on_unauthorized(&self, rejected: &str);
    /// Token-family and refresh state for the health check; `None` for a static token.
    async fn status(&self) -> Option<crate::auth::TokenStatus> {
        None
    }
}

/// Reads a static token from the secret store (until the OAuth manager lands).
#[derive(Debug, Clone)]
pub struct StaticAccessToken {
    store: Arc<dyn SecretStore>,
    /// Full parameter name, e.g. `PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN`.
    parameter: String,
}

impl StaticAccessToken {
    pub fn new(store: Arc<dyn SecretStore>, parameter: impl Into<String>) -> StaticAccessToken {
        StaticAccessToken {
            store,
            parameter: parameter.into(),
        }
    }
}

/// The token inside a stored value: Psoxy's JSON form or the raw token.
pub fn parse_stored_token(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value == FILL_ME {
        return None;
    }
    if value.starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(value).ok()?;
        let token = json.get("token")?.as_str()?.trim();
        return (!token.is_empty()).then(|| token.to_owned());
    }
    Some(value.to_owned())
}

#[async_trait::async_trait]
impl AccessTokens for StaticAccessToken {
    async fn bearer(&self) -> Result<String, TokenError> {
        let stored = self.store.get(&self.parameter).await.map_err(|e| match e {
            crate::secrets::SecretError::AccessDenied { .. } => {
                TokenError::Missing(self.parameter.clone())
            }
            other => TokenError::Unavailable(other.to_string()),
        })?;
        stored
            .and_then(|p| parse_stored_token(&p.value))
            .ok_or_else(|| TokenError::Missing(self.parameter.clone()))
    }

    async fn on_unauthorized(&self, _rejected: &str) {
        tracing::warn!(
            parameter = %self.parameter,
            "source rejected the static access token; replace the parameter's value"
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn stored_token_forms() {
        let cases = [
            ("abc.def", Some("abc.def")),
            ("  abc \n", Some("abc")),
            (
                r#"{"token":"xyz","expirationDate":1700000000000}"#,
                Some("xyz"),
            ),
            (r#"{"token":""}"#, None),
            (r#"{"expirationDate":1}"#, None),
            ("{not json", None),
            ("fill me", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_stored_token(input).as_deref(), expected, "{input:?}");
        }
    }

    #[tokio::test]
    async fn static_token_reads_the_store_each_time() {
        let store = Arc::new(MemoryStore::with(&[("P_ACCESS_TOKEN", "one")]));
        let tokens = StaticAccessToken::new(store.clone(), "P_ACCESS_TOKEN");
        assert_eq!(tokens.bearer().await.unwrap(), "one");
        store
            .put("P_ACCESS_TOKEN", r#"{"token":"two"}"#)
            .await
            .unwrap();
        assert_eq!(tokens.bearer().await.unwrap(), "two");
        store.delete("P_ACCESS_TOKEN").await.unwrap();
        let err = tokens.bearer().await.unwrap_err();
        assert!(
            matches!(err, TokenError::Missing(ref n) if n == "P_ACCESS_TOKEN"),
            "{err}"
        );
    }
}
