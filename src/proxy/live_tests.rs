//! When a snapshot is rebuilt and whether the rebuilt one replaces it: the pure policy as
//! tables, then a live state over a store that changes under it (consent written after
//! start, a store that was down at start, a store that goes down later).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::*;
use crate::auth::ManagerConfig;
use crate::config::{Env, ManualClock, Overrides};
use crate::proxy::startup::Rebuilder;
use crate::proxy::{LocalAccess, ReqwestUpstream, ShippedRules};
use crate::secrets::{MemoryStore, Parameter, SecretError, SecretStore};

const POLICY: ReloadPolicy = ReloadPolicy {
    unusable_retry: Duration::from_secs(2),
    refused_retry: Duration::from_secs(60),
    ttl: Duration::from_secs(300),
    max_backoff: Duration::from_secs(60),
};

#[test]
fn each_condition_is_rebuilt_when_its_policy_says() {
    use Condition::*;
    use Due::*;
    let s = Duration::from_secs;
    // (condition, age, backoff, expected)
    let table = [
        (SettingsMissing, s(1), s(0), Keep),
        (SettingsMissing, s(2), s(0), RebuildNow),
        (RulesInvalid, s(3), s(0), RebuildNow),
        (Suspect, s(2), s(0), RebuildNow),
        // Rebuilds that found nothing new back off.
        (SettingsMissing, s(3), s(8), Keep),
        (Suspect, s(8), s(8), RebuildNow),
        (TokenRefused, s(59), s(0), Keep),
        (TokenRefused, s(60), s(0), RebuildNow),
        (Serving, s(299), s(0), Keep),
        (Serving, s(300), s(0), RebuildLater),
        (TokenRefused, s(300), s(0), RebuildNow),
    ];
    for (condition, age, backoff, expected) in table {
        assert_eq!(
            due(condition, age, backoff, &POLICY),
            expected,
            "{condition:?} at {age:?}, backoff {backoff:?}"
        );
    }
}

#[test]
fn a_rebuilt_snapshot_replaces_the_current_one_only_when_it_should() {
    use Condition::*;
    // (current by its settings, fresh, same configuration, replaces)
    let table = [
        (SettingsMissing, Serving, false, true),
        (SettingsMissing, SettingsMissing, false, true),
        (SettingsMissing, SettingsMissing, true, true),
        (RulesInvalid, Serving, false, true),
        // A store outage while reading again must not take a working instance down.
        (Serving, SettingsMissing, false, false),
        (TokenRefused, SettingsMissing, false, false),
        // An operator's change of rules is never ignored, even to invalid rules.
        (Serving, RulesInvalid, false, true),
        // Nothing changed: the running snapshot (and its token source) stays.
        (Serving, Serving, true, false),
        (TokenRefused, TokenRefused, true, false),
        (Serving, Serving, false, true),
        // A new client secret after a refusal.
        (TokenRefused, Serving, false, true),
    ];
    for (current, fresh, same, expected) in table {
        assert_eq!(
            replaces(current, fresh, same),
            expected,
            "{current:?} -> {fresh:?} (same {same})"
        );
    }
}

/// A store that can be switched off: every operation fails as an unreachable one does.
#[derive(Debug)]
struct Switchable {
    inner: MemoryStore,
    down: AtomicBool,
    calls: std::sync::atomic::AtomicUsize,
}

impl Switchable {
    fn check(&self, name: &str) -> Result<(), SecretError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.down.load(Ordering::SeqCst) {
            true => Err(SecretError::Transient {
                name: name.to_owned(),
                reason: "connection refused".into(),
            }),
            false => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl SecretStore for Switchable {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.check(name)?;
        self.inner.get(name).await
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        self.check(name)?;
        self.inner.put(name, value).await
    }
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.check(name)?;
        self.inner.create_if_absent(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.check(name)?;
        self.inner.delete(name).await
    }
}

const INSTANCE: &str = "PSOXY_CONFLUENCE_CLOUD_";

async fn live_over(store: Arc<Switchable>, policy: ReloadPolicy) -> Arc<LiveState> {
    let rebuilder = Rebuilder {
        env: Env::from_pairs(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
        ]),
        store,
        clock: Arc::new(ManualClock::default()),
        upstream: Arc::new(ReqwestUpstream::new().unwrap()),
        overrides: Overrides::default(),
        tuning: ManagerConfig::default(),
        local_access: LocalAccess::NotLocal,
    };
    rebuilder
        .live(ShippedRules::Embedded, policy)
        .await
        .unwrap()
}

/// What the consent (and the deployment's salt and key) leave in the store.
async fn consent(store: &Switchable) {
    let names = [
        "PSOXY_SALT".to_owned(),
        "PSOXY_ENCRYPTION_KEY".to_owned(),
        format!("{INSTANCE}CLIENT_ID"),
        format!("{INSTANCE}CLIENT_SECRET"),
        format!("{INSTANCE}REFRESH_TOKEN"),
    ];
    for name in names {
        store
            .inner
            .put(&name, &format!("{name}-value"))
            .await
            .unwrap();
    }
}

const SOON: ReloadPolicy = ReloadPolicy {
    unusable_retry: Duration::ZERO,
    refused_retry: Duration::from_secs(60),
    ttl: Duration::from_secs(300),
    max_backoff: Duration::ZERO,
};

