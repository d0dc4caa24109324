//! Building an [`AppState`] for the two front doors from real configuration.
//!
//! Settings come from [`ConfigResolver`] (environment → instance parameter → shared
//! parameter, caching, `fill me`; proxy runtime spec §4); secrets from SSM on Lambda and
//! from the local file store for `serve`. Bearer tokens come from the OAuth token manager
//! (`crate::auth`) when an OAuth client is configured, else from a static `ACCESS_TOKEN`.
//!
//! Invariant: missing or invalid settings never stop the app: they are listed by name in
//! `ProxySettings::missing`, so every request gets 500 `CONNECTION_SETUP` and the health
//! check says why.

use std::sync::Arc;
use std::time::Duration;

use super::tokens::{AccessTokens, StaticAccessToken};
use super::{AppState, ReqwestUpstream, Upstream};
use crate::auth::manager::{ClientCredentials, ParameterNames};
use crate::auth::{ManagerConfig, TokenEndpoint, TokenManager, names};
use crate::config::settings::{
    DEFAULT_REQUEST_TIMEOUT_SECONDS, DEFAULT_SOURCE, DEFAULT_TARGET_HOST, SETTINGS_READ,
};
use crate::config::{AuthSettings, Clock, ConfigResolver, Env, ProxySettings, SystemClock};
use crate::pseudonym::PseudonymConfig;
use crate::secrets::{MemoryStore, SecretStore, SsmStore};

/// The shipped Confluence rules, embedded so the binary works anywhere.
pub const DEFAULT_RULES: (&str, &str) = (
    "confluence.yaml",
    include_str!("../../rules/confluence.yaml"),
);

/// The app state for `env` and `store` with the system clock and production tunables.
/// `rules_file` (origin, text) replaces any configured rules (`serve --rules`).
pub async fn state_for(
    env: Env,
    store: Arc<dyn SecretStore>,
    upstream: Arc<dyn Upstream>,
    rules_file: Option<(String, String)>,
) -> AppState {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    state_with(
        env,
        store,
        upstream,
        rules_file,
        clock,
        ManagerConfig::default(),
    )
    .await
}

/// [`state_for`] with an injected clock and token-manager tunables (tests). Settings are
/// resolved once at start-up; bearer tokens come from [`token_source`].
pub async fn state_with(
    env: Env,
    store: Arc<dyn SecretStore>,
    upstream: Arc<dyn Upstream>,
    rules_file: Option<(String, String)>,
    clock: Arc<dyn Clock>,
    tuning: ManagerConfig,
) -> AppState {
    let (settings, tokens) = settings_and_tokens(env, store, rules_file, clock, tuning).await;
    AppState::new(settings, DEFAULT_RULES, upstream, tokens)
}

/// The settings (resolved once) and the token source of a new [`AppState`].
async fn settings_and_tokens(
    env: Env,
    store: Arc<dyn SecretStore>,
    rules_file: Option<(String, String)>,
    clock: Arc<dyn Clock>,
    tuning: ManagerConfig,
) -> (ProxySettings, Arc<dyn AccessTokens>) {
    let resolver = ConfigResolver::new(env, store.clone(), clock);
    // One wave of store reads for everything start-up resolves; the reads below then
    // find their values cached (a cold start waits for one round trip, not four).
    resolver.prefetch(&startup_reads()).await;
    let mut settings = match resolver.settings().await {
        Ok(settings) => settings,
        // The error names the setting, never its value.
        Err(problem) => unusable_settings(problem.to_string()),
    };
    if rules_file.is_some() {
        settings.custom_rules = rules_file;
    }
    let tokens = token_source(&resolver, &mut settings, tuning).await;
    (settings, tokens)
}

/// Every setting start-up reads: the pipeline's settings, then what [`token_source`]
/// reads to choose and build the token source.
fn startup_reads() -> Vec<&'static str> {
    let oauth = [names::CLIENT_ID, names::CLIENT_SECRET, names::REFRESH_TOKEN];
    SETTINGS_READ.iter().chain(&oauth).copied().collect()
}

