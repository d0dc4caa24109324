//! Helpers for the OAuth tests: app instances wired to the mock Atlassian through the
//! real bootstrap, seeded stores, and a fault-injecting store decorator.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pseudoproxy::auth::{ManagerConfig, SharedToken, TokenFamily, epoch_millis};
use pseudoproxy::config::{self, Clock, Env, ManualClock, Overrides};
use pseudoproxy::proxy::{self, AppState, Dependencies, ReqwestUpstream, ShippedRules};
use pseudoproxy::secrets::{Parameter, SecretError, SecretStore};

use super::oauth_mock::{CLIENT_ID, CLIENT_SECRET, CLOUD_ID, MockAtlassian};
use super::proxy_support::{Event, Reply, invoke};

pub(crate) const SPACES_QUERY: &str = "/wiki/api/v2/spaces?limit=3";

/// Short waits so failure paths finish fast; production defaults otherwise.
pub(crate) fn tuning() -> ManagerConfig {
    ManagerConfig {
        token_timeout: Duration::from_millis(300),
        lock_wait: Duration::from_secs(5),
        lock_poll: Duration::from_millis(10),
        write_attempts: 3,
        write_backoff: Duration::from_millis(2),
        ..ManagerConfig::default()
    }
}

/// One app instance (as one Lambda container) over `store`, instance prefix `prefix`.
pub(crate) async fn instance(
    mock: &MockAtlassian,
    store: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    prefix: &str,
    tuning: ManagerConfig,
) -> Arc<AppState> {
    super::proxy_support::install_log_capture();
    let env = Env::from_pairs(&[
        ("TARGET_HOST", &mock.api.uri()),
        ("REFRESH_ENDPOINT", &mock.token_url()),
        ("CONFLUENCE_CLOUD_ID", CLOUD_ID),
        ("PATH_TO_INSTANCE_CONFIG", prefix),
        ("PSOXY_SALT", "oauth-test-salt"),
        ("PSOXY_ENCRYPTION_KEY", "oauth-test-key"),
    ]);
    let settings = config::resolve(env, store.clone(), clock.clone(), Overrides::default()).await;
    let deps = Dependencies {
        store,
        clock,
        upstream: Arc::new(ReqwestUpstream::new().unwrap()),
        shipped_rules: ShippedRules::Embedded,
        tuning,
        local_access: proxy::LocalAccess::NotLocal,
    };
    Arc::new(proxy::build(deps, settings).await.unwrap())
}

/// Seeds what consent leaves behind, plus an expired shared access token.
pub(crate) async fn seed(store: &dyn SecretStore, prefix: &str, mock: &MockAtlassian) {
    let refresh = mock.state().new_family();
    let now = epoch_millis(mock.state().clock.now());
    let expired = SharedToken {
        token: "at-expired".into(),
        expiration_date: now - 1000,
    };
    let family = TokenFamily {
        issued_at: Some(now),
        last_refresh_at: Some(now),
    };
    for (short, value) in [
        ("CLIENT_ID", CLIENT_ID.to_owned()),
        ("CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("REFRESH_TOKEN", refresh),
        ("ACCESS_TOKEN", expired.to_json()),
        ("TOKEN_FAMILY", family.to_json()),
    ] {
        store
            .put(&format!("{prefix}{short}"), &value)
            .await
            .unwrap();
    }
}

pub(crate) async fn stored(store: &dyn SecretStore, name: &str) -> Option<String> {
    store.get(name).await.unwrap().map(|p| p.value)
}

pub(crate) async fn get_spaces(state: &Arc<AppState>) -> Reply {
    invoke(state.clone(), &Event::get(SPACES_QUERY)).await
}

pub(crate) async fn health(state: &Arc<AppState>, value: &str) -> Reply {
    invoke(
        state.clone(),
        &Event::get("/").header("x-psoxy-health-check", value),
    )
    .await
}

/// A store that fails chosen writes: the next `n` puts of names ending in a suffix, and
/// optionally a random fraction of all puts (as `Transient`, like SSM throttling).
#[derive(Debug)]
pub(crate) struct FaultyStore {
    pub inner: Arc<dyn SecretStore>,
    fail_next: Mutex<HashMap<String, usize>>,
    pub random_put_failure_rate: f64,
    pub failed_puts: Mutex<usize>,
}

impl FaultyStore {
    pub(crate) fn new(inner: Arc<dyn SecretStore>, random_put_failure_rate: f64) -> FaultyStore {
        FaultyStore {
            inner,
            fail_next: Mutex::new(HashMap::new()),
            random_put_failure_rate,
            failed_puts: Mutex::new(0),
        }
    }

    /// The next `n` writes of a parameter whose name ends with `suffix` fail.
    pub(crate) fn fail_puts(&self, suffix: &str, n: usize) {
        self.fail_next.lock().unwrap().insert(suffix.to_owned(), n);
    }

    fn should_fail(&self, name: &str) -> bool {
        let mut fail_next = self.fail_next.lock().unwrap();
        let scheduled = fail_next
            .iter_mut()
            .find(|(suffix, n)| name.ends_with(suffix.as_str()) && **n > 0);
        let fail = match scheduled {
            Some((_, n)) => {
                *n -= 1;
                true
            }
            None => rand::random::<f64>() < self.random_put_failure_rate,
        };
        if fail {
            *self.failed_puts.lock().unwrap() += 1;
        }
        fail
    }
}

#[async_trait::async_trait]
impl SecretStore for FaultyStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.inner.get(name).await
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        if self.should_fail(name) {
            return Err(SecretError::Transient {
                name: name.to_owned(),
                reason: "injected ThrottlingException".into(),
            });
        }
        self.inner.put(name, value).await
    }
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.inner.create_if_absent(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.inner.delete(name).await
    }
}

/// A clock at the fixed test start.
pub(crate) fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::default())
}

/// Sanity: the reply succeeded, with a readable message otherwise.
pub(crate) fn assert_ok(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status.as_u16(),
        200,
        "{what}: {} {}",
        reply.status,
        reply.text()
    );
}
