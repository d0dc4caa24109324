//! Resolver tests: resolution order, prefixes, `fill me`, access denied, caching with an
//! injected clock, secrets in Lambda mode, and the assembled settings.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::secrets::{MemoryStore, Parameter, SecretError, SecretStore};

/// How a scripted store answers `get` for one name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fault {
    Denied,
    Transient,
    Failed,
}

/// A MemoryStore whose `get` can be made to fail per name, and which counts reads.
#[derive(Debug, Default)]
struct ScriptedStore {
    inner: MemoryStore,
    faults: Mutex<HashMap<String, Fault>>,
    reads: AtomicUsize,
}

impl ScriptedStore {
    fn with(values: &[(&str, &str)]) -> Arc<ScriptedStore> {
        Arc::new(ScriptedStore {
            inner: MemoryStore::with(values),
            ..Default::default()
        })
    }

    fn fail(&self, name: &str, fault: Option<Fault>) {
        let mut faults = self.faults.lock().unwrap();
        match fault {
            Some(f) => faults.insert(name.to_owned(), f),
            None => faults.remove(name),
        };
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl SecretStore for ScriptedStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let fault = self.faults.lock().unwrap().get(name).copied();
        let name = name.to_owned();
        match fault {
            Some(Fault::Denied) => Err(SecretError::AccessDenied { name }),
            Some(Fault::Transient) => Err(SecretError::Transient {
                name,
                reason: "throttled".into(),
            }),
            Some(Fault::Failed) => Err(SecretError::Failed {
                name,
                reason: "broken".into(),
            }),
            None => self.inner.get(&name).await,
        }
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        self.inner.put(name, value).await
    }
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.inner.create_if_absent(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.inner.delete(name).await
    }
}

/// Environment variables as written in a test table.
type Vars<'a> = &'a [(&'a str, &'a str)];

const LAMBDA: [(&str, &str); 2] = [
    ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
    ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
];

fn resolver(env: &[(&str, &str)], store: Arc<ScriptedStore>) -> (ConfigResolver, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (
        ConfigResolver::new(Env::from_pairs(env), store, clock.clone()),
        clock,
    )
}

#[tokio::test]
async fn resolution_order_env_then_instance_then_shared() {
    let store = ScriptedStore::with(&[
        ("PSOXY_CONFLUENCE_CLOUD_SOURCE", "instance"),
        ("SOURCE", "shared"),
        ("PSOXY_CONFLUENCE_CLOUD_TARGET_HOST", "instance.example"),
        ("GRANT_TYPE", "shared-only"),
    ]);
    let env = [LAMBDA[0], LAMBDA[1], ("SOURCE", "from-env")];
    let (r, _) = resolver(&env, store);
    let cases = [
        ("SOURCE", Some("from-env")),
        ("TARGET_HOST", Some("instance.example")),
        ("GRANT_TYPE", Some("shared-only")),
        ("CONFLUENCE_CLOUD_ID", None),
    ];
    for (short, expected) in cases {
        assert_eq!(r.get(short).await.unwrap().as_deref(), expected, "{short}");
    }
}

#[tokio::test]
async fn prefixes_in_both_forms() {
    let cases: [(Vars, &str, &str); 3] = [
        (&LAMBDA, "PSOXY_CONFLUENCE_CLOUD_CLIENT_ID", "PSOXY_SALT"),
        (
            &[
                ("PATH_TO_INSTANCE_CONFIG", "/corp/confluence/"),
                ("PATH_TO_SHARED_CONFIG", "/corp/"),
            ],
            "/corp/confluence/CLIENT_ID",
            "/corp/PSOXY_SALT",
        ),
        (
            &[
                ("PATH_TO_INSTANCE_CONFIG", "corp/confluence/"),
                ("PATH_TO_SHARED_CONFIG", "corp/"),
            ],
            "/corp/confluence/CLIENT_ID",
            "/corp/PSOXY_SALT",
        ),
    ];
    for (env, client_id, salt) in cases {
        let store = ScriptedStore::with(&[(client_id, "cid"), (salt, "pepper")]);
        let (r, _) = resolver(env, store);
        assert_eq!(r.instance_name("CLIENT_ID"), client_id);
        assert_eq!(
            r.get("CLIENT_ID").await.unwrap().as_deref(),
            Some("cid"),
            "{env:?}"
        );
        assert_eq!(
            r.get("PSOXY_SALT").await.unwrap().as_deref(),
            Some("pepper"),
            "{env:?}"
        );
    }
}

