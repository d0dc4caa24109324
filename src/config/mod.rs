//! Proxy configuration: what one deployment is set to do (docs/configuration.md).
//!
//! [`ProxySettings`] is plain data, the contract between configuration resolution
//! (environment → instance parameter → shared parameter, with caching) and the request
//! pipeline. Secrets inside it (salt, keys) are never printed: `Debug` is redacted.

mod cache;
mod env;
mod error;
pub(crate) mod names;
pub mod parse;
pub(crate) mod resolve;
pub(crate) mod rules_param;
pub(crate) mod settings;
mod startup;
pub mod store;

use std::time::Duration;

use ipnet::IpNet;

pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use env::Env;
pub use error::ConfigError;
pub use names::full_name;
pub use resolve::{ConfigResolver, INSTANCE_TTL, SHARED_TTL};
pub use startup::{Overrides, resolve};

use crate::pseudonym::PseudonymConfig;

/// Everything the proxy needs to know about its deployment, resolved once at start-up
/// ([`resolve`]) and never changed afterwards.
#[derive(Clone, PartialEq)]
pub struct ProxySettings {
    /// `SOURCE` (default `confluence`).
    pub source: String,
    /// Base URL of the upstream API, e.g. `https://api.atlassian.com` (from `TARGET_HOST`,
    /// which must be https in Lambda; `serve --upstream` and tests may point anywhere).
    pub upstream_base: String,
    /// `REQUEST_TIMEOUT_SECONDS` (default 180, Psoxy's).
    pub request_timeout: Duration,
    /// `IS_DEVELOPMENT_MODE`.
    pub development_mode: bool,
    /// `CONFLUENCE_CLOUD_ID`: `/wiki/...` is served as `/ex/confluence/<id>/wiki/...`.
    pub confluence_cloud_id: Option<String>,
    /// `ALLOWED_DATA_ACCESS_IP_BLOCKS`, parsed; `None` = no IP allow-list.
    pub allowed_ip_blocks: Option<Vec<IpNet>>,
    /// `ALLOWED_CALLER_ARNS`; `None` = any IAM caller the function URL admitted.
    pub allowed_caller_arns: Option<Vec<String>>,
    /// `PATH_PREFIX`: stripped from request paths that start with it (an API Gateway stage
    /// or base path mapping), e.g. `/prod`.
    pub path_prefix: Option<String>,
    /// `CUSTOM_RULES_SHA`: the SHA-1 of the custom rules this deployment means to serve.
    pub expected_rules_sha: Option<String>,
    /// The function name (Lambda), stripped when it is the first path segment.
    pub function_name: Option<String>,
    /// Salt, keys and email options for pseudonyms.
    pub pseudonym: PseudonymConfig,
    /// Which rules serve: the shipped ones, or custom ones (`RULES`, `serve --rules`).
    pub rules: RulesChoice,
    /// OAuth settings (`SOURCE_AUTH_STRATEGY_IDENTIFIER`, `GRANT_TYPE`, `REFRESH_ENDPOINT`,
    /// `USE_SHARED_TOKEN`).
    pub auth: AuthSettings,
    /// Where bearer tokens come from, decided from the strategy and what is configured.
    pub tokens: TokenSource,
    /// Names of required settings that are missing (reported by the health check and as
    /// 500 `CONNECTION_SETUP`; names only, never values).
    pub missing: Vec<String>,
    /// Non-fatal configuration warnings for the health check.
    pub warnings: Vec<String>,
    /// The latest store modification among the configuration parameters read
    /// (`configPropertiesLastModified`); `None` when everything came from the environment.
    pub config_last_modified: Option<std::time::SystemTime>,
}

/// The rules a deployment serves.
#[derive(Clone, PartialEq, Eq)]
pub enum RulesChoice {
    /// The rules shipped inside the binary (`rules/confluence.yaml`).
    Shipped,
    /// Custom rules: YAML text (already decoded) and a name for diagnostics.
    Custom { origin: String, yaml: String },
}

/// `SOURCE_AUTH_STRATEGY_IDENTIFIER`: how the proxy authenticates to the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStrategy {
    /// `oauth2_refresh_token` (the default): a rotating refresh token, refreshed by the
    /// token manager; falls back to a static `ACCESS_TOKEN` when no OAuth client and no
    /// refresh token are configured (`serve --demo`, a hand-placed token).
    OAuth2RefreshToken,
    /// `oauth2_access_token`: a static `ACCESS_TOKEN`, never refreshed.
    OAuth2AccessToken,
}

impl AuthStrategy {
    /// The identifier as configured and as the health check reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthStrategy::OAuth2RefreshToken => "oauth2_refresh_token",
            AuthStrategy::OAuth2AccessToken => "oauth2_access_token",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<AuthStrategy, String> {
        match value.trim() {
            "oauth2_refresh_token" => Ok(AuthStrategy::OAuth2RefreshToken),
            "oauth2_access_token" => Ok(AuthStrategy::OAuth2AccessToken),
            _ => Err("expected oauth2_refresh_token or oauth2_access_token".into()),
        }
    }
}

/// OAuth strategy settings (values are not secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    pub strategy: AuthStrategy,
    pub grant_type: String,
    pub refresh_endpoint: String,
    pub use_shared_token: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            strategy: AuthStrategy::OAuth2RefreshToken,
            grant_type: "refresh_token".into(),
            refresh_endpoint: "https://auth.atlassian.com/oauth/token".into(),
            use_shared_token: true,
        }
    }
}

/// Where the proxy's bearer tokens come from.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The instance parameter `ACCESS_TOKEN` (full name), read on every request.
    Static { parameter: String },
    /// The OAuth token manager: refresh, single flight, cross-instance lock, write-back.
    OAuth {
        client: ClientCredentials,
        parameters: TokenParameters,
    },
}

/// The OAuth client credentials. `Debug` shows the id only.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Full names of the instance parameters the token lifecycle reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParameters {
    pub refresh_token: String,
    pub access_token: String,
    pub family: String,
    pub lock: String,
}

impl TokenParameters {
    /// The names under an instance prefix.
    pub fn under(instance_prefix: &str) -> TokenParameters {
        TokenParameters {
            refresh_token: full_name(instance_prefix, names::REFRESH_TOKEN),
            access_token: full_name(instance_prefix, names::ACCESS_TOKEN),
            family: full_name(instance_prefix, names::TOKEN_FAMILY),
            lock: full_name(instance_prefix, names::REFRESH_LOCK),
        }
    }
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Static { parameter } => f
                .debug_struct("Static")
                .field("parameter", parameter)
                .finish(),
            TokenSource::OAuth { client, parameters } => f
                .debug_struct("OAuth")
                .field("client", client)
                .field("parameters", parameters)
                .finish(),
        }
    }
}

impl std::fmt::Debug for RulesChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RulesChoice::Shipped => f.write_str("Shipped"),
            RulesChoice::Custom { origin, .. } => f
                .debug_struct("Custom")
                .field("origin", origin)
                .finish_non_exhaustive(),
        }
    }
}

impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxySettings")
            .field("source", &self.source)
            .field("upstream_base", &self.upstream_base)
            .field("confluence_cloud_id", &self.confluence_cloud_id)
            .field("missing", &self.missing)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod prefetch_tests;
#[cfg(test)]
mod tests;
