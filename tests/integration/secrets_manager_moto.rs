//! SecretsManagerStore, the resolver and the Lambda front door against a real Secrets
//! Manager-compatible server (moto on loopback, `scripts/with-moto.sh`): the same store
//! semantics as SSM (absent, no value yet, create-if-absent, delete, store timestamps),
//! and a Lambda state built with `SECRETS_STORE=AWS_SECRETS_MANAGER` from secrets laid out
//! as Psoxy's Terraform lays them out.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pseudoproxy::config::Env;
use pseudoproxy::secrets::{SecretStore, SecretsManagerStore};

use super::oauth_moto::moto_is_up;

async fn store() -> Arc<SecretsManagerStore> {
    Arc::new(SecretsManagerStore::connect(None).await)
}

fn unique(tag: &str) -> String {
    format!("PSEUDOPROXY_TEST_{tag}_{:016x}_", rand::random::<u64>())
}

#[tokio::test]
async fn secrets_behave_as_parameters_do() {
    if !moto_is_up() {
        return;
    }
    let sm = store().await;
    let name = format!("{}REFRESH_TOKEN", unique("CRUD"));
    assert!(sm.get(&name).await.unwrap().is_none(), "absent → None");
    let before = SystemTime::now() - Duration::from_secs(60);
    sm.put(&name, "rt-1").await.unwrap(); // creates
    sm.put(&name, "rt-2").await.unwrap(); // a new version
    let got = sm.get(&name).await.unwrap().unwrap();
    assert_eq!(got.value, "rt-2");
    assert!(got.last_modified > before, "the version's creation time");
    // A secret Terraform created without a value (for `pseudoproxy auth` to fill) is absent.
    let empty = format!("{}CLIENT_SECRET", unique("EMPTY"));
    let client = aws_sdk_secretsmanager::Client::new(&pseudoproxy::secrets::aws_config(None).await);
    client.create_secret().name(&empty).send().await.unwrap();
    assert!(
        sm.get(&empty).await.unwrap().is_none(),
        "no value yet → None"
    );
    sm.put(&empty, "filled").await.unwrap();
    assert_eq!(sm.get(&empty).await.unwrap().unwrap().value, "filled");
    // The lock's test-and-set, and a release that can be taken again at once.
    let lock = format!("{}OAUTH_REFRESH_TOKEN_lock", unique("LOCK"));
    assert!(sm.create_if_absent(&lock, "owner-a").await.unwrap());
    assert!(!sm.create_if_absent(&lock, "owner-b").await.unwrap());
    assert_eq!(sm.get(&lock).await.unwrap().unwrap().value, "owner-a");
    sm.delete(&lock).await.unwrap();
    sm.delete(&lock).await.unwrap(); // deleting a missing secret is fine
    assert!(sm.get(&lock).await.unwrap().is_none());
    assert!(sm.create_if_absent(&lock, "owner-b").await.unwrap());
    sm.delete(&lock).await.unwrap();
}

#[tokio::test]
async fn concurrent_lock_takers_have_one_owner() {
    if !moto_is_up() {
        return;
    }
    let sm: Arc<dyn SecretStore> = store().await;
    let lock = format!("{}OAUTH_REFRESH_TOKEN_lock", unique("RACE"));
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (sm, lock) = (sm.clone(), lock.clone());
            tokio::spawn(async move { sm.create_if_absent(&lock, &format!("owner-{i}")).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(winners, 1, "exactly one create wins");
    sm.delete(&lock).await.unwrap();
}

/// `SECRETS_STORE=AWS_SECRETS_MANAGER` (any case): the Lambda state reads its settings
/// and the OAuth client from secrets named as Psoxy names its SSM parameters.
#[tokio::test]
async fn lambda_with_secrets_manager_builds_a_serving_state() {
    if !moto_is_up() {
        return;
    }
    let sm = store().await;
    let instance = unique("CONFLUENCE");
    let shared = unique("SHARED");
    for (name, value) in [
        (format!("{shared}PSOXY_SALT"), "sm-salt"),
        (format!("{shared}PSOXY_ENCRYPTION_KEY"), "sm-key"),
        (format!("{instance}CLIENT_ID"), "cid"),
        (format!("{instance}CLIENT_SECRET"), "csecret"),
        (format!("{instance}REFRESH_TOKEN"), "rt"),
        (format!("{instance}CONFLUENCE_CLOUD_ID"), "cloud-1"),
    ] {
        sm.put(&name, value).await.unwrap();
    }
    let env = Env::from_pairs(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
        ("SECRETS_STORE", "aws_secrets_manager"),
        ("PATH_TO_INSTANCE_CONFIG", &instance),
        ("PATH_TO_SHARED_CONFIG", &shared),
    ]);
    let state = pseudoproxy::proxy::startup::lambda_state_from(env)
        .await
        .unwrap();
    assert!(
        state.settings.missing.is_empty(),
        "{:?}",
        state.settings.missing
    );
    assert_eq!(state.settings.pseudonym.salt, "sm-salt");
    assert!(matches!(
        state.settings.tokens,
        pseudoproxy::config::TokenSource::OAuth { .. }
    ));
    assert!(state.settings.config_last_modified.is_some());
    // An unknown store is refused, not guessed.
    let env = Env::from_pairs(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("SECRETS_STORE", "vault"),
    ]);
    let refused = pseudoproxy::proxy::startup::lambda_state_from(env).await;
    assert!(refused.unwrap_err().contains("SECRETS_STORE"));
}
