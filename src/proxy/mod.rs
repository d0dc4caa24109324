//! The proxy: one request pipeline for Lambda, `serve` and tests (proxy runtime spec).
//!
//! I/O EDGE. [`app`] is the axum `Router` of the whole pipeline (`pipeline`); [`AppState`]
//! is everything it needs, built once. The seams to the outside world are traits:
//! [`Upstream`] (the source API) and [`AccessTokens`] (bearer tokens). Errors are one
//! enum, [`ProxyError`], mapped to status + `X-Psoxy-Error` at the edge.
//!
//! Invariant: a request that fails any check before the upstream call never reaches the
//! upstream; nothing but sanitized output (or a short public message) leaves the proxy.

mod audit;
pub mod bootstrap;
mod caller;
mod echo;
mod error;
mod health;
pub mod logging;
mod pipeline;
mod respond;
mod target;
mod tokens;
mod upstream;

use std::sync::Arc;

pub use caller::{arn_matches, ip_allowed};
pub use error::{ERROR_HEADER, ProxyError};
pub use respond::{GZIP_MIN_BYTES, MAX_ERROR_BODY, MAX_RESPONSE_BYTES};
pub use tokens::{AccessTokens, FILL_ME, StaticAccessToken, TokenError, parse_stored_token};
pub use upstream::{
    MAX_UPSTREAM_BODY, ReqwestUpstream, Upstream, UpstreamError, UpstreamRequest, UpstreamResponse,
};

use crate::config::ProxySettings;
use crate::pseudonym::Pseudonymizer;
use crate::rules::RuleSet;

/// Our version, as sent in `X-Psoxy-Psoxy-Version` and `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything the pipeline needs; built once, shared by every request.
#[derive(Debug)]
pub struct AppState {
    pub settings: ProxySettings,
    /// The compiled rules, or why they failed to load (every request then gets 500
    /// `RULES_INVALID`; the health check shows the reason).
    pub rules: Result<Arc<RuleSet>, String>,
    /// Whether the rules came from the `RULES` parameter rather than the shipped file.
    pub custom_rules: bool,
    pub pseudonymizer: Pseudonymizer,
    pub upstream: Arc<dyn Upstream>,
    pub tokens: Arc<dyn AccessTokens>,
    /// `serve` on a non-loopback address: the bearer token every request must carry.
    pub local_auth_token: Option<String>,
}

impl AppState {
    /// Compiles the rules (custom ones from `settings.custom_rules` win over `default`,
    /// given as `(origin, yaml)`) and builds the pseudonymizer.
    pub fn new(
        settings: ProxySettings,
        default_rules: (&str, &str),
        upstream: Arc<dyn Upstream>,
        tokens: Arc<dyn AccessTokens>,
    ) -> AppState {
        let rules = match &settings.custom_rules {
            Some((origin, text)) => compile_rules((origin, text)),
            None => compile_rules(default_rules),
        };
        AppState::with_rules(settings, rules, upstream, tokens)
    }

    /// [`AppState::new`] with the rules already compiled (by the caller, for these
    /// settings: the custom ones when `settings.custom_rules` is set).
    pub fn with_rules(
        settings: ProxySettings,
        rules: CompiledRules,
        upstream: Arc<dyn Upstream>,
        tokens: Arc<dyn AccessTokens>,
    ) -> AppState {
        let custom_rules = settings.custom_rules.is_some();
        let pseudonymizer = Pseudonymizer::new(settings.pseudonym.clone());
        AppState {
            settings,
            rules,
            custom_rules,
            pseudonymizer,
            upstream,
            tokens,
            local_auth_token: None,
        }
    }
}

/// Compiled rules, or why they failed to load (every diagnostic, rendered).
pub type CompiledRules = Result<Arc<RuleSet>, String>;

/// Compiles a rules file given as `(origin, yaml)`.
pub fn compile_rules((origin, text): (&str, &str)) -> CompiledRules {
    crate::rules::from_str(text, origin)
        .map(Arc::new)
        .map_err(|diagnostics| diagnostics.to_string())
}

/// The whole pipeline as a router: every path and method goes through it.
pub fn app(state: Arc<AppState>) -> axum::Router {
    axum::Router::new()
        .fallback(pipeline::handle)
        .with_state(state)
}