#[tokio::test]
async fn fill_me_and_empty_count_as_absent_at_every_level() {
    let store = ScriptedStore::with(&[
        ("PSOXY_CONFLUENCE_CLOUD_CLIENT_ID", "fill me"),
        ("CLIENT_ID", "shared-client"),
        ("PSOXY_SALT", " fill me "),
        ("PSOXY_ENCRYPTION_KEY", ""),
    ]);
    let env = [LAMBDA[0], LAMBDA[1], ("TARGET_HOST", "fill me")];
    let (r, _) = resolver(&env, store);
    assert_eq!(
        r.get("CLIENT_ID").await.unwrap().as_deref(),
        Some("shared-client")
    );
    assert_eq!(r.get("PSOXY_SALT").await.unwrap(), None);
    assert_eq!(r.get("PSOXY_ENCRYPTION_KEY").await.unwrap(), None);
    let settings = r.settings().await.unwrap();
    // The shared CLIENT_ID configures an OAuth client, whose other pieces are absent.
    assert_eq!(
        settings.missing,
        ["PSOXY_SALT", "CLIENT_SECRET", "REFRESH_TOKEN"]
    );
    assert_eq!(
        settings.upstream_base, "https://api.atlassian.com",
        "fill me → default"
    );
}

#[tokio::test]
async fn access_denied_is_absent_and_explained_for_required_settings() {
    let store = ScriptedStore::with(&[("SALT_IP", "ip-salt")]);
    store.fail("PSOXY_CONFLUENCE_CLOUD_SALT_IP", Some(Fault::Denied));
    store.fail("PSOXY_CONFLUENCE_CLOUD_PSOXY_SALT", Some(Fault::Denied));
    store.fail("PSOXY_SALT", Some(Fault::Denied));
    let (r, _) = resolver(&LAMBDA, store);
    assert_eq!(r.get("SALT_IP").await.unwrap().as_deref(), Some("ip-salt"));
    let settings = r.settings().await.unwrap();
    assert_eq!(settings.missing, ["PSOXY_SALT"]);
    assert_eq!(
        settings.warnings,
        [
            "access to parameter PSOXY_CONFLUENCE_CLOUD_PSOXY_SALT denied",
            "access to parameter PSOXY_SALT denied"
        ]
    );
    assert_eq!(settings.pseudonym.salt_ip.as_deref(), Some("ip-salt"));
}

#[tokio::test]
async fn failures_other_than_denied_propagate() {
    for fault in [Fault::Transient, Fault::Failed] {
        let store = ScriptedStore::with(&[("PSOXY_SALT", "s")]);
        store.fail("PSOXY_SALT", Some(fault));
        let (r, _) = resolver(&LAMBDA, store);
        let error = r.settings().await.unwrap_err();
        assert_eq!(
            error.is_transient(),
            fault == Fault::Transient,
            "{fault:?}: {error}"
        );
        assert!(error.to_string().contains("PSOXY_SALT"), "{error}");
    }
}

#[tokio::test]
async fn secrets_in_env_are_ignored_in_lambda_but_used_locally() {
    let store = ScriptedStore::with(&[("PSOXY_SALT", "from-store")]);
    let env = [
        LAMBDA[0],
        LAMBDA[1],
        ("PSOXY_SALT", "from-env"),
        ("CLIENT_ID", "env-client"),
    ];
    let (lambda, _) = resolver(&env, store.clone());
    assert_eq!(
        lambda.get("PSOXY_SALT").await.unwrap().as_deref(),
        Some("from-store")
    );
    assert_eq!(
        lambda.get("CLIENT_ID").await.unwrap().as_deref(),
        Some("env-client")
    );
    let settings = lambda.settings().await.unwrap();
    assert_eq!(settings.pseudonym.salt, "from-store");
    assert_eq!(settings.warnings.len(), 1, "{:?}", settings.warnings);
    assert!(
        settings.warnings[0].contains("PSOXY_SALT") && !settings.warnings[0].contains("from-env")
    );

    let (local, _) = resolver(&[("PSOXY_SALT", "from-env")], store);
    assert_eq!(
        local.get("PSOXY_SALT").await.unwrap().as_deref(),
        Some("from-env")
    );
}

