//! The one constructor, per deployment shape (Lambda with a secrets file here; Lambda with
//! SSM in `tests/integration/ssm_moto.rs`; `serve` and `serve --demo` in `cli::serve`),
//! and what start-up reads: a cold start resolves settings and chooses its token source
//! from one wave of store reads (one `get_many`, no single reads).

use std::sync::Arc;

use super::*;
use crate::config::{ManualClock, resolve};
use crate::secrets::recording::BatchStore;

const LAMBDA: [(&str, &str); 2] = [
    ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
    ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
];

fn instance(short: &str) -> String {
    format!("PSOXY_CONFLUENCE_CLOUD_{short}")
}

fn deps(store: Arc<dyn SecretStore>, shipped_rules: ShippedRules) -> Dependencies {
    Dependencies {
        store,
        clock: Arc::new(ManualClock::default()),
        upstream: Arc::new(ReqwestUpstream::new().unwrap()),
        shipped_rules,
        tuning: ManagerConfig::default(),
        local_access: LocalAccess::NotLocal,
    }
}

async fn cold_start(values: &[(&str, &str)], denied: &[&str]) -> (AppState, Arc<BatchStore>) {
    let store = BatchStore::new(values, denied, false);
    let clock = Arc::new(ManualClock::default());
    let settings = resolve(
        Env::from_pairs(&LAMBDA),
        store.clone(),
        clock,
        Overrides::default(),
    )
    .await;
    let state = build(deps(store.clone(), ShippedRules::Embedded), settings)
        .await
        .unwrap();
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
    let base = [
        ("PSOXY_SALT", "s"),
        ("PSOXY_ENCRYPTION_KEY", "k"),
        (cloud.as_str(), "cloud-1"),
    ];
    let with = |owned: &[(&str, &str)]| -> Vec<(String, String)> {
        base.iter()
            .chain(owned)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let oauth = [
        (client_id.as_str(), "id"),
        (client_secret.as_str(), "secret"),
        (refresh.as_str(), "rt"),
    ];
    // (label, store contents, denied names, what `missing` must be, token source is OAuth)
    type Case = (
        &'static str,
        Vec<(String, String)>,
        Vec<String>,
        Vec<&'static str>,
        bool,
    );
    let cases: Vec<Case> = vec![
        (
            "OAuth client and refresh token",
            with(&oauth),
            vec![],
            vec![],
            true,
        ),
        (
            "static access token only",
            with(&[(&instance("ACCESS_TOKEN"), "at")]),
            vec![],
            vec![],
            false,
        ),
        (
            "refresh token still a Terraform placeholder",
            with(&[
                (&client_id, "id"),
                (&client_secret, "secret"),
                (&refresh, "fill me"),
            ]),
            vec![],
            vec!["REFRESH_TOKEN"],
            true,
        ),
        (
            "refresh token denied counts as configured (reported where it is used)",
            with(&oauth),
            vec![refresh.clone()],
            vec![],
            true,
        ),
        (
            "refresh token without a client",
            with(&[(&refresh, "rt")]),
            vec![],
            vec!["CLIENT_ID", "CLIENT_SECRET"],
            true,
        ),
    ];
    for (label, values, denied, missing, oauth) in cases {
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let denied: Vec<&str> = denied.iter().map(String::as_str).collect();
        let (state, store) = cold_start(&pairs, &denied).await;
        assert_eq!(state.settings.missing, missing, "{label}");
        let is_oauth = matches!(state.settings.tokens, config::TokenSource::OAuth { .. });
        assert_eq!(is_oauth, oauth, "{label}");
        assert_eq!(store.batches().len(), 1, "{label}: one wave of reads");
        assert_eq!(store.single_reads(), 0, "{label}: no read outside the wave");
        assert_eq!(state.tokens.status().await.is_some(), oauth, "{label}");
    }
}

const ONE_ENDPOINT: &str = "endpoints:\n  - pathTemplate: /wiki/api/v2/spaces\n";

#[tokio::test]
async fn custom_rules_replace_the_shipped_rules_and_failures_fail_closed() {
    let custom = ["endpoints:", "  - pathTemplate: /a", "  - pathTemplate: /b"].join("\n");
    let flag = ["endpoints:", "  - pathTemplate: /c"].join("\n");
    let rules_parameter = instance("RULES");
    // (label, store contents, `serve --rules` override, shipped rules, expected endpoints
    // or the origin the error names)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, &'a str)>,
        Option<&'a str>,
        &'a str,
        Result<usize, &'a str>,
    );
    let cases: [Case; 5] = [
        (
            "no RULES parameter: the shipped rules",
            vec![],
            None,
            ONE_ENDPOINT,
            Ok(1),
        ),
        (
            "a RULES parameter wins",
            vec![(rules_parameter.as_str(), custom.as_str())],
            None,
            ONE_ENDPOINT,
            Ok(2),
        ),
        (
            "a rules file on the command line wins over RULES",
            vec![(rules_parameter.as_str(), custom.as_str())],
            Some(flag.as_str()),
            ONE_ENDPOINT,
            Ok(1),
        ),
        (
            "shipped rules that fail stay a failure",
            vec![],
            None,
            "endpoints: [",
            Err("shipped.yaml"),
        ),
        (
            "custom rules that fail stay a failure",
            vec![(rules_parameter.as_str(), "endpoints: [")],
            None,
            ONE_ENDPOINT,
            Err("PSOXY_CONFLUENCE_CLOUD_RULES"),
        ),
    ];
    for (label, extra, flag, shipped_text, expected) in cases {
        let mut values = vec![("PSOXY_SALT", "s")];
        values.extend(extra);
        let store = BatchStore::new(&values, &[], false);
        let overrides = Overrides {
            rules: flag.map(|yaml| RulesChoice::Custom {
                origin: "flag.yaml".into(),
                yaml: yaml.into(),
            }),
        };
        let clock = Arc::new(ManualClock::default());
        let settings = resolve(Env::from_pairs(&LAMBDA), store.clone(), clock, overrides).await;
        let shipped_text = shipped_text.to_owned();
        let shipped = ShippedRules::Pending(Box::pin(async move {
            compile_rules(("shipped.yaml", &shipped_text))
        }));
        let state = build(deps(store, shipped), settings).await.unwrap();
        match (&state.rules, expected) {
            (Ok(rules), Ok(count)) => assert_eq!(rules.endpoints.len(), count, "{label}"),
            (Err(message), Err(origin)) => assert!(message.contains(origin), "{label}: {message}"),
            (got, _) => panic!("{label}: unexpected {got:?}"),
        }
        let custom = label.contains("wins") || label.starts_with("custom");
        assert_eq!(state.custom_rules(), custom, "{label}");
    }
}

