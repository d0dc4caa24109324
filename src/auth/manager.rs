//! [`TokenManager`]: the proxy's bearer tokens under `oauth2_refresh_token`.
//!
//! Fast path: the in-memory access token while more than a jittered margin (1–10 min,
//! drawn anew for each token) of validity remains. Slow path: one refresh at a time per
//! process (a tokio mutex; waiters re-check memory when they get it, and share the
//! failure of the attempt they waited for instead of retrying it one by one), then the
//! shared `ACCESS_TOKEN`, then the cross-instance lock and the critical section
//! ([`super::refresh`]).
//!
//! Invariants: a rotated refresh token that could not be stored is kept in memory, used
//! for the next refresh, and its write is retried on every request until it lands; a
//! refresh token the endpoint rejected is not sent again (no hammering) until the stored
//! one changes (the operator re-ran consent).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use super::ledger::{FamilyHealth, SharedToken, TokenFamily};
use super::{AccessTokens, AuthError, TokenEndpoint, TokenError, epoch_millis};
use crate::config::{ClientCredentials, Clock, TokenParameters};
use crate::secrets::SecretStore;

/// Tunables; tests shorten the waits, production uses [`ManagerConfig::default`].
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Per-attempt token endpoint timeout.
    pub token_timeout: Duration,
    /// Bound on waiting for another instance's lock (spec: about 20 s).
    pub lock_wait: Duration,
    /// First lock poll interval.
    pub lock_poll: Duration,
    /// Attempts at writing a rotated refresh token before keeping it in memory.
    pub write_attempts: u32,
    /// First backoff between those attempts (doubles).
    pub write_backoff: Duration,
    /// Refresh when less than a margin drawn from this range remains.
    pub margin: (Duration, Duration),
    /// `USE_SHARED_TOKEN`: share the access token through `ACCESS_TOKEN`.
    pub use_shared_token: bool,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            token_timeout: Duration::from_secs(10),
            lock_wait: Duration::from_secs(20),
            lock_poll: Duration::from_millis(100),
            write_attempts: 5,
            write_backoff: Duration::from_millis(200),
            margin: (Duration::from_secs(60), Duration::from_secs(600)),
            use_shared_token: true,
        }
    }
}

/// What the last refresh attempt came to (health check `lastRefreshOutcome`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshOutcome {
    /// `ok`, `transient` or `revoked`.
    pub status: &'static str,
    /// Epoch millis (injected clock).
    pub at: i64,
    /// Public detail: failure class and parameter names only.
    pub message: String,
}

/// What the health check reports about tokens.
#[derive(Debug, Clone, Default)]
pub struct TokenStatus {
    pub family: Option<FamilyHealth>,
    pub last_outcome: Option<RefreshOutcome>,
    /// A rotated refresh token is held only in memory (its write keeps failing).
    pub unsaved_refresh_token: bool,
    /// The stored refresh token is the one the endpoint rejected.
    pub revoked: bool,
}

/// The in-memory access token and the margin drawn for it.
pub(super) struct Current {
    pub token: SharedToken,
    pub margin_millis: i64,
}

#[derive(Default)]
pub(super) struct Inner {
    pub current: Option<Current>,
    /// Rotated refresh token not yet persisted (the stored one is spent).
    pub pending_refresh: Option<String>,
    /// The refresh token the endpoint rejected.
    pub rejected_refresh: Option<String>,
    pub last: Option<RefreshOutcome>,
    /// Bumped by every finished refresh attempt; with `last_error`, lets waiters share it.
    pub generation: u64,
    pub last_error: Option<AuthError>,
    pub family: Option<TokenFamily>,
}

