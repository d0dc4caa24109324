//! Atlassian OAuth 2.0 (3LO) token lifecycle (docs/oauth.md).
//!
//! I/O EDGE. The seam the proxy asks for bearer tokens is [`AccessTokens`] (`tokens`).
//! [`TokenManager`] implements it for the `oauth2_refresh_token` strategy: an in-memory access token backed by the shared
//! `ACCESS_TOKEN` parameter, single-flight refresh within the process ([`manager`]), the
//! `OAUTH_REFRESH_TOKEN_lock` protocol across processes ([`lock`]), the token endpoint
//! client ([`endpoint`]), the critical section with write-back before use ([`refresh`]),
//! the token-family ledger and stored formats ([`ledger`]), and the consent bootstrap
//! used by `pseudoproxy auth` ([`consent`]).
//!
//! Invariants (the bar: no token family is ever lost because of the proxy):
//! - a rotated refresh token is persisted before the new access token is used; when the
//!   write fails it is kept in memory and the write is retried on every later request;
//! - a transient failure (5xx, timeout, DNS, store throttling) is never reported as a
//!   revocation; only `invalid_grant` / 401 / 403 from the token endpoint are;
//! - no token, secret or code ever appears in an error, `Debug` output or log line.

pub(crate) mod consent;
pub(crate) mod endpoint;
mod error;
pub(crate) mod ledger;
pub(crate) mod lock;
pub(crate) mod manager;
mod refresh;
mod tokens;

pub use consent::SCOPES;
pub use endpoint::{EndpointError, TokenEndpoint, TokenGrant};
pub use error::AuthError;
pub use ledger::{FamilyHealth, SharedToken, TokenFamily, stored_access_token};
pub use lock::{LOCK_STALE_AFTER, RefreshLock};
pub use manager::{ManagerConfig, RefreshOutcome, TokenManager, TokenStatus};
pub use tokens::{
    AccessTokens, Refusal, ReloadHints, SCOPE_OR_SITE_HINT, StaticAccessToken, TokenError,
};

/// Milliseconds since the epoch of `time` (0 before the epoch).
pub fn epoch_millis(time: std::time::SystemTime) -> i64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
