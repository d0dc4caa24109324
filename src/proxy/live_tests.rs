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
};

#[test]
fn each_condition_is_rebuilt_when_its_policy_says() {
    use Condition::*;
    use Due::*;
    let s = Duration::from_secs;
    // (condition, age, unsaved rotated token, expected)
    let table = [
        (SettingsMissing, s(1), false, Keep),
        (SettingsMissing, s(2), false, RebuildNow),
        (RulesInvalid, s(3), false, RebuildNow),
        (TokenRefused, s(59), false, Keep),
        (TokenRefused, s(60), false, RebuildNow),
        (Serving, s(299), false, Keep),
        (Serving, s(300), false, RebuildLater),
        (TokenRefused, s(300), false, RebuildNow),
        // The only copy of a rotated refresh token is never dropped by a reload.
        (SettingsMissing, s(3600), true, Keep),
        (Serving, s(3600), true, Keep),
    ];
    for (condition, age, unsaved, expected) in table {
        assert_eq!(
            due(condition, age, unsaved, &POLICY),
            expected,
            "{condition:?} at {age:?}, unsaved {unsaved}"
        );
    }
}

#[test]
fn a_rebuilt_snapshot_replaces_the_current_one_only_when_it_should() {
    use Condition::*;
    // (current, fresh, same configuration, replaces)
    let table = [
        (SettingsMissing, Serving, false, true),
        (SettingsMissing, SettingsMissing, false, true),
        (RulesInvalid, Serving, false, true),
        (TokenRefused, Serving, false, true),
        // A store outage while reading again must not take a working instance down.
        (Serving, SettingsMissing, false, false),
        (TokenRefused, SettingsMissing, false, false),
        // An operator's change of rules is never ignored, even to invalid rules.
        (Serving, RulesInvalid, false, true),
        // Nothing changed: the running snapshot keeps its access token.
        (Serving, Serving, true, false),
        (Serving, Serving, false, true),
        (TokenRefused, TokenRefused, true, true),
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
}

impl Switchable {
    fn check(&self, name: &str) -> Result<(), SecretError> {
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
};

#[tokio::test]
async fn an_instance_started_before_consent_serves_once_the_consent_is_stored() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
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
    assert_eq!(condition_of(&after).await.0, Condition::Serving);
}

#[tokio::test]
async fn an_instance_started_while_the_store_was_down_recovers() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(true),
    });
    consent(&store).await;
    let live = live_over(store.clone(), SOON).await;
    let down = live.for_request().await;
    assert_eq!(condition_of(&down).await.0, Condition::SettingsMissing);
    // Still down: each retry answers from a snapshot that says so, and no request hangs.
    let still = live.for_request().await;
    assert_eq!(condition_of(&still).await.0, Condition::SettingsMissing);
    store.down.store(false, Ordering::SeqCst);
    let up = live.for_request().await;
    assert_eq!(condition_of(&up).await.0, Condition::Serving);
}

#[tokio::test]
async fn a_working_instance_is_not_taken_down_by_a_store_outage_at_reload() {
    let store = Arc::new(Switchable {
        inner: MemoryStore::default(),
        down: AtomicBool::new(false),
    });
    consent(&store).await;
    let every_request = ReloadPolicy {
        ttl: Duration::ZERO,
        ..SOON
    };
    let live = live_over(store.clone(), every_request).await;
    let serving = live.for_request().await;
    assert_eq!(condition_of(&serving).await.0, Condition::Serving);
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
            Some(Condition::SettingsMissing),
        ),
        (
            Some("SOURCE_AUTH_REVOKED"),
            502,
            false,
            Some(Condition::TokenRefused),
        ),
        (None, 412, true, Some(Condition::SettingsMissing)),
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
    });
    for name in ["PSOXY_SALT", "PSOXY_ENCRYPTION_KEY"] {
        store.inner.put(name, "v").await.unwrap();
    }
    let live = live_over(store.clone(), SOON).await;
    let static_token = live.for_request().await;
    assert_eq!(condition_of(&static_token).await.0, Condition::Serving);
    consent(&store).await;
    // Unreported, a serving snapshot waits for its TTL.
    assert!(Arc::ptr_eq(&live.for_request().await, &static_token));
    live.report(&static_token, Condition::SettingsMissing);
    let rebuilt = live.for_request().await;
    assert!(!Arc::ptr_eq(&rebuilt, &static_token));
    assert!(matches!(
        rebuilt.settings.tokens,
        crate::config::TokenSource::OAuth { .. }
    ));
}
