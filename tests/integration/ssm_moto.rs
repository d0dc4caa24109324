//! SsmStore and the configuration resolver against a real SSM-compatible server (moto on
//! loopback, started by `scripts/with-moto.sh`, which `scripts/test.sh` uses).
//!
//! moto is shared by every test of the run, so each test uses its own parameter names
//! (a random path), except the one test that checks Psoxy's bare default names.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pseudoproxy::config::{ConfigResolver, Env, RulesChoice, SystemClock};
use pseudoproxy::secrets::{SecretStore, SsmStore};

/// True when moto is up. In CI its absence is a failure, not a skip.
fn moto_is_up() -> bool {
    if std::env::var_os("PSEUDOPROXY_TEST_SSM").is_some() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but PSEUDOPROXY_TEST_SSM is unset: run the tests via scripts/with-moto.sh"
    );
    eprintln!(
        "SKIPPED SSM loopback test: moto is not running. \
         Run `scripts/with-moto.sh cargo test --test integration ssm_moto`"
    );
    false
}

async fn store() -> Arc<SsmStore> {
    Arc::new(SsmStore::connect(None).await)
}

/// A parameter path no other test uses.
fn unique(tag: &str) -> String {
    format!("/pseudoproxy-test/{tag}-{:016x}/", rand::random::<u64>())
}

/// The environment of a Lambda instance named `psoxy-confluence-cloud`.
fn lambda_env(extra: &[(&str, &str)]) -> Env {
    extra.iter().fold(
        Env::from_pairs(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
        ]),
        |env, (k, v)| env.with(k, v),
    )
}

#[tokio::test]
async fn get_put_create_if_absent_delete_and_versions() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let name = format!("{}REFRESH_TOKEN", unique("crud"));
    assert!(ssm.get(&name).await.unwrap().is_none(), "absent → None");
    let before = SystemTime::now() - Duration::from_secs(60);
    assert_eq!(ssm.put(&name, "rt-1").await.unwrap(), 1);
    assert_eq!(ssm.put(&name, "rt-2").await.unwrap(), 2);
    let got = ssm.get(&name).await.unwrap().unwrap();
    assert_eq!((got.value.as_str(), got.version), ("rt-2", 2));
    assert!(got.last_modified > before, "last modified is set");

    let lock = format!("{}OAUTH_REFRESH_TOKEN_lock", unique("lock"));
    assert!(ssm.create_if_absent(&lock, "owner-a").await.unwrap());
    assert!(!ssm.create_if_absent(&lock, "owner-b").await.unwrap());
    assert_eq!(ssm.get(&lock).await.unwrap().unwrap().value, "owner-a");
    ssm.delete(&lock).await.unwrap();
    ssm.delete(&lock).await.unwrap(); // deleting a missing parameter is fine
    assert!(ssm.get(&lock).await.unwrap().is_none());
    assert!(ssm.create_if_absent(&lock, "owner-b").await.unwrap());
    ssm.delete(&lock).await.unwrap();
}

#[tokio::test]
async fn secure_string_round_trips_exotic_values() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let prefix = unique("roundtrip");
    let values = [
        r#"{"token":"eyJhbGciOi.x_y-z","expirationDate":1735689600000}"#,
        "line one\nline two\ttabbed",
        "unicodé ✓ 😀",
        "  padded  ",
    ];
    for (i, value) in values.iter().enumerate() {
        let name = format!("{prefix}V{i}");
        ssm.put(&name, value).await.unwrap();
        assert_eq!(
            ssm.get(&name).await.unwrap().unwrap().value,
            *value,
            "value {i}"
        );
    }
}

