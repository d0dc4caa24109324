//! The state a request is served with, and when it is rebuilt (docs/configuration.md,
//! "When changes take effect").
//!
//! A deployment changes under a running instance: the operator runs the consent after the
//! first deploy, rotates the client secret, edits `RULES`, or the store was unreachable
//! when the instance started. [`LiveState`] holds the current [`AppState`] snapshot and,
//! per request, decides whether to rebuild it with the one constructor
//! ([`super::build`], through a [`Rebuild`]): a snapshot is never patched, a new one is
//! built, judged and swapped in whole, and a request keeps the snapshot it started with.
//!
//! When (see [`ReloadPolicy`]):
//! - a snapshot that cannot serve (rules invalid, settings missing, the store unreadable)
//!   is rebuilt on the next request once it is [`ReloadPolicy::unusable_retry`] old, and
//!   that request waits for it;
//! - a snapshot whose refresh token was refused (a rotated client secret, a new consent)
//!   likewise after [`ReloadPolicy::refused_retry`];
//! - any snapshot is re-read in the background after [`ReloadPolicy::ttl`], and replaced
//!   only when the configuration differs.
//!
//! Invariants: a snapshot holding the only copy of a rotated refresh token (its write
//! keeps failing) is never replaced, so the token family is never lost to a reload; a
//! serving snapshot is not replaced by one that lacks settings (a store outage must not
//! take a working instance down), but it is replaced by one whose rules are invalid (an
//! operator's change of rules is never ignored: the proxy refuses instead); one rebuild at
//! a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::AppState;

/// Builds a fresh snapshot from the deployment's current configuration.
pub type Rebuild =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<AppState>> + Send>> + Send + Sync>;

/// How soon each kind of snapshot is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadPolicy {
    /// A snapshot that cannot serve data.
    pub unusable_retry: Duration,
    /// A snapshot whose stored refresh token the token endpoint refused.
    pub refused_retry: Duration,
    /// Any snapshot: the configuration is read again in the background.
    pub ttl: Duration,
}

impl Default for ReloadPolicy {
    /// Two seconds for an instance that cannot serve (one batch of store reads per
    /// retry), a minute after a refusal (at most one token call a minute per instance
    /// with a refused token), five minutes otherwise (the configuration cache's TTL).
    fn default() -> ReloadPolicy {
        ReloadPolicy {
            unusable_retry: Duration::from_secs(2),
            refused_retry: Duration::from_secs(60),
            ttl: Duration::from_secs(300),
        }
    }
}

/// What a snapshot can do, as far as reloading is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Rules invalid: every data request is refused (500 `RULES_INVALID`).
    RulesInvalid,
    /// Settings missing or unreadable: every data request is refused (500
    /// `CONNECTION_SETUP`).
    SettingsMissing,
    /// The token endpoint refused the stored refresh token.
    TokenRefused,
    /// It serves.
    Serving,
}

/// What to do with the current snapshot before a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Serve with it.
    Keep,
    /// Rebuild first; the request waits and is served by whichever snapshot wins.
    RebuildNow,
    /// Serve with it and rebuild in the background.
    RebuildLater,
}

/// When a snapshot in `condition`, built `age` ago, is rebuilt. A snapshot that holds an
/// unsaved rotated refresh token is never rebuilt.
pub fn due(condition: Condition, age: Duration, unsaved_token: bool, policy: &ReloadPolicy) -> Due {
    if unsaved_token {
        return Due::Keep;
    }
    let urgent_after = match condition {
        Condition::RulesInvalid | Condition::SettingsMissing => Some(policy.unusable_retry),
        Condition::TokenRefused => Some(policy.refused_retry),
        Condition::Serving => None,
    };
    match urgent_after {
        Some(after) if age >= after => Due::RebuildNow,
        _ if age >= policy.ttl => Due::RebuildLater,
        _ => Due::Keep,
    }
}