/// The token manager; share it behind an `Arc`.
pub struct TokenManager {
    pub(super) store: Arc<dyn SecretStore>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) endpoint: TokenEndpoint,
    pub(super) names: TokenParameters,
    pub(super) client: ClientCredentials,
    pub(super) config: ManagerConfig,
    pub(super) flight: tokio::sync::Mutex<()>,
    pub(super) inner: Mutex<Inner>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("endpoint", &self.endpoint.url())
            .field("names", &self.names)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl TokenManager {
    pub fn new(
        store: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
        endpoint: TokenEndpoint,
        names: TokenParameters,
        client: ClientCredentials,
        config: ManagerConfig,
    ) -> TokenManager {
        TokenManager {
            store,
            clock,
            endpoint,
            names,
            client,
            config,
            flight: tokio::sync::Mutex::new(()),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub(super) fn inner(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere; the data is still consistent
        // (every update is a single assignment).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn now_millis(&self) -> i64 {
        epoch_millis(self.clock.now())
    }

    /// The in-memory token if it has more than its margin left and is not `rejected`.
    fn usable(&self, rejected: Option<&str>) -> Option<String> {
        let now = self.now_millis();
        let inner = self.inner();
        let current = inner.current.as_ref()?;
        let fresh = current.token.remaining_millis(now) > current.margin_millis;
        (fresh && Some(current.token.token.as_str()) != rejected)
            .then(|| current.token.token.clone())
    }

    /// A valid token: from memory, or by the single-flight slow path.
    pub async fn obtain(&self, rejected: Option<&str>) -> Result<String, AuthError> {
        self.retry_pending_write().await;
        if let Some(token) = self.usable(rejected) {
            return Ok(token);
        }
        let generation = self.inner().generation;
        let _flight = self.flight.lock().await;
        if let Some(token) = self.usable(rejected) {
            return Ok(token);
        }
        {
            let inner = self.inner();
            if inner.generation != generation
                && let Some(error) = &inner.last_error
            {
                return Err(error.clone());
            }
        }
        let result = self.refresh_guarded(rejected).await;
        self.record(&result);
        result
    }

    fn record(&self, result: &Result<String, AuthError>) {
        let at = self.now_millis();
        let mut inner = self.inner();
        inner.generation += 1;
        inner.last_error = result.as_ref().err().cloned();
        if let Err(error) = result {
            let status = match error {
                AuthError::Revoked(_) => "revoked",
                _ => "transient",
            };
            inner.last = Some(RefreshOutcome {
                status,
                at,
                message: error.to_string(),
            });
        }
    }

    /// Retries persisting a rotated refresh token held only in memory. Skipped while a
    /// refresh runs (it persists the newest token itself).
    async fn retry_pending_write(&self) {
        if self.inner().pending_refresh.is_none() {
            return;
        }
        let Ok(_flight) = self.flight.try_lock() else {
            return;
        };
        let Some(pending) = self.inner().pending_refresh.clone() else {
            return;
        };
        match self.store.put(&self.names.refresh_token, &pending).await {
            Ok(_) => {
                tracing::info!(parameter = %self.names.refresh_token, "rotated refresh token persisted on retry");
                let mut inner = self.inner();
                if inner.pending_refresh.as_deref() == Some(pending.as_str()) {
                    inner.pending_refresh = None;
                }
            }
            Err(error) => tracing::error!(
                target: "pseudoproxy::auth",
                event = "refresh_token_unsaved",
                parameter = %self.names.refresh_token, %error,
                "rotated refresh token still not persisted; kept in memory, retrying on the next request"
            ),
        }
    }

    /// What the health check shows; reads the ledger and refresh token fresh.
    pub async fn status(&self) -> TokenStatus {
        let stored_family = match self.store.get(&self.names.family).await {
            Ok(p) => p.and_then(|p| TokenFamily::parse(&p.value)),
            Err(_) => None,
        };
        let stored_refresh = self
            .store
            .get(&self.names.refresh_token)
            .await
            .ok()
            .flatten();
        let now = self.now_millis();
        let inner = self.inner();
        let family = stored_family.or(inner.family);
        // Revoked only while the stored token is still the rejected one: after the
        // operator re-ran consent, the next request will try the new one.
        let revoked = match (&inner.rejected_refresh, &stored_refresh) {
            (Some(rejected), Some(stored)) => rejected == &stored.value,
            (Some(_), None) => true,
            (None, _) => false,
        };
        TokenStatus {
            family: family.map(|f| f.health(now)),
            last_outcome: inner.last.clone(),
            unsaved_refresh_token: inner.pending_refresh.is_some(),
            revoked,
        }
    }
}

#[async_trait::async_trait]
impl AccessTokens for TokenManager {
    async fn bearer(&self) -> Result<String, TokenError> {
        self.obtain(None).await.map_err(TokenError::from)
    }

    async fn on_unauthorized(&self, rejected: &str) {
        if let Err(error) = self.obtain(Some(rejected)).await {
            tracing::warn!(%error, "refresh after an upstream 401 failed");
        }
    }

    async fn status(&self) -> Option<TokenStatus> {
        Some(TokenManager::status(self).await)
    }
}