#[tokio::test]
async fn instance_values_cached_five_minutes_shared_twenty() {
    let store = ScriptedStore::with(&[
        ("PSOXY_CONFLUENCE_CLOUD_CLIENT_ID", "v1"),
        ("PSOXY_SALT", "s1"),
    ]);
    let (r, clock) = resolver(&LAMBDA, store.clone());
    let read = || async {
        (
            r.get("CLIENT_ID").await.unwrap(),
            r.get("PSOXY_SALT").await.unwrap(),
        )
    };
    assert_eq!(read().await, (Some("v1".into()), Some("s1".into())));
    store
        .put("PSOXY_CONFLUENCE_CLOUD_CLIENT_ID", "v2")
        .await
        .unwrap();
    store.put("PSOXY_SALT", "s2").await.unwrap();
    // (minutes since first read, expected client id, expected salt)
    let timeline = [
        (4, "v1", "s1"),
        (5, "v2", "s1"),
        (19, "v2", "s1"),
        (20, "v2", "s2"),
    ];
    let mut elapsed = 0;
    for (minute, client, salt) in timeline {
        clock.advance(Duration::from_secs((minute - elapsed) * 60));
        elapsed = minute;
        assert_eq!(
            read().await,
            (Some(client.into()), Some(salt.into())),
            "minute {minute}"
        );
    }
}

#[tokio::test]
async fn stale_value_survives_a_transient_error_but_not_fresh_reads() {
    let store = ScriptedStore::with(&[("PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN", "rt1")]);
    let (r, clock) = resolver(&LAMBDA, store.clone());
    assert_eq!(
        r.get("REFRESH_TOKEN").await.unwrap().as_deref(),
        Some("rt1")
    );
    clock.advance(INSTANCE_TTL + Duration::from_secs(1));
    store.fail(
        "PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN",
        Some(Fault::Transient),
    );
    assert_eq!(
        r.get("REFRESH_TOKEN").await.unwrap().as_deref(),
        Some("rt1"),
        "stale kept"
    );
    assert!(
        r.get_fresh("REFRESH_TOKEN")
            .await
            .unwrap_err()
            .is_transient()
    );
    store.fail("PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN", Some(Fault::Failed));
    assert!(
        r.get("REFRESH_TOKEN").await.is_err(),
        "only transient errors keep stale values"
    );
    store.fail("PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN", None);
    store
        .put("PSOXY_CONFLUENCE_CLOUD_REFRESH_TOKEN", "rt2")
        .await
        .unwrap();
    assert_eq!(
        r.get("REFRESH_TOKEN").await.unwrap().as_deref(),
        Some("rt2"),
        "recovered"
    );
}

#[tokio::test]
async fn get_fresh_bypasses_the_cache_and_refreshes_it() {
    let store = ScriptedStore::with(&[("PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN", "a1")]);
    let (r, _) = resolver(&LAMBDA, store.clone());
    assert_eq!(r.get("ACCESS_TOKEN").await.unwrap().as_deref(), Some("a1"));
    let reads = store.reads();
    assert_eq!(r.get("ACCESS_TOKEN").await.unwrap().as_deref(), Some("a1"));
    assert_eq!(store.reads(), reads, "second read served from cache");
    store
        .put("PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN", "a2")
        .await
        .unwrap();
    assert_eq!(r.get("ACCESS_TOKEN").await.unwrap().as_deref(), Some("a1"));
    assert_eq!(
        r.get_fresh("ACCESS_TOKEN").await.unwrap().as_deref(),
        Some("a2")
    );
    assert_eq!(
        r.get("ACCESS_TOKEN").await.unwrap().as_deref(),
        Some("a2"),
        "cache refreshed"
    );
    store
        .put("PSOXY_CONFLUENCE_CLOUD_ACCESS_TOKEN", "a3")
        .await
        .unwrap();
    r.invalidate("ACCESS_TOKEN");
    assert_eq!(
        r.get("ACCESS_TOKEN").await.unwrap().as_deref(),
        Some("a3"),
        "invalidated"
    );
}

#[tokio::test]
async fn absent_parameters_are_cached_too() {
    let store = ScriptedStore::with(&[("PSOXY_SALT", "s")]);
    let (r, _) = resolver(&LAMBDA, store.clone());
    r.settings().await.unwrap();
    let reads = store.reads();
    r.settings().await.unwrap();
    assert_eq!(store.reads(), reads, "a warm resolver makes no store calls");
}

#[tokio::test]
async fn defaults_of_the_spec() {
    let store = ScriptedStore::with(&[("PSOXY_SALT", "s")]);
    let (r, _) = resolver(&LAMBDA, store);
    let s = r.settings().await.unwrap();
    assert_eq!(s.source, "confluence");
    assert_eq!(s.upstream_base, "https://api.atlassian.com");
    assert_eq!(s.request_timeout, Duration::from_secs(180));
    assert!(!s.development_mode);
    assert_eq!(s.auth, AuthSettings::default());
    assert_eq!(s.function_name.as_deref(), Some("psoxy-confluence-cloud"));
    assert!(s.allowed_ip_blocks.is_none() && s.allowed_caller_arns.is_none());
    assert!(s.confluence_cloud_id.is_none() && s.rules == RulesChoice::Shipped);
    assert!(
        s.missing.is_empty() && s.warnings.is_empty(),
        "{:?} {:?}",
        s.missing,
        s.warnings
    );
}