/// Whether a freshly built snapshot replaces the current one.
pub fn replaces(current: Condition, fresh: Condition, same_configuration: bool) -> bool {
    match (current, fresh) {
        // A store outage during the rebuild must not take a working instance down.
        (Condition::Serving | Condition::TokenRefused, Condition::SettingsMissing) => false,
        // Nothing changed: keep the running snapshot (and its access token).
        (Condition::Serving, _) if same_configuration => false,
        _ => true,
    }
}

/// The condition of `state` (its token source asked for the refusal).
pub async fn condition_of(state: &AppState) -> (Condition, bool) {
    let status = state.tokens.status().await;
    let unsaved = status.as_ref().is_some_and(|s| s.unsaved_refresh_token);
    let condition = if state.rules.is_err() {
        Condition::RulesInvalid
    } else if !state.settings.missing.is_empty() {
        Condition::SettingsMissing
    } else if status.is_some_and(|s| s.revoked) {
        Condition::TokenRefused
    } else {
        Condition::Serving
    };
    (condition, unsaved)
}

#[derive(Clone)]
struct Snapshot {
    state: Arc<AppState>,
    built: Instant,
    /// What its answers showed that its settings do not: a token parameter the store
    /// lacks (500 `CONNECTION_SETUP` at request time, a failed health check), a refresh
    /// token the endpoint refused (`SOURCE_AUTH_REVOKED`).
    reported: Arc<std::sync::Mutex<Option<Condition>>>,
}

impl Snapshot {
    fn new(state: Arc<AppState>) -> Snapshot {
        Snapshot {
            state,
            built: Instant::now(),
            reported: Arc::default(),
        }
    }

    fn checked_now(&self) -> Snapshot {
        Snapshot {
            built: Instant::now(),
            ..self.clone()
        }
    }

