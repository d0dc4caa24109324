//! [`TokenManager`]: the proxy's bearer tokens under `oauth2_refresh_token`.
//!
//! Fast path: the in-memory access token while more than a jittered margin (1–10 min,
//! drawn anew for each token) of validity remains. Slow path: one refresh at a time per
//! process (a tokio mutex; waiters re-check memory when they get it, and share the
//! failure of the attempt they waited for instead of retrying it one by one), then the
//! shared `ACCESS_TOKEN`, then the cross-instance lock and the critical section
//! ([`super::refresh`]).
//!
//! The slow path runs **detached** from the request that needed it (a spawned task that
//! owns the single-flight guard): a caller that disconnects, a request timeout or a
//! cancelled future cannot drop a refresh between the token endpoint's answer and the
//! stored rotated token. A refresh is not started when the request's deadline leaves less
//! than the worst-case refresh budget; a token that has not expired yet is used instead.
//!
//! Refusals by the source ([`TokenManager::on_rejected`]) refresh only when a new token
//! can cure them: a 401 on a token older than a short floor, or a 403/404 on a token
//! within minutes of its expiry (Atlassian's gateway may say either for an expired
//! token), and at most once per cool-down per instance — a 401 that a new token cannot
//! cure ("scope does not match", a wrong site) must not rotate the family on every
//! request.
//!
//! Invariants: a rotated refresh token that could not be stored is kept in memory with
//! the token it replaced, and written later only while the store still holds that token
//! (never over a newer one, e.g. after an instance thawed hours later); a refresh token
//! the endpoint rejected is not sent again (no hammering) until the stored one changes.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ledger::{FamilyHealth, SharedToken, TokenFamily};
use super::{
    AccessTokens, AuthError, Refusal, SCOPE_OR_SITE_HINT, TokenEndpoint, TokenError, epoch_millis,
};
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
    /// The longest a refresh may take, from the token call to the stored rotated token
    /// (the call, its retry after an ambiguous outcome, the write-back with retries). A
    /// refresh is not started with less time left before the request's deadline, and the
    /// write-back stops retrying (keeping the token in memory) when it is spent.
    pub refresh_budget: Duration,
    /// A 401 on an access token younger than this is not cured by a refresh.
    pub unauthorized_floor: Duration,
    /// At most one refresh per this long is made because the source refused a token.
    pub refusal_cooldown: Duration,
    /// A 403/404 on a token this close to its expiry is taken for an expired token.
    pub expiry_window: Duration,
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
            refresh_budget: Duration::from_secs(60),
            unauthorized_floor: Duration::from_secs(120),
            refusal_cooldown: Duration::from_secs(300),
            expiry_window: Duration::from_secs(300),
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

/// The in-memory access token, the margin drawn for it and when it was issued.
pub(super) struct Current {
    pub token: SharedToken,
    pub margin_millis: i64,
    /// Epoch millis; for a token adopted from `ACCESS_TOKEN`, estimated as its expiry less
    /// Atlassian's one-hour lifetime.
    pub issued_at: i64,
}

/// A rotated refresh token not yet stored, and the one it replaced.
#[derive(Clone)]
pub(super) struct PendingWrite {
    pub rotated: String,
    pub replaced: String,
}

#[derive(Default)]
pub(super) struct Inner {
    pub current: Option<Current>,
    /// Rotated refresh token not yet persisted (the stored one is spent).
    pub pending: Option<PendingWrite>,
    /// The refresh token the endpoint rejected.
    pub rejected_refresh: Option<String>,
    pub last: Option<RefreshOutcome>,
    /// Bumped by every finished refresh attempt; with `last_error`, lets waiters share it.
    pub generation: u64,
    pub last_error: Option<AuthError>,
    pub family: Option<TokenFamily>,
    /// When a refresh because of a source refusal last started (epoch millis).
    pub refusal_refresh_at: Option<i64>,
}

/// Everything the manager shares with its detached refresh tasks.
pub(super) struct Core {
    pub(super) store: Arc<dyn SecretStore>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) endpoint: TokenEndpoint,
    pub(super) names: TokenParameters,
    pub(super) client: ClientCredentials,
    pub(super) config: ManagerConfig,
    pub(super) flight: Arc<tokio::sync::Mutex<()>>,
    pub(super) inner: Mutex<Inner>,
}