#[tokio::test]
async fn every_setting_is_read_and_parsed() {
    let store = ScriptedStore::with(&[
        ("PSOXY_SALT", "s"),
        ("PSOXY_ENCRYPTION_KEY", "k"),
        ("PSOXY_CONFLUENCE_CLOUD_RULES", "allAllowed: true\n"),
    ]);
    let env = [
        LAMBDA[0],
        LAMBDA[1],
        ("TARGET_HOST", "mock.example:8443"),
        ("SOURCE", "confluence-v2"),
        ("REQUEST_TIMEOUT_SECONDS", "20"),
        ("IS_DEVELOPMENT_MODE", "TRUE"),
        ("EMAIL_CANONICALIZATION", "IGNORE_DOTS"),
        ("EMAIL_DOMAIN_HANDLING", "tokenize"),
        ("ALLOWED_DATA_ACCESS_IP_BLOCKS", "10.0.0.0/8, 2001:db8::1"),
        ("ALLOWED_CALLER_ARNS", "arn:aws:iam::1:role/a"),
        ("CONFLUENCE_CLOUD_ID", "abc-123"),
        ("USE_SHARED_TOKEN", "false"),
        ("GRANT_TYPE", "refresh_token"),
    ];
    let (r, _) = resolver(&env, store);
    let s = r.settings().await.unwrap();
    assert_eq!(s.upstream_base, "https://mock.example:8443");
    assert_eq!(s.source, "confluence-v2");
    assert_eq!(s.request_timeout, Duration::from_secs(20));
    assert!(s.development_mode && !s.auth.use_shared_token);
    assert_eq!(
        s.pseudonym.email_canonicalization,
        crate::pseudonym::EmailCanonicalization::IgnoreDots
    );
    assert_eq!(
        s.pseudonym.email_domain_handling,
        crate::pseudonym::EmailDomainHandling::Tokenize
    );
    assert_eq!(s.pseudonym.encryption_key.as_deref(), Some("k"));
    let blocks: Vec<String> = s
        .allowed_ip_blocks
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(blocks, ["10.0.0.0/8", "2001:db8::1/128"]);
    assert_eq!(s.allowed_caller_arns.unwrap(), ["arn:aws:iam::1:role/a"]);
    assert_eq!(s.confluence_cloud_id.as_deref(), Some("abc-123"));
    assert_eq!(
        s.rules,
        RulesChoice::Custom {
            origin: "PSOXY_CONFLUENCE_CLOUD_RULES".into(),
            yaml: "allAllowed: true\n".into()
        }
    );
}

#[tokio::test]
async fn malformed_settings_are_errors_naming_the_setting_not_the_value() {
    let cases = [
        (
            "ALLOWED_DATA_ACCESS_IP_BLOCKS",
            "10.0.0.0/8,secret-ish",
            "entry 2",
        ),
        ("TARGET_HOST", "http://secret-ish.example", "https"),
        ("REQUEST_TIMEOUT_SECONDS", "secret-ish", "seconds"),
        ("EMAIL_DOMAIN_HANDLING", "secret-ish", "PRESERVE"),
        ("IS_DEVELOPMENT_MODE", "secret-ish", "TRUE"),
        ("CONFLUENCE_CLOUD_ID", "../secret-ish", "cloud id"),
        ("ALLOWED_CALLER_ARNS", "secret-ish", "entry 1"),
        ("REFRESH_ENDPOINT", "http://secret-ish", "https"),
    ];
    for (setting, value, reason) in cases {
        let store = ScriptedStore::with(&[("PSOXY_SALT", "s")]);
        let env = [LAMBDA[0], LAMBDA[1], (setting, value)];
        let (r, _) = resolver(&env, store);
        let message = r.settings().await.unwrap_err().to_string();
        assert!(
            message.contains(setting) && message.contains(reason),
            "{setting}: {message}"
        );
        assert!(!message.contains("secret-ish"), "{setting}: {message}");
    }
}

#[tokio::test]
async fn plain_http_target_is_allowed_outside_lambda_with_a_warning() {
    let store = ScriptedStore::with(&[("PSOXY_SALT", "s")]);
    let (r, _) = resolver(&[("TARGET_HOST", "http://127.0.0.1:9999")], store);
    let s = r.settings().await.unwrap();
    assert_eq!(s.upstream_base, "http://127.0.0.1:9999");
    assert_eq!(s.warnings.len(), 1);
}
