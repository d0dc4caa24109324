//! Three app instances sharing one real AWS-compatible store (moto, via
//! `scripts/with-moto.sh`) — SSM Parameter Store, and Secrets Manager — one mock token
//! endpoint and one mock Confluence: 50 concurrent requests with an expired token make
//! exactly one token call, and a lock left by a crashed owner is broken by store time.

use std::sync::Arc;

use pseudoproxy::secrets::{SecretStore, SecretsManagerStore, SsmStore};

use super::oauth_mock::MockAtlassian;
use super::oauth_support::{clock, get_spaces, instance, seed, stored, tuning};

/// True when moto is up. In CI its absence is a failure, not a skip.
pub(crate) fn moto_is_up() -> bool {
    if std::env::var_os("PSEUDOPROXY_TEST_SSM").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but PSEUDOPROXY_TEST_SSM is unset: run the tests via scripts/with-moto.sh"
    );
    eprintln!(
        "SKIPPED moto test: run `scripts/with-moto.sh cargo test --test integration oauth_moto`"
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_across_three_instances_make_one_token_call() {
    if !moto_is_up() {
        return;
    }
    let ssm: Arc<dyn SecretStore> = Arc::new(SsmStore::connect(None).await);
    let prefix = format!("/pseudoproxy-test/oauth-{:016x}/", rand::random::<u64>());
    fifty_concurrent_make_one_token_call(ssm, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_secrets_manager_fifty_concurrent_requests_make_one_token_call() {
    if !moto_is_up() {
        return;
    }
    let sm: Arc<dyn SecretStore> = Arc::new(SecretsManagerStore::connect(None).await);
    let prefix = format!("PSEUDOPROXY_TEST_OAUTH_{:016x}_", rand::random::<u64>());
    fifty_concurrent_make_one_token_call(sm, &prefix).await;
}

async fn fifty_concurrent_make_one_token_call(ssm: Arc<dyn SecretStore>, prefix: &str) {
    let prefix = prefix.to_owned();
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    seed(ssm.as_ref(), &prefix, &mock).await;
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(instance(&mock, ssm.clone(), clock.clone(), &prefix, tuning()).await);
    }
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let app = apps[i % 3].clone();
            tokio::spawn(async move {
                let reply = get_spaces(&app).await;
                (reply.status.as_u16(), reply.text())
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        let (status, text) = task.await.unwrap();
        if status != 200 {
            failures.push(format!("{status} {text}"));
        }
    }
    assert!(failures.is_empty(), "all 50 succeed: {failures:?}");
    assert_eq!(
        mock.state().token_calls,
        1,
        "exactly one token-endpoint call"
    );
    let newest = mock.current_refresh_token();
    assert_eq!(
        stored(ssm.as_ref(), &format!("{prefix}REFRESH_TOKEN")).await,
        newest
    );
    assert!(
        stored(ssm.as_ref(), &format!("{prefix}OAUTH_REFRESH_TOKEN_lock"))
            .await
            .is_none()
    );
    assert!(!mock.revoked());
}