    fn reported(&self) -> Option<Condition> {
        match self.reported.lock() {
            Ok(reported) => *reported,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Its condition: the settings' verdict, or what an answer reported when the settings
    /// look fine; and whether it holds an unsaved rotated refresh token.
    async fn condition(&self) -> (Condition, bool) {
        let (condition, unsaved) = condition_of(&self.state).await;
        let worse = match (condition, self.reported()) {
            (Condition::Serving, Some(reported)) => reported,
            _ => condition,
        };
        (worse, unsaved)
    }
}

/// What an answer with `error_code` (its `X-Psoxy-Error`) and `status` says about the
/// snapshot that gave it: nothing, or a condition worth an early rebuild.
pub fn condition_shown_by(
    error_code: Option<&str>,
    status: u16,
    health_check: bool,
) -> Option<Condition> {
    match error_code {
        Some("CONNECTION_SETUP") => Some(Condition::SettingsMissing),
        Some("SOURCE_AUTH_REVOKED") => Some(Condition::TokenRefused),
        None if health_check && status == 412 => Some(Condition::SettingsMissing),
        _ => None,
    }
}

/// The current snapshot and the means to rebuild it.
pub struct LiveState {
    current: RwLock<Snapshot>,
    rebuild: Option<Rebuild>,
    policy: ReloadPolicy,
    /// Held while a rebuild runs: one at a time (owned guards, so that a background
    /// rebuild can hold it).
    rebuilding: Arc<tokio::sync::Mutex<()>>,
}

impl LiveState {
    /// A state that is rebuilt as [`ReloadPolicy`] says.
    pub fn reloading(state: AppState, rebuild: Rebuild, policy: ReloadPolicy) -> Arc<LiveState> {
        Arc::new(LiveState {
            current: RwLock::new(Snapshot::new(Arc::new(state))),
            rebuild: Some(rebuild),
            policy,
            rebuilding: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// A state that is never rebuilt (tests, and callers that manage their own).
    pub fn fixed(state: Arc<AppState>) -> Arc<LiveState> {
        Arc::new(LiveState {
            current: RwLock::new(Snapshot::new(state)),
            rebuild: None,
            policy: ReloadPolicy::default(),
            rebuilding: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The snapshot now, without reloading (shutdown, banners).
    pub fn now(&self) -> Arc<AppState> {
        self.snapshot().state
    }

    /// The snapshot a request is served with, rebuilt first when it is due.
    pub async fn for_request(self: &Arc<Self>) -> Arc<AppState> {
        let snapshot = self.snapshot();
        let Some(rebuild) = &self.rebuild else {
            return snapshot.state;
        };
        let (condition, unsaved) = snapshot.condition().await;
        match due(condition, snapshot.built.elapsed(), unsaved, &self.policy) {
            Due::Keep => snapshot.state,
            Due::RebuildNow => {
                let _one_at_a_time = self.rebuilding.lock().await;
                // Another request may have rebuilt it while this one waited.
                let latest = self.snapshot();
                if !Arc::ptr_eq(&latest.state, &snapshot.state) {
                    return latest.state;
                }
                self.rebuild_and_judge(rebuild, latest).await
            }
            Due::RebuildLater => {
                if let Ok(guard) = Arc::clone(&self.rebuilding).try_lock_owned() {
                    let live = Arc::clone(self);
                    let rebuild = Arc::clone(rebuild);
                    tokio::spawn(async move {
                        let _one_at_a_time = guard;
                        let latest = live.snapshot();
                        live.rebuild_and_judge(&rebuild, latest).await;
                    });
                }
                snapshot.state
            }
        }
    }

    /// Records what an answer served with `state` showed (see [`condition_shown_by`]), so
    /// that the snapshot is rebuilt as its policy says; ignored once `state` is replaced.
    pub fn report(&self, state: &Arc<AppState>, condition: Condition) {
        let snapshot = self.snapshot();
        if Arc::ptr_eq(&snapshot.state, state) {
            match snapshot.reported.lock() {
                Ok(mut reported) => *reported = Some(condition),
                Err(poisoned) => *poisoned.into_inner() = Some(condition),
            }
        }
    }

    fn snapshot(&self) -> Snapshot {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn install(&self, snapshot: Snapshot) {
        match self.current.write() {
            Ok(mut current) => *current = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }

    /// Builds a fresh snapshot and swaps it in when [`replaces`] says so; either way the
    /// current one counts as checked now. Returns the snapshot to serve with.
    async fn rebuild_and_judge(&self, rebuild: &Rebuild, current: Snapshot) -> Arc<AppState> {
        let Some(fresh) = rebuild().await else {
            tracing::warn!(
                event = "reload",
                outcome = "build_failed",
                "reloading the configuration failed; the running state stays"
            );
            self.install(current.checked_now());
            return current.state;
        };
        let (current_condition, unsaved) = current.condition().await;
        let (fresh_condition, _) = condition_of(&fresh).await;
        let same = same_configuration(&current.state, &fresh);
        if unsaved || !replaces(current_condition, fresh_condition, same) {
            if fresh_condition != Condition::Serving && current_condition == Condition::Serving {
                tracing::warn!(
                    event = "reload",
                    outcome = "kept",
                    condition = ?fresh_condition,
                    "the configuration read again cannot serve; the running state stays"
                );
            }
            self.install(current.checked_now());
            return current.state;
        }
        tracing::info!(
            event = "reload",
            outcome = "replaced",
            from = ?current_condition,
            to = ?fresh_condition,
            "configuration reloaded"
        );
        let fresh = Arc::new(fresh);
        self.install(Snapshot::new(Arc::clone(&fresh)));
        fresh
    }
}

/// Same settings and the same rules text: nothing a reload would change. The store's
/// modification time is left out (the rotating refresh token changes it every hour).
fn same_configuration(a: &AppState, b: &AppState) -> bool {
    let (mut left, mut right) = (a.settings.clone(), b.settings.clone());
    left.config_last_modified = None;
    right.config_last_modified = None;
    let rules_sha = |state: &AppState| state.rules.as_ref().map(|r| r.sha1_hex.clone()).ok();
    left == right && rules_sha(a) == rules_sha(b)
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