#[tokio::test]
async fn an_instance_started_before_consent_serves_once_the_consent_is_stored() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
        calls: Default::default(),
    });
    let live = live_over(store.clone(), SOON).await;
    let before = live.for_request().await;
    assert!(
        !before.settings.missing.is_empty(),
        "nothing is configured yet"
    );
    consent(&store).await;
    let after = live.for_request().await;
    assert!(
        after.settings.missing.is_empty(),
        "{:?}",
        after.settings.missing
    );
    assert!(
        !Arc::ptr_eq(&before, &after),
        "a new snapshot, not a patched one"
    );
    assert_eq!(condition_of(&after), Condition::Serving);
}

#[tokio::test]
async fn an_instance_started_while_the_store_was_down_recovers() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(true),
        calls: Default::default(),
    });
    consent(&store).await;
    let live = live_over(store.clone(), SOON).await;
    let down = live.for_request().await;
    assert_eq!(condition_of(&down), Condition::SettingsMissing);
    // Still down: each retry answers from a snapshot that says so, and no request hangs.
    let still = live.for_request().await;
    assert_eq!(condition_of(&still), Condition::SettingsMissing);
    store.down.store(false, Ordering::SeqCst);
    let up = live.for_request().await;
    assert_eq!(condition_of(&up), Condition::Serving);
}

#[tokio::test]
async fn a_working_instance_is_not_taken_down_by_a_store_outage_at_reload() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
        calls: Default::default(),
    });
    consent(&store).await;
    let every_request = ReloadPolicy {
        ttl: Duration::ZERO,
        ..SOON
    };
    let live = live_over(store.clone(), every_request).await;
    let serving = live.for_request().await;
    assert_eq!(condition_of(&serving), Condition::Serving);
    store.down.store(true, Ordering::SeqCst);
    // The TTL reload runs in the background; give it time to finish and judge.
    for _ in 0..20 {
        let _ = live.for_request().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        Arc::ptr_eq(&live.now(), &serving),
        "the serving snapshot stays"
    );
    // The same configuration read again does not replace it either (its tokens stay).
    store.down.store(false, Ordering::SeqCst);
    for _ in 0..20 {
        let _ = live.for_request().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(Arc::ptr_eq(&live.now(), &serving));
    // A change of rules does replace it.
    store
        .inner
        .put(
            &format!("{INSTANCE}RULES"),
            "endpoints:\n  - pathTemplate: /x\n",
        )
        .await
        .unwrap();
    for _ in 0..20 {
        let _ = live.for_request().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let changed = live.now();
    assert!(!Arc::ptr_eq(&changed, &serving));
    assert!(
        Arc::ptr_eq(&changed.tokens, &serving.tokens),
        "the OAuth client did not change: the token source (its refresh state) is carried over"
    );
    assert!(matches!(
        changed.settings.rules,
        crate::config::RulesChoice::Custom { .. }
    ));
}

#[test]
fn answers_that_show_a_configuration_problem_are_reported() {
    // (X-Psoxy-Error, status, health check, reported)
    let table = [
        (
            Some("CONNECTION_SETUP"),
            500,
            false,
            Some(Condition::Suspect),
        ),
        // A refusal is the token source's own state, read from its memory.
        (Some("SOURCE_AUTH_REVOKED"), 502, false, None),
        (None, 412, true, Some(Condition::Suspect)),
        (None, 412, false, None),
        (None, 200, true, None),
        (Some("BLOCKED_BY_RULES"), 403, false, None),
        (Some("CONNECTION_TO_SOURCE"), 502, false, None),
    ];
    for (code, status, health, expected) in table {
        assert_eq!(
            condition_shown_by(code, status, health),
            expected,
            "{code:?} {status} health {health}"
        );
    }
}

/// Before consent the settings look complete (a static `ACCESS_TOKEN` is read per
/// request): the answer's `CONNECTION_SETUP` is what shows the snapshot cannot serve.
#[tokio::test]
async fn a_reported_setup_failure_brings_the_rebuild_forward() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
        calls: Default::default(),
    });
    for name in ["PSOXY_SALT", "PSOXY_ENCRYPTION_KEY"] {
        store.inner.put(name, "v").await.unwrap();
    }
    let live = live_over(store.clone(), SOON).await;
    let static_token = live.for_request().await;
    assert_eq!(condition_of(&static_token), Condition::Serving);
    consent(&store).await;
    // Unreported, a serving snapshot waits for its TTL.
    assert!(Arc::ptr_eq(&live.for_request().await, &static_token));
    live.report(&static_token, Condition::Suspect);
    let rebuilt = live.for_request().await;
    assert!(!Arc::ptr_eq(&rebuilt, &static_token));
    assert!(matches!(
        rebuilt.settings.tokens,
        crate::config::TokenSource::OAuth { .. }
    ));
}

/// Deciding whether to rebuild runs before every request: it must cost no store call.
#[tokio::test]
async fn a_request_that_needs_no_rebuild_makes_no_store_call() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
        calls: Default::default(),
    });
    consent(&store).await;
    let live = live_over(store.clone(), POLICY).await;
    let calls = store.calls.load(Ordering::SeqCst);
    for _ in 0..100 {
        let _ = live.for_request().await;
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), calls);
}
