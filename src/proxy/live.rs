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
//! When (see [`ReloadPolicy`] and [`due`]):
//! - a snapshot whose settings cannot serve (rules invalid, settings missing, the store
//!   unreadable), or whose answers showed a problem its settings do not (500
//!   `CONNECTION_SETUP` at request time, a failed health check), is rebuilt by the next
//!   request once [`ReloadPolicy::unusable_retry`] has passed, doubling up to
//!   [`ReloadPolicy::max_backoff`] while rebuilding changes nothing;
//! - a snapshot whose refresh token was refused, likewise after
//!   [`ReloadPolicy::refused_retry`];
//! - any snapshot is re-read in the background after [`ReloadPolicy::ttl`].
//!
//! Deciding costs no store call (it runs before every request, before the allow-lists):
//! the token source answers from memory ([`crate::auth::AccessTokens::reload_hints`]).
//!
//! Invariants ([`replaces`]): a fresh snapshot replaces the current one only when the
//! configuration differs, or the current one cannot serve by its settings; a snapshot
//! whose settings are complete is never replaced by one a store outage left without
//! settings; invalid new rules do replace valid ones (a change of rules is never ignored:
//! the proxy refuses instead). The token source is carried over to the fresh snapshot
//! while its configuration is unchanged, so the refresh state (the only copy of a rotated
//! refresh token, a refusal) survives every reload that does not change the OAuth client;
//! a source that holds an unsaved token or a refresh in flight is never dropped. One
//! rebuild at a time.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::AppState;

/// Builds a fresh snapshot from the deployment's current configuration.
pub type Rebuild =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<AppState>> + Send>> + Send + Sync>;

/// How soon each kind of snapshot is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadPolicy {
    /// A snapshot that cannot serve data, or whose answers showed a problem.
    pub unusable_retry: Duration,
    /// A snapshot whose refresh token the token endpoint refused.
    pub refused_retry: Duration,
    /// Any snapshot: the configuration is read again in the background.
    pub ttl: Duration,
    /// The longest wait between urgent rebuilds that keep finding the same configuration.
    pub max_backoff: Duration,
}