/// The token manager; share it behind an `Arc`.
pub struct TokenManager {
    core: Arc<Core>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("endpoint", &self.core.endpoint.url())
            .field("names", &self.core.names)
            .field("client", &self.core.client)
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
        let core = Core {
            store,
            clock,
            endpoint,
            names,
            client,
            config,
            flight: Arc::default(),
            inner: Mutex::new(Inner::default()),
        };
        TokenManager {
            core: Arc::new(core),
        }
    }

    /// A valid token: from memory, or by the detached single-flight slow path.
    pub async fn obtain(
        &self,
        rejected: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<String, AuthError> {
        self.core.obtain(rejected, deadline).await
    }

    /// What the health check shows; reads the ledger and refresh token fresh.
    pub async fn status(&self) -> TokenStatus {
        self.core.status().await
    }
}

impl Core {
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
        self.current_with(rejected, |current, left| left > current.margin_millis)
    }

    /// The in-memory token if it has not expired and is not `rejected`: used when a
    /// refresh cannot be made now, rather than failing the request.
    fn unexpired(&self, rejected: Option<&str>) -> Option<String> {
        self.current_with(rejected, |_, left| left > 0)
    }

    fn current_with(
        &self,
        rejected: Option<&str>,
        keep: impl Fn(&Current, i64) -> bool,
    ) -> Option<String> {
        let now = self.now_millis();
        let inner = self.inner();
        let current = inner.current.as_ref()?;
        let left = current.token.remaining_millis(now);
        (keep(current, left) && Some(current.token.token.as_str()) != rejected)
            .then(|| current.token.token.clone())
    }

    /// Whether `deadline` leaves time for a whole refresh, write-back included.
    fn time_for_refresh(&self, deadline: Option<Instant>) -> bool {
        deadline.is_none_or(|d| {
            d.saturating_duration_since(Instant::now()) >= self.config.refresh_budget
        })
    }

    async fn obtain(
        self: &Arc<Self>,
        rejected: Option<&str>,
        deadline: Option<Instant>,
    ) -> Result<String, AuthError> {
        self.retry_pending_write().await;
        if let Some(token) = self.usable(rejected) {
            return Ok(token);
        }
        let generation = self.inner().generation;
        let flight = Arc::clone(&self.flight).lock_owned().await;
        if let Some(token) = self.usable(rejected) {
            return Ok(token);
        }
        let shared_failure = {
            let inner = self.inner();
            (inner.generation != generation)
                .then(|| inner.last_error.clone())
                .flatten()
        };
        let result = match shared_failure {
            Some(error) => Err(error),
            None if !self.time_for_refresh(deadline) => Err(AuthError::Transient(
                "too little time left before the request's deadline to refresh safely".into(),
            )),
            None => {
                let core = Arc::clone(self);
                let rejected = rejected.map(str::to_owned);
                // Detached: the task owns the single-flight guard and runs to the stored
                // rotated token whatever happens to the request that started it.
                let task = tokio::spawn(async move {
                    let _flight = flight;
                    let result = core.refresh_guarded(rejected.as_deref()).await;
                    core.record(&result);
                    result
                });
                task.await.unwrap_or_else(|e| {
                    Err(AuthError::Transient(format!("refresh task ended: {e}")))
                })
            }
        };
        match result {
            // While the current token still has time left, keep using it.
            Err(AuthError::Transient(_) | AuthError::LockTimeout(_)) => {
                match self.unexpired(rejected) {
                    Some(token) => Ok(token),
                    None => result,
                }
            }
            other => other,
        }
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

    /// Retries persisting a rotated refresh token held only in memory — under the
    /// cross-instance lock, and only while the store still holds the token it replaced
    /// (another instance may be rotating right now: writing outside the lock could put
    /// this token over the parent it is spending). Skipped while a refresh runs here (it
    /// persists the newest token itself) or while another instance holds the lock.
    async fn retry_pending_write(&self) {
        if self.inner().pending.is_none() {
            return;
        }
        let Ok(_flight) = self.flight.try_lock() else {
            return;
        };
        let Some(pending) = self.inner().pending.clone() else {
            return;
        };
        let lock = self.refresh_lock();
        let guard = match lock.acquire().await {
            Ok(guard) => guard,
            Err(error) => {
                tracing::warn!(parameter = %self.names.refresh_token, %error, "rotated refresh token still pending: the refresh lock is not available");
                return;
            }
        };
        let written = self.write_rotated(&pending).await;
        guard.release().await;
        match written {
            Ok(()) => {
                tracing::info!(parameter = %self.names.refresh_token, "rotated refresh token settled on retry");
                self.inner().pending = None;
            }
            Err(error) => tracing::error!(
                target: "pseudoproxy::auth",
                event = "refresh_token_unsaved",
                parameter = %self.names.refresh_token, %error,
                "rotated refresh token still not persisted; kept in memory, retrying on the next request"
            ),
        }
    }

    async fn status(&self) -> TokenStatus {
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
            unsaved_refresh_token: inner.pending.is_some(),
            revoked,
        }
    }

    /// Age and remaining validity (millis) of `token` when it is the current one.
    fn age_and_left(&self, token: &str) -> Option<(i64, i64)> {
        let now = self.now_millis();
        let inner = self.inner();
        let current = inner.current.as_ref().filter(|c| c.token.token == token)?;
        Some((now - current.issued_at, current.token.remaining_millis(now)))
    }

    async fn on_rejected(
        self: &Arc<Self>,
        rejected: &str,
        status: u16,
        deadline: Option<Instant>,
    ) -> Refusal {
        let hint = (status == 401).then_some(SCOPE_OR_SITE_HINT);
        // Another request (or instance) already moved on: retry with the newer token.
        if let Some(newer) = self.usable(Some(rejected)) {
            return Refusal::Retry(newer);
        }
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let known = self.age_and_left(rejected);
        let curable = match (status, known) {
            (401, Some((age, _))) => age >= millis(self.config.unauthorized_floor),
            (401, None) => true,
            (403 | 404, Some((_, left))) => left <= millis(self.config.expiry_window),
            _ => false,
        };
        if !curable {
            return Refusal::NotCurable { hint };
        }
        let now = self.now_millis();
        let cooling = {
            let mut inner = self.inner();
            let cooling = inner
                .refusal_refresh_at
                .is_some_and(|at| now - at < millis(self.config.refusal_cooldown));
            if !cooling {
                inner.refusal_refresh_at = Some(now);
            }
            cooling
        };
        // In the cool-down, only join a refresh already under way; never start one.
        if cooling && self.flight.try_lock().is_ok() {
            return Refusal::NotCurable { hint };
        }
        match self.obtain(Some(rejected), deadline).await {
            Ok(fresh) if fresh != rejected => Refusal::Retry(fresh),
            Ok(_) => Refusal::NotCurable { hint },
            Err(error) => Refusal::Failed(error.into()),
        }
    }
}

#[async_trait::async_trait]
impl AccessTokens for TokenManager {
    async fn bearer_within(&self, deadline: Option<Instant>) -> Result<String, TokenError> {
        self.core
            .obtain(None, deadline)
            .await
            .map_err(TokenError::from)
    }

    async fn on_rejected(&self, rejected: &str, status: u16, deadline: Option<Instant>) -> Refusal {
        self.core.on_rejected(rejected, status, deadline).await
    }

    async fn settle(&self) {
        // The detached refresh task owns the single-flight guard until its write-back is
        // done; taking the guard therefore waits for it.
        drop(self.core.flight.lock().await);
    }

    async fn status(&self) -> Option<TokenStatus> {
        Some(self.core.status().await)
    }

    fn reload_hints(&self) -> super::ReloadHints {
        // A refresh in flight holds the single-flight guard until its write-back is done.
        let in_flight = self.core.flight.try_lock().is_err();
        let inner = self.core.inner();
        super::ReloadHints {
            holds_unsaved_token: in_flight || inner.pending.is_some(),
            refused: inner.rejected_refresh.is_some(),
        }
    }
}