/// Real SSM makes `PutParameter` without overwrite atomic; moto checks and inserts in two
/// steps, so under a race two creators can both be told "created". The lock protocol
/// (src/auth/lock.rs) therefore reads the value back, and that is the property tested
/// here: at least one creator succeeds, and exactly one successful creator finds its own
/// owner id stored — the one that holds the lock.
#[tokio::test]
async fn concurrent_create_if_absent_then_read_back_has_one_owner() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let lock = format!("{}OAUTH_REFRESH_TOKEN_lock", unique("race"));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (ssm, lock) = (ssm.clone(), lock.clone());
        tasks.push(tokio::spawn(async move {
            let owner = format!("owner-{i}");
            let created = ssm.create_if_absent(&lock, &owner).await.unwrap();
            (owner, created)
        }));
    }
    let mut creators = Vec::new();
    for task in tasks {
        let (owner, created) = task.await.unwrap();
        if created {
            creators.push(owner);
        }
    }
    let stored = ssm.get(&lock).await.unwrap().unwrap().value;
    assert!(!creators.is_empty(), "nobody created the lock");
    let owners: Vec<_> = creators.iter().filter(|o| **o == stored).collect();
    assert_eq!(owners.len(), 1, "creators {creators:?}, stored {stored:?}");
    // Once the race is over, create-if-absent never overwrites.
    assert!(!ssm.create_if_absent(&lock, "owner-late").await.unwrap());
    assert_eq!(ssm.get(&lock).await.unwrap().unwrap().value, stored);
}

#[tokio::test]
async fn resolver_reads_psoxy_default_names_from_ssm() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    // The only test that writes bare names: the ones Psoxy's Terraform creates.
    let params = [
        ("PSOXY_SALT", "salt-from-ssm"),
        ("PSOXY_ENCRYPTION_KEY", "key-from-ssm"),
        ("PSOXY_CONFLUENCE_CLOUD_CLIENT_ID", "client-id"),
        ("PSOXY_CONFLUENCE_CLOUD_CLIENT_SECRET", "client-secret"),
        ("PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN", "fill me"),
        ("PSOXY_CONFLUENCE_CLOUD_SALT_IP", "fill me"),
    ];
    for (name, value) in params {
        ssm.put(name, value).await.unwrap();
    }
    let env = lambda_env(&[("PSOXY_SALT", "env-salt-must-be-ignored")]);
    let resolver = ConfigResolver::new(env, ssm, Arc::new(SystemClock));
    let settings = resolver.settings().await.unwrap();
    assert_eq!(settings.pseudonym.salt, "salt-from-ssm");
    assert_eq!(
        settings.pseudonym.encryption_key.as_deref(),
        Some("key-from-ssm")
    );
    assert_eq!(settings.pseudonym.salt_ip, None, "fill me is absent");
    // The settings include the token source: an OAuth client whose refresh token is
    // still Terraform's placeholder (consent has not run yet).
    assert_eq!(settings.missing, ["REFRESH_TOKEN"]);
    assert_eq!(
        settings.warnings.len(),
        1,
        "env salt ignored: {:?}",
        settings.warnings
    );
    let cases = [
        ("CLIENT_ID", Some("client-id")),
        ("CLIENT_SECRET", Some("client-secret")),
        ("REFRESH_TOKEN", None),
    ];
    for (short, expected) in cases {
        assert_eq!(
            resolver.get_fresh(short).await.unwrap().as_deref(),
            expected,
            "{short}"
        );
    }
}

