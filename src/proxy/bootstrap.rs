//! Building an [`AppState`] for the two front doors from real configuration.
//!
//! Settings come from [`ConfigResolver`] (environment → instance parameter → shared
//! parameter, caching, `fill me`; proxy runtime spec §4); secrets from SSM on Lambda and
//! from the local file store for `serve`.
//!
//! Invariant: missing or invalid settings never stop the app: they are listed by name in
//! `ProxySettings::missing`, so every request gets 500 `CONNECTION_SETUP` and the health
//! check says why.

use std::sync::Arc;
use std::time::Duration;

use super::tokens::StaticAccessToken;
use super::{AppState, ReqwestUpstream, Upstream};
use crate::config::settings::{
    DEFAULT_REQUEST_TIMEOUT_SECONDS, DEFAULT_SOURCE, DEFAULT_TARGET_HOST,
};
use crate::config::{AuthSettings, ConfigResolver, Env, ProxySettings, SystemClock};
use crate::pseudonym::PseudonymConfig;
use crate::secrets::{MemoryStore, SecretStore, SsmStore};

/// The shipped Confluence rules, embedded so the binary works anywhere.
pub const DEFAULT_RULES: (&str, &str) = (
    "confluence.yaml",
    include_str!("../../rules/confluence.yaml"),
);

/// The app state for `env` and `store`: settings resolved once at start-up, the access
/// token read from the store's instance parameter `ACCESS_TOKEN` on each request.
/// `rules_file` (origin, text) replaces any configured rules (`serve --rules`).
pub async fn state_for(
    env: Env,
    store: Arc<dyn SecretStore>,
    upstream: Arc<dyn Upstream>,
    rules_file: Option<(String, String)>,
) -> AppState {
    let resolver = ConfigResolver::new(env, store.clone(), Arc::new(SystemClock));
    let mut settings = match resolver.settings().await {
        Ok(settings) => settings,
        // The error names the setting, never its value.
        Err(problem) => unusable_settings(problem.to_string()),
    };
    if rules_file.is_some() {
        settings.custom_rules = rules_file;
    }
    let tokens = Arc::new(StaticAccessToken::new(
        store,
        resolver.instance_name("ACCESS_TOKEN"),
    ));
    AppState::new(settings, DEFAULT_RULES, upstream, tokens)
}

/// Settings for a deployment whose configuration could not be read: every request is
/// answered 500 `CONNECTION_SETUP` naming `problem`.
fn unusable_settings(problem: String) -> ProxySettings {
    ProxySettings {
        source: DEFAULT_SOURCE.into(),
        upstream_base: format!("https://{DEFAULT_TARGET_HOST}"),
        request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECONDS),
        development_mode: false,
        confluence_cloud_id: None,
        allowed_ip_blocks: None,
        allowed_caller_arns: None,
        path_prefix: None,
        function_name: None,
        pseudonym: PseudonymConfig::default(),
        custom_rules: None,
        auth: AuthSettings::default(),
        missing: vec![problem],
        warnings: Vec::new(),
    }
}

/// A [`MemoryStore`] seeded from a flat JSON object file `{"NAME": "value", …}`: a
/// fixture for local Lambda runs (`cargo lambda watch`) via `PSEUDOPROXY_SECRETS_FILE`.
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

/// The state for the Lambda front door: SSM Parameter Store (honouring
/// `AWS_ENDPOINT_URL[_SSM]`), or the `PSEUDOPROXY_SECRETS_FILE` fixture for local runs.
pub async fn lambda_state() -> Result<AppState, String> {
    let env = Env::from_process();
    let store: Arc<dyn SecretStore> = match env.get("PSEUDOPROXY_SECRETS_FILE") {
        Some(path) => Arc::new(memory_store_from_file(std::path::Path::new(path))?),
        None => Arc::new(SsmStore::from_env(&env).await),
    };
    let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().map_err(|e| e.to_string())?);
    Ok(state_for(env, store, upstream, None).await)
}