impl Default for ReloadPolicy {
    /// Two seconds for an instance that cannot serve (one wave of store reads per retry,
    /// backing off to a minute while nothing changes), a minute after a refusal, five
    /// minutes otherwise (the configuration cache's TTL).
    fn default() -> ReloadPolicy {
        ReloadPolicy {
            unusable_retry: Duration::from_secs(2),
            refused_retry: Duration::from_secs(60),
            ttl: Duration::from_secs(300),
            max_backoff: Duration::from_secs(60),
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
    /// Its settings look complete, but an answer showed otherwise (a token parameter the
    /// store lacks, a failed health check): worth reading the configuration again.
    Suspect,
    /// The token endpoint refused the refresh token.
    TokenRefused,
    /// It serves.
    Serving,
}

impl Condition {
    /// Whether its settings are complete (it serves, or only the token is refused).
    fn settings_complete(self) -> bool {
        matches!(
            self,
            Condition::Serving | Condition::TokenRefused | Condition::Suspect
        )
    }
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

/// When a snapshot in `condition`, checked `age` ago, is rebuilt; `backoff` is the wait
/// its urgent rebuilds have grown to (at least the policy's retry).
pub fn due(condition: Condition, age: Duration, backoff: Duration, policy: &ReloadPolicy) -> Due {
    let urgent_after = match condition {
        Condition::RulesInvalid | Condition::SettingsMissing | Condition::Suspect => {
            Some(backoff.max(policy.unusable_retry))
        }
        Condition::TokenRefused => Some(policy.refused_retry),
        Condition::Serving => None,
    };
    match urgent_after {
        Some(after) if age >= after => Due::RebuildNow,
        _ if age >= policy.ttl => Due::RebuildLater,
        _ => Due::Keep,
    }
}

/// Whether a freshly built snapshot replaces the current one. `current` is judged by its
/// settings alone (not by what its answers reported), `same_configuration` compares the
/// two configurations.
pub fn replaces(current: Condition, fresh: Condition, same_configuration: bool) -> bool {
    if current.settings_complete() {
        // A store outage while reading again must not take a working instance down, and
        // reading the same configuration again changes nothing (its tokens stay).
        return fresh != Condition::SettingsMissing && !same_configuration;
    }
    true
}

/// The condition `state`'s settings and token source show, from memory.
pub fn condition_of(state: &AppState) -> Condition {
    if state.rules.is_err() {
        Condition::RulesInvalid
    } else if !state.settings.missing.is_empty() {
        Condition::SettingsMissing
    } else if state.tokens.reload_hints().refused {
        Condition::TokenRefused
    } else {
        Condition::Serving
    }
}

/// What an answer with `error_code` (its `X-Psoxy-Error`) and `status` says about the
/// snapshot that gave it: nothing, or that its configuration is worth reading again.
pub fn condition_shown_by(
    error_code: Option<&str>,
    status: u16,
    health_check: bool,
) -> Option<Condition> {
    match error_code {
        Some("CONNECTION_SETUP") => Some(Condition::Suspect),
        None if health_check && status == 412 => Some(Condition::Suspect),
        _ => None,
    }
}

#[derive(Clone)]
struct Snapshot {
    state: Arc<AppState>,
    /// When it was built or last checked against the store.
    checked: Instant,
    /// The wait its urgent rebuilds have grown to.
    backoff: Duration,
    /// What its answers showed that its settings do not.
    reported: Arc<Mutex<Option<Condition>>>,
}

impl Snapshot {
    fn new(state: Arc<AppState>) -> Snapshot {
        Snapshot {
            state,
            checked: Instant::now(),
            backoff: Duration::ZERO,
            reported: Arc::default(),
        }
    }

    /// The same snapshot, checked now; the next urgent rebuild waits twice as long.
    fn checked_again(&self, policy: &ReloadPolicy) -> Snapshot {
        let doubled = (self.backoff.max(policy.unusable_retry / 2) * 2).min(policy.max_backoff);
        Snapshot {
            checked: Instant::now(),
            backoff: doubled,
            // A problem an answer showed must show again to bring the next rebuild forward.
            reported: Arc::default(),
            state: Arc::clone(&self.state),
        }
    }

    fn reported(&self) -> Option<Condition> {
        *self.reported.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Its condition: the settings' verdict, or what an answer reported when the settings
    /// look fine.
    fn condition(&self) -> Condition {
        match (condition_of(&self.state), self.reported()) {
            (Condition::Serving, Some(reported)) => reported,
            (condition, _) => condition,
        }
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
    /// Replaced snapshots whose token source was not carried over, kept until shutdown
    /// has let their refreshes finish ([`LiveState::settle`]).
    retired: Mutex<Vec<Arc<AppState>>>,
}

impl LiveState {
    /// A state that is rebuilt as [`ReloadPolicy`] says.
    pub fn reloading(state: AppState, rebuild: Rebuild, policy: ReloadPolicy) -> Arc<LiveState> {
        Arc::new(LiveState {
            current: RwLock::new(Snapshot::new(Arc::new(state))),
            rebuild: Some(rebuild),
            policy,
            rebuilding: Arc::new(tokio::sync::Mutex::new(())),
            retired: Mutex::default(),
        })
    }

    /// A state that is never rebuilt (tests, and callers that manage their own).
    pub fn fixed(state: Arc<AppState>) -> Arc<LiveState> {
        Arc::new(LiveState {
            current: RwLock::new(Snapshot::new(state)),
            rebuild: None,
            policy: ReloadPolicy::default(),
            rebuilding: Arc::new(tokio::sync::Mutex::new(())),
            retired: Mutex::default(),
        })
    }

    /// The snapshot now, without reloading (banners, tests).
    pub fn now(&self) -> Arc<AppState> {
        self.snapshot().state
    }

    /// Waits until no refresh is in flight in the current snapshot or any replaced one,
    /// so that every rotated refresh token is stored before the process exits.
    pub async fn settle(&self) {
        let retired: Vec<Arc<AppState>> = self
            .retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for state in retired.iter().chain(std::iter::once(&self.now())) {
            state.tokens.settle().await;
        }
    }

    /// The snapshot a request is served with, rebuilt first when it is due.
    pub async fn for_request(self: &Arc<Self>) -> Arc<AppState> {
        let snapshot = self.snapshot();
        let Some(rebuild) = &self.rebuild else {
            return snapshot.state;
        };
        let due_now = |snapshot: &Snapshot| {
            due(
                snapshot.condition(),
                snapshot.checked.elapsed(),
                snapshot.backoff,
                &self.policy,
            )
        };
        match due_now(&snapshot) {
            Due::Keep => snapshot.state,
            Due::RebuildNow => {
                let _one_at_a_time = self.rebuilding.lock().await;
                // Another request may have rebuilt or checked it while this one waited.
                let latest = self.snapshot();
                if due_now(&latest) != Due::RebuildNow {
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
            *snapshot.reported.lock().unwrap_or_else(|p| p.into_inner()) = Some(condition);
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn install(&self, snapshot: Snapshot) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = snapshot;
    }

    /// Builds a fresh snapshot and swaps it in when [`replaces`] says so; otherwise the
    /// current one counts as checked now (and its next urgent rebuild waits longer).
    /// Returns the snapshot to serve with.
    async fn rebuild_and_judge(&self, rebuild: &Rebuild, current: Snapshot) -> Arc<AppState> {
        let Some(fresh) = rebuild().await else {
            tracing::warn!(
                event = "reload",
                outcome = "build_failed",
                "reloading the configuration failed; the running state stays"
            );
            self.install(current.checked_again(&self.policy));
            return current.state;
        };
        let current_condition = condition_of(&current.state);
        let fresh_condition = condition_of(&fresh);
        let changed = changed_settings(&current.state, &fresh);
        let same_tokens = fresh.settings.tokens == current.state.settings.tokens
            && fresh.settings.auth == current.state.settings.auth;
        let holds_token = current.state.tokens.reload_hints().holds_unsaved_token;
        let keep = !replaces(current_condition, fresh_condition, changed.is_empty())
            || (holds_token && !same_tokens);
        if keep {
            if fresh_condition == Condition::SettingsMissing
                && current_condition.settings_complete()
            {
                tracing::warn!(
                    event = "reload",
                    outcome = "kept",
                    "the configuration read again is incomplete (is the store reachable?); the running state stays"
                );
            }
            self.install(current.checked_again(&self.policy));
            return current.state;
        }
        tracing::warn!(
            event = "reload",
            outcome = "replaced",
            from = ?current_condition,
            to = ?fresh_condition,
            changed = %changed.join(","),
            "configuration reloaded"
        );
        let fresh = match same_tokens {
            // The refresh state lives in the token source: carry it over.
            true => AppState {
                tokens: Arc::clone(&current.state.tokens),
                ..fresh
            },
            false => {
                self.retired
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Arc::clone(&current.state));
                fresh
            }
        };
        let fresh = Arc::new(fresh);
        self.install(Snapshot::new(Arc::clone(&fresh)));
        fresh
    }
}

/// The names of what differs between two snapshots' configurations (never values): the
/// store's modification time is left out (the rotating refresh token changes it hourly).
pub fn changed_settings(a: &AppState, b: &AppState) -> Vec<&'static str> {
    let (x, y) = (&a.settings, &b.settings);
    let mut changed = Vec::new();
    let mut differs = |name: &'static str, different: bool| {
        if different {
            changed.push(name);
        }
    };
    differs("salt", x.pseudonym.salt != y.pseudonym.salt);
    differs(
        "pseudonym keys and options",
        x.pseudonym != y.pseudonym && x.pseudonym.salt == y.pseudonym.salt,
    );
    differs("rules", x.rules != y.rules);
    differs(
        "oauth client or token source",
        x.tokens != y.tokens || x.auth != y.auth,
    );
    differs(
        "caller allow-lists",
        x.allowed_ip_blocks != y.allowed_ip_blocks
            || x.allowed_caller_arns != y.allowed_caller_arns,
    );
    differs("missing settings", x.missing != y.missing);
    let (mut rest_x, mut rest_y) = (x.clone(), y.clone());
    for rest in [&mut rest_x, &mut rest_y] {
        rest.config_last_modified = None;
        rest.pseudonym = Default::default();
        rest.rules = crate::config::RulesChoice::Shipped;
        rest.tokens = crate::config::TokenSource::Static {
            parameter: String::new(),
        };
        rest.auth = Default::default();
        rest.allowed_ip_blocks = None;
        rest.allowed_caller_arns = None;
        rest.missing = Vec::new();
    }
    differs("other settings", rest_x != rest_y);
    changed
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