/// Lambda with the `PSEUDOPROXY_SECRETS_FILE` fixture (what `cargo lambda watch` runs):
/// the state is built from the file's parameters with the shipped rules.
#[tokio::test]
async fn lambda_with_a_secrets_file_builds_a_serving_state() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("secrets.json");
    let prefix = "PSOXY_CONFLUENCE_CLOUD_";
    let secrets = serde_json::json!({
        "PSOXY_SALT": "file-salt",
        "PSOXY_ENCRYPTION_KEY": "file-key",
        format!("{prefix}ACCESS_TOKEN"): "file-token",
        format!("{prefix}CONFLUENCE_CLOUD_ID"): "cloud-1",
    });
    std::fs::write(&file, secrets.to_string()).unwrap();
    let env = Env::from_pairs(&LAMBDA).with("PSEUDOPROXY_SECRETS_FILE", file.to_str().unwrap());
    let state = lambda_state_from(env).await.unwrap();
    assert!(
        state.settings.missing.is_empty(),
        "{:?}",
        state.settings.missing
    );
    assert_eq!(state.settings.pseudonym.salt, "file-salt");
    assert_eq!(
        state.settings.confluence_cloud_id.as_deref(),
        Some("cloud-1")
    );
    assert!(state.rules.is_ok() && !state.custom_rules());
    assert_eq!(state.tokens.bearer().await.unwrap(), "file-token");
    let missing_file = Env::from_pairs(&LAMBDA).with("PSEUDOPROXY_SECRETS_FILE", "/nonexistent/x");
    assert!(lambda_state_from(missing_file).await.is_err());
}

/// The shipped rules issue `p~` tokens for personal space keys: without the key the
/// deployment is incomplete from the start (named by the health check), not broken on the
/// first personal space.
#[tokio::test]
async fn rules_that_issue_reversible_pseudonyms_make_the_key_required() {
    let oauth = [
        (instance("CLIENT_ID"), "id"),
        (instance("CLIENT_SECRET"), "secret"),
        (instance("REFRESH_TOKEN"), "rt"),
    ];
    let mut values: Vec<(&str, &str)> = oauth.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    values.push(("PSOXY_SALT", "s"));
    let (state, _) = cold_start(&values, &[]).await;
    assert!(state.rules.as_ref().unwrap().issues_reversible_pseudonyms());
    assert_eq!(state.settings.missing, ["PSOXY_ENCRYPTION_KEY"]);
    values.push(("PSOXY_ENCRYPTION_KEY", "k"));
    let (state, _) = cold_start(&values, &[]).await;
    assert!(
        state.settings.missing.is_empty(),
        "{:?}",
        state.settings.missing
    );
}

#[test]
fn the_lambda_runtime_variables_are_named_when_missing_or_unusable() {
    let complete = Env::from_pairs(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
    ]);
    let with = |name: &str, value: &str| complete.clone().with(name, value);
    let cases: [(&str, Env, &[&str]); 6] = [
        ("complete", complete.clone(), &[]),
        (
            "no name",
            complete.clone().without("AWS_LAMBDA_FUNCTION_NAME"),
            &["AWS_LAMBDA_FUNCTION_NAME is unset or empty"],
        ),
        (
            "empty version",
            with("AWS_LAMBDA_FUNCTION_VERSION", ""),
            &["AWS_LAMBDA_FUNCTION_VERSION is unset or empty"],
        ),
        (
            "memory not a number",
            with("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256MB"),
            &["AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not a whole number of megabytes"],
        ),
        (
            "runtime API not an address",
            with("AWS_LAMBDA_RUNTIME_API", "not an address"),
            &["AWS_LAMBDA_RUNTIME_API is not a host:port address"],
        ),
        (
            "only the runtime API (a hand-started binary)",
            Env::from_pairs(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]),
            &[
                "AWS_LAMBDA_FUNCTION_NAME is unset or empty",
                "AWS_LAMBDA_FUNCTION_VERSION is unset or empty",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE is unset or empty",
            ],
        ),
    ];
    for (case, env, expected) in cases {
        assert_eq!(lambda_runtime_env_problems(&env), expected, "{case}");
    }
}
