//! Prefetch tests: a cold `settings()` reads its parameters in one batch
//! (`SecretStore::get_many`), never one by one, and resolves exactly what the lazy,
//! name-by-name path resolves — including denied, `fill me` and env-provided settings.

use std::sync::Arc;

use super::*;
use crate::secrets::recording::BatchStore;

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
         canon={:?} domains={:?} rules={:?} tokens={:?} auth={:?} missing={:?} warnings={:?}",
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
        s.rules,
        s.tokens,
        s.auth,
        s.missing,
        s.warnings,
    )
}

#[tokio::test]
async fn a_cold_start_reads_its_parameters_in_one_batch() {
    // (extra env, expected names in the batch): 23 settings (the pipeline's and the token
    // source's) × instance and shared name, fewer where the environment provides a
    // non-secret setting.
    let cases: [(&[(&str, &str)], usize); 4] = [
        (&LAMBDA, 46),
        (&[("PATH_TO_SHARED_CONFIG", "/corp/shared/")], 46),
        (&[("TARGET_HOST", "api.example.com"), ("SOURCE", "x")], 42),
        (&[("PSOXY_SALT", "env-salt-ignored-in-lambda")], 46),
    ];
    for (extra, expected) in cases {
        let values = [("PSOXY_SALT", "s"), ("/corp/shared/PSOXY_SALT", "s")];
        let store = BatchStore::new(&values, &[], false);
        let env: Vec<_> = LAMBDA.iter().chain(extra).copied().collect();
        let r = resolver(&env, store.clone());
        let settings = r.settings().await.unwrap();
        assert_eq!(settings.pseudonym.salt, "s", "{extra:?}");
        assert_eq!(store.batches(), vec![expected], "{extra:?}");
        assert_eq!(store.single_reads(), 0, "{extra:?}");
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
    assert_eq!(store.batches(), vec![names::read_at_start().len()]);
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
        assert_eq!(batched.single_reads(), 0, "{values:?}");
        assert!(lazy.single_reads() >= names::read_at_start().len());
    }
}
