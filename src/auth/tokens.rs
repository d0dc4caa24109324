//! The seam for upstream bearer tokens: what the proxy asks for a token and tells when the
//! source rejected one ([`AccessTokens`]), and its errors ([`TokenError`]).
//!
//! Two implementations: the OAuth [`super::TokenManager`] (refresh, single flight, lock,
//! write-back), and [`StaticAccessToken`], which reads the `ACCESS_TOKEN` parameter from
//! the secret store on every call (no cache, so a replaced value is picked up at once) —
//! for deployments without an OAuth client (`serve --demo`, a hand-placed token). Both
//! read the stored value with the one parser, [`super::ledger::stored_access_token`].
//!
//! Invariant: no token text ever appears in an error, `Debug` output or a log line.

use std::sync::Arc;
use std::time::Instant;

use super::ledger::stored_access_token;
use crate::secrets::SecretStore;

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

/// What the token source makes of the source refusing a token.
#[derive(Debug)]
pub enum Refusal {
    /// A fresh token: retry the request once with it.
    Retry(String),
    /// A new token would not cure this (the refused token is fresh, a refresh was tried
    /// moments ago, or the answer is not about expiry): pass the answer on. `hint` names
    /// the likely cause for the caller (a fixed text), when there is one.
    NotCurable { hint: Option<&'static str> },
    /// A refresh was due but failed (a transient failure is answered 503, never as the
    /// source's 401).
    Failed(TokenError),
}

/// The likely cause of a 401 that a fresh token does not cure.
pub const SCOPE_OR_SITE_HINT: &str = "the source refused a fresh access token: the consent \
    probably lacks a scope these rules need (Atlassian says \"scope does not match\"), or \
    the cloud id names a site the consent does not cover; re-run the consent flow \
    (pseudoproxy auth) with the scopes of docs/oauth.md";

/// Where the pipeline gets `Authorization: Bearer` values.
#[async_trait::async_trait]
pub trait AccessTokens: Send + Sync + std::fmt::Debug {
    /// A token believed valid now. `deadline` is when the request must be answered (a
    /// Lambda invocation's deadline); a refresh that could not finish its write-back by
    /// then is not started.
    async fn bearer_within(&self, deadline: Option<Instant>) -> Result<String, TokenError>;
    /// [`AccessTokens::bearer_within`] with no deadline.
    async fn bearer(&self) -> Result<String, TokenError> {
        self.bearer_within(None).await
    }
    /// The source answered `status` (401, or 403/404 which Atlassian's gateway may use
    /// for an expired token) to `rejected`: a fresh token to retry with, or why not.
    async fn on_rejected(&self, rejected: &str, status: u16, deadline: Option<Instant>) -> Refusal;
    /// Waits until no refresh is in flight, so a rotated refresh token is stored before
    /// the process exits (a local server's shutdown). Nothing to wait for by default.
    async fn settle(&self) {}
    /// Token-family and refresh state for the health check; `None` for a static token.
    async fn status(&self) -> Option<super::TokenStatus> {
        None
    }
    /// What a reload must know, from memory only (no store call: it is asked before every
    /// request). Nothing to report by default.
    fn reload_hints(&self) -> ReloadHints {
        ReloadHints::default()
    }
}

/// What the token source holds that a reload must respect ([`AccessTokens::reload_hints`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReloadHints {
    /// A rotated refresh token only this source holds (its write keeps failing), or a
    /// refresh in flight that may end that way: the source must not be dropped.
    pub holds_unsaved_token: bool,
    /// The token endpoint refused the refresh token this source last sent.
    pub refused: bool,
}

/// Reads a static token from the secret store on every call.
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

#[async_trait::async_trait]
impl AccessTokens for StaticAccessToken {
    async fn bearer_within(&self, _deadline: Option<Instant>) -> Result<String, TokenError> {
        let stored = self.store.get(&self.parameter).await.map_err(|e| match e {
            crate::secrets::SecretError::AccessDenied { .. } => {
                TokenError::Missing(self.parameter.clone())
            }
            other => TokenError::Unavailable(other.to_string()),
        })?;
        stored
            .and_then(|p| stored_access_token(&p.value))
            .map(|(token, _expiry)| token)
            .ok_or_else(|| TokenError::Missing(self.parameter.clone()))
    }

    async fn on_rejected(&self, _rejected: &str, status: u16, _: Option<Instant>) -> Refusal {
        if status == 401 {
            tracing::warn!(
                parameter = %self.parameter,
                "source rejected the static access token; replace the parameter's value"
            );
        }
        Refusal::NotCurable { hint: None }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

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