/// The OAuth [`TokenManager`] under `oauth2_refresh_token` when an OAuth client or a
/// refresh token is configured (absent pieces are added to `settings.missing` by name);
/// otherwise — no `CLIENT_ID` and no `REFRESH_TOKEN`, as with `serve --demo` or a
/// hand-placed token — a [`StaticAccessToken`] reading `ACCESS_TOKEN` on each request.
pub async fn token_source(
    resolver: &ConfigResolver,
    settings: &mut ProxySettings,
    mut tuning: ManagerConfig,
) -> Arc<dyn AccessTokens> {
    let store = resolver.store().clone();
    let static_token = || -> Arc<dyn AccessTokens> {
        Arc::new(StaticAccessToken::new(
            store.clone(),
            resolver.instance_name(names::ACCESS_TOKEN),
        ))
    };
    if settings.auth.strategy != "oauth2_refresh_token" {
        return static_token();
    }
    let lookup = |short: &'static str| async move {
        match resolver.get(short).await {
            Ok(value) => (short, Ok(value)),
            Err(e) => (short, Err(e)),
        }
    };
    let (client_id, client_secret) = (
        lookup(names::CLIENT_ID).await,
        lookup(names::CLIENT_SECRET).await,
    );
    // A store error here counts as "configured": the manager reports it per request.
    let refresh_present = resolver
        .instance_parameter_configured(names::REFRESH_TOKEN)
        .await;
    if matches!(client_id.1, Ok(None)) && !refresh_present {
        return static_token();
    }
    let mut value_of = |(short, found): (&str, Result<Option<String>, _>)| match found {
        Ok(Some(value)) => value,
        Ok(None) => {
            settings.missing.push(short.to_owned());
            String::new()
        }
        Err(error) => {
            settings
                .missing
                .push(format!("{short} (unreadable at start-up: {error})"));
            String::new()
        }
    };
    let client = ClientCredentials {
        id: value_of(client_id),
        secret: value_of(client_secret),
    };
    if !refresh_present {
        settings.missing.push(names::REFRESH_TOKEN.to_owned());
    }
    tuning.use_shared_token = settings.auth.use_shared_token;
    let endpoint =
        match TokenEndpoint::new(settings.auth.refresh_endpoint.clone(), tuning.token_timeout) {
            Ok(endpoint) => endpoint,
            Err(error) => {
                settings.missing.push(format!("REFRESH_ENDPOINT ({error})"));
                return static_token();
            }
        };
    let names = ParameterNames::with(|short| resolver.instance_name(short));
    Arc::new(TokenManager::new(
        store.clone(),
        resolver.clock().clone(),
        endpoint,
        names,
        client,
        tuning,
    ))
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
///
/// The shipped rules are compiled on the blocking pool meanwhile: CPU work that overlaps
/// building the SSM client and waiting for the settings (a custom `RULES` parameter, known
/// only then, replaces them and is compiled after).
pub async fn lambda_state() -> Result<AppState, String> {
    let shipped_rules = tokio::task::spawn_blocking(|| super::compile_rules(DEFAULT_RULES));
    let env = Env::from_process();
    let store: Arc<dyn SecretStore> = match env.get("PSEUDOPROXY_SECRETS_FILE") {
        Some(path) => Arc::new(memory_store_from_file(std::path::Path::new(path))?),
        None => Arc::new(SsmStore::from_env(&env).await),
    };
    let upstream: Arc<dyn Upstream> = Arc::new(ReqwestUpstream::new().map_err(|e| e.to_string())?);
    let shipped_rules = async {
        // A panic while compiling is a rules failure (500 RULES_INVALID), never a pass.
        shipped_rules
            .await
            .unwrap_or_else(|e| Err(format!("compiling the shipped rules failed: {e}")))
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tuning = ManagerConfig::default();
    Ok(state_with_shipped_rules(env, store, upstream, clock, tuning, shipped_rules).await)
}

/// [`state_with`] whose shipped rules are being compiled elsewhere (`shipped_rules`):
/// awaited only when no custom `RULES` replace them.
pub(crate) async fn state_with_shipped_rules(
    env: Env,
    store: Arc<dyn SecretStore>,
    upstream: Arc<dyn Upstream>,
    clock: Arc<dyn Clock>,
    tuning: ManagerConfig,
    shipped_rules: impl std::future::Future<Output = super::CompiledRules>,
) -> AppState {
    let (settings, tokens) = settings_and_tokens(env, store, None, clock, tuning).await;
    let rules = match &settings.custom_rules {
        Some((origin, text)) => super::compile_rules((origin, text)),
        None => shipped_rules.await,
    };
    AppState::with_rules(settings, rules, upstream, tokens)
}

#[cfg(test)]
#[path = "bootstrap_tests.rs"]
mod tests;
