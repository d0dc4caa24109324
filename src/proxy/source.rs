//! The one way the proxy calls the source: with a bearer token from the token source,
//! and — when the source answers 401 — one retry with a fresh token. Used by the request
//! pipeline and by the deep health check alike.
//!
//! Invariant: the bearer token travels only in the `Authorization` header of the
//! upstream request; errors carry failure classes, never the token or the URL.

use axum::http::{HeaderValue, StatusCode, header};

use super::AppState;
use super::error::ProxyError;
use super::upstream::{UpstreamError, UpstreamRequest, UpstreamResponse};
use crate::auth::TokenError;

/// Calls the source with a bearer token; on 401, tells the token source and retries once
/// if it then offers a different token.
pub(super) async fn call(
    state: &AppState,
    request: UpstreamRequest,
) -> Result<UpstreamResponse, ProxyError> {
    let token = state.tokens.bearer().await.map_err(token_error)?;
    let response = send(state, &request, &token).await?;
    if response.status != StatusCode::UNAUTHORIZED {
        return Ok(response);
    }
    state.tokens.on_unauthorized(&token).await;
    match state.tokens.bearer().await {
        Ok(fresh) if fresh != token => send(state, &request, &fresh).await,
        _ => Ok(response),
    }
}

async fn send(
    state: &AppState,
    request: &UpstreamRequest,
    token: &str,
) -> Result<UpstreamResponse, ProxyError> {
    let mut request = request.clone();
    let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        ProxyError::ConnectionSetup(vec!["ACCESS_TOKEN (not a valid header value)".to_owned()])
    })?;
    request.headers.insert(header::AUTHORIZATION, bearer);
    state.upstream.send(request).await.map_err(|e| match e {
        UpstreamError::Connect(why) | UpstreamError::Other(why) => {
            ProxyError::ConnectionToSource(why)
        }
        UpstreamError::Timeout => ProxyError::SourceReadTimeout,
        UpstreamError::TooLarge => ProxyError::ResponseTooLarge(
            "the source response is too large to sanitize; request fewer items (lower `limit`)",
        ),
    })
}

/// Why no token could be had, as the proxy answers it.
pub(super) fn token_error(error: TokenError) -> ProxyError {
    match error {
        TokenError::Missing(name) => ProxyError::ConnectionSetup(vec![name]),
        TokenError::Revoked(why) => ProxyError::SourceAuthRevoked(why),
        TokenError::Unavailable(why) => ProxyError::ConfigurationFailure(why),
    }
}
