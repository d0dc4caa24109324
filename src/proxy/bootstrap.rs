//! Building an [`AppState`] from the environment and a secret store.
//!
//! THE SEAM for configuration resolution: until the full resolver (instance → shared
//! parameters, caching, spec §4) is merged, [`settings_from_env`] reads the non-secret
//! settings from the environment and the secrets (`PSOXY_SALT`, `PSOXY_ENCRYPTION_KEY`,
//! `RULES`) from the store once, under the Psoxy parameter names. Replace its body, not
//! its callers. Likewise [`lambda_secret_store`] is where the SSM store plugs in.
//!
//! Invariant: missing or invalid settings never stop the app: they are listed by name in
//! `ProxySettings::missing`, so every request gets 500 `CONNECTION_SETUP` and the health
//! check says why.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;

use super::caller::parse_ip_blocks;
use super::tokens::{FILL_ME, StaticAccessToken};
use super::{AppState, ReqwestUpstream, Upstream};
use crate::config::{AuthSettings, ProxySettings};
use crate::pseudonym::PseudonymConfig;
use crate::secrets::{MemoryStore, SecretStore};

/// The shipped Confluence rules, embedded so the binary works anywhere.
pub const DEFAULT_RULES: (&str, &str) = (
    "confluence.yaml",
    include_str!("../../rules/confluence.yaml"),
);

/// Reads one environment variable; a closure in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with `fill me` and blank values treated as absent.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| present(v))
}

fn present(value: &str) -> bool {
    !value.trim().is_empty() && value.trim() != FILL_ME
}

/// Instance parameter prefix (spec §4).
pub fn instance_prefix(env: Env) -> String {
    let raw = env("PATH_TO_INSTANCE_CONFIG").unwrap_or_else(|| {
        env("AWS_LAMBDA_FUNCTION_NAME")
            .map(|name| format!("{}_", name.to_ascii_uppercase().replace('-', "_")))
            .unwrap_or_default()
    });
    with_leading_slash(raw)
}

/// Shared parameter prefix (spec §4).
pub fn shared_prefix(env: Env) -> String {
    with_leading_slash(env("PATH_TO_SHARED_CONFIG").unwrap_or_default())
}

fn with_leading_slash(prefix: String) -> String {
    match prefix.contains('/') && !prefix.starts_with('/') {
        true => format!("/{prefix}"),
        false => prefix,
    }
}

async fn secret(store: &dyn SecretStore, name: &str, missing: &mut Vec<String>) -> Option<String> {
    match store.get(name).await {
        Ok(Some(p)) if present(&p.value) => Some(p.value),
        Ok(_) | Err(crate::secrets::SecretError::AccessDenied { .. }) => None,
        Err(e) => {
            missing.push(format!("{name} (store unavailable: {})", e.is_transient()));
            None
        }
    }
}

/// Non-secret settings from `env`, secrets from `store` (see the module doc).
pub async fn settings_from_env(env: Env<'_>, store: &dyn SecretStore) -> ProxySettings {
    let (instance, shared) = (instance_prefix(env), shared_prefix(env));
    let mut missing = Vec::new();
    let mut warnings = Vec::new();
    let salt_name = format!("{shared}PSOXY_SALT");
    let salt = secret(store, &salt_name, &mut missing).await;
    if salt.is_none() {
        missing.push(salt_name);
    }
    let key = secret(
        store,
        &format!("{shared}PSOXY_ENCRYPTION_KEY"),
        &mut missing,
    )
    .await;
    let mut pseudonym = PseudonymConfig {
        salt: salt.unwrap_or_default(),
        encryption_key: key,
        ..PseudonymConfig::default()
    };
    parse_into(
        env,
        "EMAIL_CANONICALIZATION",
        &mut pseudonym.email_canonicalization,
        &mut missing,
    );
    parse_into(
        env,
        "EMAIL_DOMAIN_HANDLING",
        &mut pseudonym.email_domain_handling,
        &mut missing,
    );
    let rules_name = format!("{instance}RULES");
    let custom_rules = match secret(store, &rules_name, &mut missing).await {
        Some(text) => match decode_rules(&text) {
            Some(yaml) => Some((rules_name, yaml)),
            None => {
                missing.push(format!(
                    "{rules_name} (not YAML, base64 YAML or base64 gzip YAML)"
                ));
                None
            }
        },
        None => None,
    };
    let upstream_base = upstream_base(env, &mut missing);
    let allowed_ip_blocks = env("ALLOWED_DATA_ACCESS_IP_BLOCKS").and_then(|csv| {
        parse_ip_blocks(&csv)
            .map_err(|why| missing.push(format!("ALLOWED_DATA_ACCESS_IP_BLOCKS ({why})")))
            .ok()
    });
    let allowed_caller_arns = env("ALLOWED_CALLER_ARNS").map(|csv| {
        csv.split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let timeout = env("REQUEST_TIMEOUT_SECONDS").map_or(Some(55), |v| v.trim().parse().ok());
    if timeout.is_none() {
        warnings.push("REQUEST_TIMEOUT_SECONDS is not a number; using 55".to_owned());
    }
    let defaults = AuthSettings::default();
    ProxySettings {
        source: env("SOURCE").unwrap_or_else(|| "confluence".to_owned()),
        upstream_base,
        request_timeout: Duration::from_secs(timeout.unwrap_or(55)),
        development_mode: env("IS_DEVELOPMENT_MODE")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        confluence_cloud_id: env("CONFLUENCE_CLOUD_ID"),
        allowed_ip_blocks,
        allowed_caller_arns,
        path_prefix: None,
        function_name: env("AWS_LAMBDA_FUNCTION_NAME"),
        pseudonym,
        custom_rules,
        auth: AuthSettings {
            strategy: env("SOURCE_AUTH_STRATEGY_IDENTIFIER").unwrap_or(defaults.strategy),
            grant_type: env("GRANT_TYPE").unwrap_or(defaults.grant_type),
            refresh_endpoint: env("REFRESH_ENDPOINT").unwrap_or(defaults.refresh_endpoint),
            use_shared_token: env("USE_SHARED_TOKEN")
                .is_none_or(|v| v.eq_ignore_ascii_case("true")),
        },
        missing,
        warnings,
    }
}

fn parse_into<T: std::str::FromStr>(env: Env, name: &str, slot: &mut T, missing: &mut Vec<String>) {
    if let Some(value) = env(name) {
        match value.trim().parse() {
            Ok(parsed) => *slot = parsed,
            Err(_) => missing.push(format!("{name} (unknown value)")),
        }
    }
}

/// `TARGET_HOST` as a base URL. Must be https, except a loopback host (local testing).
fn upstream_base(env: Env, missing: &mut Vec<String>) -> String {
    let host = env("TARGET_HOST").unwrap_or_else(|| "api.atlassian.com".to_owned());
    let base = match host.contains("://") {
        true => host.trim_end_matches('/').to_owned(),
        false => format!("https://{}", host.trim_end_matches('/')),
    };
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            base.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
        });
    if !base.starts_with("https://") && !loopback {
        missing.push("TARGET_HOST (must be https)".to_owned());
    }
    base
}

