//! Start-up reads: a cold start resolves settings and chooses its token source from one
//! wave of store reads (one `get_many`, no single reads), with the same outcome per
//! deployment shape as reading name by name.

use std::sync::Arc;

use super::*;
use crate::config::SystemClock;
use crate::secrets::recording::BatchStore;

const LAMBDA: [(&str, &str); 2] = [
    ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
    ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
];

fn instance(short: &str) -> String {
    format!("PSOXY_CONFLUENCE_CLOUD_{short}")
}

async fn cold_start(values: &[(&str, &str)], denied: &[&str]) -> (AppState, Arc<BatchStore>) {
    let store = BatchStore::new(values, denied, false);
    let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().unwrap());
    let state = state_with(
        Env::from_pairs(&LAMBDA),
        store.clone(),
        upstream,
        None,
        Arc::new(SystemClock),
        ManagerConfig::default(),
    )
    .await;
    (state, store)
}

#[tokio::test]
async fn a_cold_start_waits_for_one_wave_of_reads_whatever_the_deployment() {
    let (client_id, client_secret, refresh) = (
        instance("CLIENT_ID"),
        instance("CLIENT_SECRET"),
        instance("REFRESH_TOKEN"),
    );
    let cloud = instance("CONFLUENCE_CLOUD_ID");
    let base = [("PSOXY_SALT", "s"), (cloud.as_str(), "cloud-1")];
    let with = |extra: &[(&'static str, &'static str)], owned: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = base
            .iter()
            .chain(owned)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        all.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all
    };
    // (label, store contents, denied names, what `missing` must be)
    type Case = (
        &'static str,
        Vec<(String, String)>,
        Vec<String>,
        Vec<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "OAuth client and refresh token",
            with(
                &[],
                &[
                    (&client_id, "id"),
                    (&client_secret, "secret"),
                    (&refresh, "rt"),
                ],
            ),
            vec![],
            vec![],
        ),
        (
            "static access token only",
            with(&[], &[(&instance("ACCESS_TOKEN"), "at")]),
            vec![],
            vec![],
        ),
        (
            "refresh token still a Terraform placeholder",
            with(
                &[],
                &[
                    (&client_id, "id"),
                    (&client_secret, "secret"),
                    (&refresh, "fill me"),
                ],
            ),
            vec![],
            vec!["REFRESH_TOKEN"],
        ),
        (
            "refresh token denied counts as configured (reported where it is used)",
            with(
                &[],
                &[
                    (&client_id, "id"),
                    (&client_secret, "secret"),
                    (&refresh, "rt"),
                ],
            ),
            vec![refresh.clone()],
            vec![],
        ),
        (
            "refresh token without a client",
            with(&[], &[(&refresh, "rt")]),
            vec![],
            vec!["CLIENT_ID", "CLIENT_SECRET"],
        ),
    ];
    for (label, values, denied, missing) in cases {
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let denied: Vec<&str> = denied.iter().map(String::as_str).collect();
        let (state, store) = cold_start(&pairs, &denied).await;
        assert_eq!(state.settings.missing, missing, "{label}");
        assert_eq!(store.batches().len(), 1, "{label}: one wave of reads");
        assert_eq!(store.single_reads(), 0, "{label}: no read outside the wave");
    }
}

/// Stands in for the shipped rules being compiled on the blocking pool.
async fn shipped(rules: &str) -> crate::proxy::CompiledRules {
    crate::proxy::compile_rules(("shipped.yaml", rules))
}

const ONE_ENDPOINT: &str = "endpoints:\n  - pathTemplate: /wiki/api/v2/spaces\n";

#[tokio::test]
async fn custom_rules_replace_the_rules_compiled_at_start_up_and_failures_fail_closed() {
    let custom = ["endpoints:", "  - pathTemplate: /a", "  - pathTemplate: /b"].join("\n");
    let rules_parameter = instance("RULES");
    // (label, store contents, shipped rules future's result, expected endpoints or error)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        &'a str,
        Result<usize, &'a str>,
    );
    let cases: [Case; 3] = [
        (
            "no RULES parameter: the shipped rules",
            vec![],
            ONE_ENDPOINT,
            Ok(1),
        ),
        (
            "a RULES parameter wins",
            vec![(rules_parameter.as_str(), custom.as_str())],
            ONE_ENDPOINT,
            Ok(2),
        ),
        (
            "shipped rules that fail stay a failure",
            vec![],
            "endpoints: [",
            Err("shipped.yaml"),
        ),
    ];
    for (label, extra, shipped_text, expected) in cases {
        let mut values = vec![("PSOXY_SALT", "s")];
        values.extend(extra);
        let store = BatchStore::new(&values, &[], false);
        let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().unwrap());
        let state = state_with_shipped_rules(
            Env::from_pairs(&LAMBDA),
            store,
            upstream,
            Arc::new(SystemClock),
            ManagerConfig::default(),
            shipped(shipped_text),
        )
        .await;
        match (&state.rules, expected) {
            (Ok(rules), Ok(count)) => assert_eq!(rules.endpoints.len(), count, "{label}"),
            (Err(message), Err(origin)) => assert!(message.contains(origin), "{label}: {message}"),
            (got, _) => panic!("{label}: unexpected {got:?}"),
        }
        assert_eq!(state.custom_rules, label.contains("wins"), "{label}");
    }
}
