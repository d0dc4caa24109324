//! The auth layer's one error type. Messages name parameters and failure classes, never
//! a token, secret or authorization code.

use super::TokenError;
use crate::secrets::SecretError;

use super::endpoint::EndpointError;

/// Why the auth layer could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// A required parameter is absent (names only).
    #[error("missing {0}")]
    Missing(String),
    /// The token endpoint definitively refused the refresh token or code.
    #[error("refresh token rejected by the token endpoint ({0}); re-run the consent flow")]
    Revoked(String),
    /// Token endpoint or store unreachable, throttled or timing out: retry later.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The cross-instance lock could not be had within the wait budget.
    #[error("refresh lock {0} still held by another instance after the wait budget")]
    LockTimeout(String),
    /// A stored value or endpoint answer has an unexpected shape.
    #[error("unexpected data: {0}")]
    Invalid(String),
}

impl From<SecretError> for AuthError {
    fn from(error: SecretError) -> AuthError {
        match error {
            // Access denied to a token parameter cannot heal by retrying, but it is a
            // setup problem, not a revocation.
            SecretError::AccessDenied { name } => AuthError::Missing(name),
            other => AuthError::Transient(other.to_string()),
        }
    }
}

impl From<EndpointError> for AuthError {
    fn from(error: EndpointError) -> AuthError {
        match error {
            EndpointError::Rejected(why) => AuthError::Revoked(why),
            EndpointError::Invalid(why) => AuthError::Invalid(why),
            other => AuthError::Transient(other.to_string()),
        }
    }
}

impl From<AuthError> for TokenError {
    fn from(error: AuthError) -> TokenError {
        match error {
            AuthError::Missing(name) => TokenError::Missing(name),
            AuthError::Revoked(why) => TokenError::Revoked(why),
            other => TokenError::Unavailable(other.to_string()),
        }
    }
}
