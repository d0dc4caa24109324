//! Prefetch tests: a cold `settings()` reads its parameters in one batch
//! (`SecretStore::get_many`), never one by one, and resolves exactly what the lazy,
//! name-by-name path resolves — including denied, `fill me` and env-provided settings.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::settings::SETTINGS_READ;
use super::*;
use crate::secrets::{MemoryStore, Parameter, SecretError, SecretStore};

/// A MemoryStore that records its batches, counts single reads, denies some names, and
/// can be made to fail every batch (which leaves all reads to the lazy path).
#[derive(Debug, Default)]
struct BatchStore {
    inner: MemoryStore,
    denied: HashSet<String>,
    batches_fail: bool,
    batches: Mutex<Vec<usize>>,
    single_reads: AtomicUsize,
}

impl BatchStore {
    fn new(values: &[(&str, &str)], denied: &[&str], batches_fail: bool) -> Arc<BatchStore> {
        Arc::new(BatchStore {
            inner: MemoryStore::with(values),
            denied: denied.iter().map(|n| (*n).to_owned()).collect(),
            batches_fail,
            ..Default::default()
        })
    }

    async fn answer(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        if self.denied.contains(name) {
            return Err(SecretError::AccessDenied { name: name.into() });
        }
        self.inner.get(name).await
    }

    fn batches(&self) -> Vec<usize> {
        self.batches.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl SecretStore for BatchStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.single_reads.fetch_add(1, Ordering::SeqCst);
        self.answer(name).await
    }
    async fn get_many(&self, names: &[String]) -> Vec<Result<Option<Parameter>, SecretError>> {
        self.batches.lock().unwrap().push(names.len());
        let mut results = Vec::new();
        for name in names {
            results.push(match self.batches_fail {
                true => Err(SecretError::Transient {
                    name: name.clone(),
                    reason: "throttled".into(),
                }),
                false => self.answer(name).await,
            });
        }
        results
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

const LAMBDA: [(&str, &str); 2] = [
    ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
    ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
];

fn resolver(env: &[(&str, &str)], store: Arc<BatchStore>) -> ConfigResolver {
    ConfigResolver::new(
        Env::from_pairs(env),
        store,
        Arc::new(ManualClock::default()),
    )
}

/// The resolved settings as comparable text (values included: test data only).
fn summary(s: &ProxySettings) -> String {
    let p = &s.pseudonym;
    format!(
        "source={} upstream={} timeout={:?} dev={} cloud={:?} ips={:?} arns={:?} \
         salt={} key={:?} salt_ip={:?} key_ip={:?} salt_dom={:?} key_dom={:?} \
         canon={:?} domains={:?} rules={:?} auth={:?} missing={:?} warnings={:?}",
        s.source,
        s.upstream_base,
        s.request_timeout,
        s.development_mode,
        s.confluence_cloud_id,
        s.allowed_ip_blocks,
        s.allowed_caller_arns,
        p.salt,
        p.encryption_key,
        p.salt_ip,
        p.encryption_key_ip,
        p.salt_email_domains,
        p.encryption_key_email_domains,
        p.email_canonicalization,
        p.email_domain_handling,
        s.custom_rules,
        s.auth,
        s.missing,
        s.warnings,
    )
}

#[tokio::test]
async fn a_cold_start_reads_its_parameters_in_one_batch() {
    // (extra env, expected names in the batch): 20 settings × instance and shared name,
    // fewer where the environment provides a non-secret setting.
    let cases: [(&[(&str, &str)], usize); 4] = [
        (&LAMBDA, 40),
        (&[("PATH_TO_SHARED_CONFIG", "/corp/shared/")], 40),
        (&[("TARGET_HOST", "api.example.com"), ("SOURCE", "x")], 36),
        (&[("PSOXY_SALT", "env-salt-ignored-in-lambda")], 40),
    ];
    for (extra, expected) in cases {
        let values = [("PSOXY_SALT", "s"), ("/corp/shared/PSOXY_SALT", "s")];
        let store = BatchStore::new(&values, &[], false);
        let env: Vec<_> = LAMBDA.iter().chain(extra).copied().collect();
        let r = resolver(&env, store.clone());
        let settings = r.settings().await.unwrap();
        assert_eq!(settings.pseudonym.salt, "s", "{extra:?}");
        assert_eq!(store.batches(), vec![expected], "{extra:?}");
        assert_eq!(store.single_reads.load(Ordering::SeqCst), 0, "{extra:?}");
        r.settings().await.unwrap();
        assert_eq!(
            store.batches().len(),
            1,
            "warm: no second batch ({extra:?})"
        );
    }
    // Outside Lambda without prefixes the instance and shared names coincide.
    let store = BatchStore::new(&[("PSOXY_SALT", "s")], &[], false);
    resolver(&[], store.clone()).settings().await.unwrap();
    assert_eq!(store.batches(), vec![SETTINGS_READ.len()]);
}

#[tokio::test]
async fn prefetched_settings_equal_lazily_read_settings() {
    let salt = "PSOXY_SALT";
    let instance = |short: &str| format!("PSOXY_CONFLUENCE_CLOUD_{short}");
    let (cloud, key, dev) = (
        instance("CONFLUENCE_CLOUD_ID"),
        instance("PSOXY_ENCRYPTION_KEY"),
        instance("IS_DEVELOPMENT_MODE"),
    );
    // (store contents, denied names)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: [Case; 4] = [
        (vec![(salt, "s")], vec![]),
        (
            vec![
                (salt, "s"),
                (&cloud, "cloud-1"),
                (&key, "k"),
                (&dev, "true"),
            ],
            vec![],
        ),
        (vec![(salt, "fill me"), (&key, "k")], vec![]),
        (vec![(salt, "s"), (&key, "k")], vec![salt, &key]),
    ];
    for (values, denied) in cases {
        let batched = BatchStore::new(&values, &denied, false);
        let lazy = BatchStore::new(&values, &denied, true);
        let got = resolver(&LAMBDA, batched.clone()).settings().await.unwrap();
        let expected = resolver(&LAMBDA, lazy.clone()).settings().await.unwrap();
        assert_eq!(
            summary(&got),
            summary(&expected),
            "{values:?} denied {denied:?}"
        );
        assert_eq!(batched.single_reads.load(Ordering::SeqCst), 0, "{values:?}");
        assert!(lazy.single_reads.load(Ordering::SeqCst) >= SETTINGS_READ.len());
    }
}
