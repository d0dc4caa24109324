//! Proxy configuration: what one deployment is set to do (proxy runtime spec §4).
//!
//! [`ProxySettings`] is plain data, the contract between configuration resolution
//! (environment → instance parameter → shared parameter, with caching) and the request
//! pipeline. Secrets inside it (salt, keys) are never printed: `Debug` is redacted.

mod cache;
mod clock;
mod env;
mod error;
pub mod names;
pub mod parse;
pub mod resolve;
pub mod rules_param;
pub mod settings;

use std::time::Duration;

use ipnet::IpNet;

pub use clock::{Clock, ManualClock, SystemClock};
pub use env::Env;
pub use error::ConfigError;
pub use names::full_name;
pub use resolve::{ConfigResolver, INSTANCE_TTL, SHARED_TTL};

use crate::pseudonym::PseudonymConfig;

/// Everything the request pipeline needs to know about its deployment.
#[derive(Clone)]
pub struct ProxySettings {
    /// `SOURCE` (default `confluence`).
    pub source: String,
    /// Base URL of the upstream API, e.g. `https://api.atlassian.com` (from `TARGET_HOST`,
    /// which must be https in Lambda; `serve --upstream` and tests may point anywhere).
    pub upstream_base: String,
    /// `REQUEST_TIMEOUT_SECONDS` (default 55).
    pub request_timeout: Duration,
    /// `IS_DEVELOPMENT_MODE`.
    pub development_mode: bool,
    /// `CONFLUENCE_CLOUD_ID`: `/wiki/...` is served as `/ex/confluence/<id>/wiki/...`.
    pub confluence_cloud_id: Option<String>,
    /// `ALLOWED_DATA_ACCESS_IP_BLOCKS`, parsed; `None` = no IP allow-list.
    pub allowed_ip_blocks: Option<Vec<IpNet>>,
    /// `ALLOWED_CALLER_ARNS`; `None` = any IAM caller the function URL admitted.
    pub allowed_caller_arns: Option<Vec<String>>,
    /// A path prefix to strip before matching (API-Gateway style routes).
    pub path_prefix: Option<String>,
    /// The function name (Lambda), stripped when it is the first path segment.
    pub function_name: Option<String>,
    /// Salt, keys and email options for pseudonyms.
    pub pseudonym: PseudonymConfig,
    /// Custom rules (`RULES` parameter, already decoded), with a name for diagnostics.
    pub custom_rules: Option<(String, String)>,
    /// OAuth settings (`SOURCE_AUTH_STRATEGY_IDENTIFIER`, `GRANT_TYPE`, `REFRESH_ENDPOINT`,
    /// `USE_SHARED_TOKEN`).
    pub auth: AuthSettings,
    /// Names of required settings that are missing (reported by the health check and as
    /// 500 `CONNECTION_SETUP`; names only, never values).
    pub missing: Vec<String>,
    /// Non-fatal configuration warnings for the health check.
    pub warnings: Vec<String>,
}

/// OAuth strategy settings (values are not secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    pub strategy: String,
    pub grant_type: String,
    pub refresh_endpoint: String,
    pub use_shared_token: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            strategy: "oauth2_refresh_token".into(),
            grant_type: "refresh_token".into(),
            refresh_endpoint: "https://auth.atlassian.com/oauth/token".into(),
            use_shared_token: true,
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