/// `RULES`: plain YAML, base64 YAML or base64 gzip YAML.
pub fn decode_rules(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact) else {
        return Some(text.to_owned());
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .take(16 * 1024 * 1024)
            .read_to_string(&mut out)
            .ok()?;
        return Some(out);
    }
    String::from_utf8(bytes).ok()
}

/// A [`MemoryStore`] seeded from a JSON object file `{"NAME": "value", …}`.
pub fn memory_store_from_file(path: &std::path::Path) -> Result<MemoryStore, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read secrets file {}: {e}", path.display()))?;
    let values: std::collections::BTreeMap<String, String> = serde_json::from_str(&text)
        .map_err(|_| format!("{} is not a JSON object of strings", path.display()))?;
    let pairs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    Ok(MemoryStore::with(&pairs))
}

/// The secret store on Lambda. SEAM: the SSM store replaces this. Until then a file named
/// by `PSEUDOPROXY_SECRETS_FILE` (local testing with `cargo lambda watch`) or nothing.
pub fn lambda_secret_store() -> Result<Arc<dyn SecretStore>, String> {
    match process_env("PSEUDOPROXY_SECRETS_FILE") {
        Some(path) => Ok(Arc::new(memory_store_from_file(std::path::Path::new(
            &path,
        ))?)),
        None => Ok(Arc::new(MemoryStore::with(&[]))),
    }
}

/// The state for the Lambda front door.
pub async fn lambda_state() -> Result<AppState, String> {
    let store = lambda_secret_store()?;
    let env = process_env;
    let settings = settings_from_env(&env, store.as_ref()).await;
    let token_parameter = format!("{}ACCESS_TOKEN", instance_prefix(&env));
    let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().map_err(|e| e.to_string())?);
    let tokens = Arc::new(StaticAccessToken::new(store, token_parameter));
    Ok(AppState::new(settings, DEFAULT_RULES, upstream, tokens))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("AWS_LAMBDA_FUNCTION_NAME", "psoxy-confluence-cloud")],
                "PSOXY_CONFLUENCE_CLOUD_",
            ),
            (
                vec![("PATH_TO_INSTANCE_CONFIG", "psoxy/confluence/")],
                "/psoxy/confluence/",
            ),
            (vec![("PATH_TO_INSTANCE_CONFIG", "X_")], "X_"),
            (vec![], ""),
        ];
        for (vars, expected) in cases {
            let env = move |n: &str| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            };
            assert_eq!(instance_prefix(&env), expected);
        }
    }

    #[tokio::test]
    async fn settings_read_secrets_and_report_missing_names() {
        let store = MemoryStore::with(&[("PSOXY_ENCRYPTION_KEY", "fill me")]);
        let env = |n: &str| match n {
            "TARGET_HOST" => Some("http://example.com".to_owned()),
            "ALLOWED_DATA_ACCESS_IP_BLOCKS" => Some("10.0.0.0/8,nope".to_owned()),
            _ => None,
        };
        let settings = settings_from_env(&env, &store).await;
        assert!(
            settings.pseudonym.encryption_key.is_none(),
            "fill me is absent"
        );
        let missing = settings.missing.join("|");
        for name in ["PSOXY_SALT", "TARGET_HOST", "ALLOWED_DATA_ACCESS_IP_BLOCKS"] {
            assert!(missing.contains(name), "{missing}");
        }
        let store = MemoryStore::with(&[("PSOXY_SALT", "s")]);
        let local = |n: &str| (n == "TARGET_HOST").then(|| "http://127.0.0.1:9".to_owned());
        let settings = settings_from_env(&local, &store).await;
        assert!(settings.missing.is_empty(), "{:?}", settings.missing);
        assert_eq!(settings.upstream_base, "http://127.0.0.1:9");
    }

    #[test]
    fn rules_encodings() {
        let yaml = "endpoints: []\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(yaml);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, yaml.as_bytes()).unwrap();
        let b64gz = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        for input in [yaml.to_owned(), b64, b64gz] {
            assert_eq!(decode_rules(&input).as_deref(), Some(yaml), "{input}");
        }
    }
}
