//! [`resolve`]: the one place a deployment's settings are decided, once, at start-up.
//!
//! Reads every setting start-up needs in one wave of store reads, then assembles the
//! complete [`ProxySettings`] — the rules to serve (an override such as `serve --rules`
//! wins over `RULES`), the OAuth strategy and the token source included. Nothing patches
//! the result afterwards: the proxy builds its state from it as it is.
//!
//! Invariant: resolution never fails. A deployment whose configuration cannot be read
//! gets settings that name the problem in `missing`, so every request is answered 500
//! `CONNECTION_SETUP` and the health check says why (by name, never by value).

use std::sync::Arc;
use std::time::Duration;

use super::names::ACCESS_TOKEN;
use super::settings::{DEFAULT_REQUEST_TIMEOUT_SECONDS, DEFAULT_SOURCE, DEFAULT_TARGET_HOST};
use super::{AuthSettings, Clock, ConfigResolver, Env, ProxySettings, RulesChoice, TokenSource};
use crate::pseudonym::PseudonymConfig;
use crate::secrets::SecretStore;

/// What the command line decides over the configured settings.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Rules given on the command line (`serve --rules FILE`): win over `RULES`.
    pub rules: Option<RulesChoice>,
}

/// The settings of the deployment `env` and `store` describe, read through a resolver
/// with time from `clock`.
pub async fn resolve(
    env: Env,
    store: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    overrides: Overrides,
) -> ProxySettings {
    let resolver = ConfigResolver::new(env, store, clock);
    let settings = match resolver.settings().await {
        Ok(settings) => settings,
        // The error names the setting, never its value.
        Err(problem) => unusable(&resolver, problem.to_string()),
    };
    match overrides.rules {
        Some(rules) => ProxySettings { rules, ..settings },
        None => settings,
    }
}

/// Settings for a deployment whose configuration could not be read: every request is
/// answered 500 `CONNECTION_SETUP` naming `problem`.
fn unusable(resolver: &ConfigResolver, problem: String) -> ProxySettings {
    ProxySettings {
        source: DEFAULT_SOURCE.into(),
        upstream_base: format!("https://{DEFAULT_TARGET_HOST}"),
        request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECONDS),
        development_mode: false,
        confluence_cloud_id: None,
        allowed_ip_blocks: None,
        allowed_caller_arns: None,
        path_prefix: None,
        expected_rules_sha: None,
        function_name: None,
        pseudonym: PseudonymConfig::default(),
        rules: RulesChoice::Shipped,
        auth: AuthSettings::default(),
        tokens: TokenSource::Static {
            parameter: resolver.instance_name(ACCESS_TOKEN),
        },
        missing: vec![problem],
        warnings: Vec::new(),
        config_last_modified: None,
    }
}
