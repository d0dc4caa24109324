//! The one way the proxy calls the source: with a bearer token from the token source,
//! and — when the source refuses it (401, or 403/404 for a token about to expire) and
//! the token source says a new token can cure that — one retry with a fresh token. Used
//! by the request pipeline and by the deep health check alike.
//!
//! A refusal no new token can cure is passed on with the likely cause (`hint`); a refresh
//! that fails transiently is 503 with `Retry-After`, never the source's 401.
//!
//! Invariant: the bearer token travels only in the `Authorization` header of the
//! upstream request; errors carry failure classes, never the token or the URL.

use std::time::Instant;

use axum::http::{HeaderValue, header};

use super::AppState;
use super::error::ProxyError;
use super::upstream::{UpstreamError, UpstreamRequest, UpstreamResponse};
use crate::auth::{Refusal, SCOPE_OR_SITE_HINT, TokenError};

/// The source's answer, and the likely cause of a refusal a fresh token did not cure.
pub(super) struct Answer {
    pub response: UpstreamResponse,
    pub hint: Option<&'static str>,
}

/// Calls the source with a bearer token; on a refusal a new token may cure, asks the
/// token source and retries once with the token it offers. `deadline`: when the request
/// must be answered (a Lambda invocation's), so no refresh starts that could not finish.
pub(super) async fn call(
    state: &AppState,
    request: UpstreamRequest,
    deadline: Option<Instant>,
) -> Result<Answer, ProxyError> {
    let token = state
        .tokens
        .bearer_within(deadline)
        .await
        .map_err(token_error)?;
    let response = send(state, &request, &token).await?;
    let status = response.status.as_u16();
    if !matches!(status, 401 | 403 | 404) {
        return Ok(Answer {
            response,
            hint: None,
        });
    }
    match state.tokens.on_rejected(&token, status, deadline).await {
        Refusal::Retry(fresh) => {
            let response = send(state, &request, &fresh).await?;
            // A fresh token refused as well: the cause is not the token's age.
            let hint = (response.status.as_u16() == 401).then_some(SCOPE_OR_SITE_HINT);
            Ok(Answer { response, hint })
        }
        Refusal::NotCurable { hint } => Ok(Answer { response, hint }),
        Refusal::Failed(error) => Err(token_error(error)),
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