#[tokio::test]
async fn resolver_with_slash_prefixes_and_fill_me_salt() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let root = unique("paths");
    let (instance, shared) = (format!("{root}confluence/"), format!("{root}shared/"));
    ssm.put(&format!("{shared}PSOXY_SALT"), "fill me")
        .await
        .unwrap();
    ssm.put(&format!("{instance}CLIENT_ID"), "cid")
        .await
        .unwrap();
    ssm.put(&format!("{instance}RULES"), "allAllowed: true\n")
        .await
        .unwrap();
    // The operator wrote the prefixes without the leading `/`.
    let env = lambda_env(&[
        ("PATH_TO_INSTANCE_CONFIG", instance.trim_start_matches('/')),
        ("PATH_TO_SHARED_CONFIG", shared.trim_start_matches('/')),
    ]);
    let resolver = ConfigResolver::new(env, ssm.clone(), Arc::new(SystemClock));
    let settings = resolver.settings().await.unwrap();
    // The fill-me salt is missing; so are the pieces of the OAuth client CLIENT_ID starts.
    assert_eq!(
        settings.missing,
        ["PSOXY_SALT", "CLIENT_SECRET", "REFRESH_TOKEN"],
        "fill me salt is missing"
    );
    let RulesChoice::Custom { origin, .. } = settings.rules else {
        panic!("the RULES parameter was not read");
    };
    assert_eq!(origin, format!("{instance}RULES"));
    assert_eq!(
        resolver.get("CLIENT_ID").await.unwrap().as_deref(),
        Some("cid")
    );

    ssm.put(&format!("{shared}PSOXY_SALT"), "real-salt")
        .await
        .unwrap();
    assert_eq!(
        resolver.get("PSOXY_SALT").await.unwrap(),
        None,
        "cached for 20 minutes"
    );
    assert_eq!(
        resolver.get_fresh("PSOXY_SALT").await.unwrap().as_deref(),
        Some("real-salt")
    );
}

#[tokio::test]
async fn get_many_batches_and_answers_exactly_like_get() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let prefix = unique("batch");
    // 23 names (three GetParameters calls): every third absent, one written twice, one
    // exotic value, one repeated name.
    let mut names: Vec<String> = (0..22).map(|i| format!("{prefix}P{i}")).collect();
    names.push(names[4].clone());
    for (i, name) in names.iter().enumerate().take(22) {
        if i % 3 != 0 {
            ssm.put(name, &format!("value {i} ✓\n\"q\"")).await.unwrap();
        }
    }
    ssm.put(&names[1], "second version").await.unwrap();
    #[cfg(feature = "bench-hooks")]
    let before = pseudoproxy::secrets::round_trips().count;
    let batch = ssm.get_many(&names).await;
    #[cfg(feature = "bench-hooks")]
    assert!(
        pseudoproxy::secrets::round_trips().count >= before + 3,
        "three batches are metered"
    );
    assert_eq!(batch.len(), names.len());
    for (name, got) in names.iter().zip(batch) {
        let got = got.unwrap().map(|p| (p.value, p.version));
        let single = ssm.get(name).await.unwrap().map(|p| (p.value, p.version));
        assert_eq!(got, single, "{name}");
    }
}

/// Lambda with SSM, the production shape: the Lambda front door's state is built through
/// the proxy's one constructor from parameters in the SSM-compatible server, with the
/// OAuth token manager chosen because a client and a refresh token are configured.
#[tokio::test]
async fn lambda_with_ssm_builds_a_serving_state() {
    if !moto_is_up() {
        return;
    }
    let ssm = store().await;
    let root = unique("lambda");
    let (instance, shared) = (format!("{root}confluence/"), format!("{root}shared/"));
    for (name, value) in [
        (format!("{shared}PSOXY_SALT"), "lambda-salt"),
        (format!("{shared}PSOXY_ENCRYPTION_KEY"), "lambda-key"),
        (format!("{instance}CLIENT_ID"), "cid"),
        (format!("{instance}CLIENT_SECRET"), "csecret"),
        (format!("{instance}REFRESH_TOKEN"), "rt"),
        (format!("{instance}CONFLUENCE_CLOUD_ID"), "cloud-1"),
    ] {
        ssm.put(&name, value).await.unwrap();
    }
    let env = lambda_env(&[
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
    assert_eq!(state.settings.pseudonym.salt, "lambda-salt");
    assert!(matches!(
        state.settings.tokens,
        pseudoproxy::config::TokenSource::OAuth { .. }
    ));
    assert!(state.tokens.status().await.is_some(), "the token manager");
    assert!(state.rules.is_ok() && !state.custom_rules());
}
