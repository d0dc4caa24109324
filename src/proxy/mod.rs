//! The proxy: one request pipeline for Lambda, `serve` and tests (proxy runtime spec).
//!
//! I/O EDGE. [`app`] is the axum `Router` of the whole pipeline (`pipeline`); [`AppState`]
//! is everything it needs, built once by [`startup::build`] and never changed. The seams
//! to the outside world are traits: [`Upstream`] (the source API) and
//! [`crate::auth::AccessTokens`] (bearer tokens). Errors are one enum, [`ProxyError`],
//! mapped to status + `X-Psoxy-Error` at the edge.
//!
//! Invariant: a request that fails any check before the upstream call never reaches the
//! upstream; nothing but sanitized output (or a short public message) leaves the proxy.

mod audit;
mod caller;
mod error;
mod health;
pub mod live;
mod log_line;
pub mod logging;
mod pipeline;
mod respond;
mod source;
pub mod startup;
mod target;
mod upstream;

use std::sync::Arc;

pub use caller::{arn_matches, ip_allowed};
pub use error::{ERROR_HEADER, ProxyError};
pub use respond::{GZIP_MIN_BYTES, MAX_RESPONSE_BYTES};
pub use startup::{BuildError, Dependencies, ShippedRules, build};
pub use upstream::{
    MAX_UPSTREAM_BODY, ReqwestUpstream, Upstream, UpstreamError, UpstreamRequest, UpstreamResponse,
};

use crate::auth::AccessTokens;
use crate::config::ProxySettings;
use crate::pseudonym::Pseudonymizer;
use crate::rules::RuleSet;

/// Our version, as sent in `X-Psoxy-Psoxy-Version` and `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `User-Agent` of upstream calls (also the health check's `userAgent`).
pub(crate) fn user_agent() -> String {
    format!("pseudoproxy/{VERSION}")
}

/// Everything the pipeline needs; built once by [`build`], shared by every request,
/// never changed.
#[derive(Debug)]
pub struct AppState {
    pub settings: ProxySettings,
    /// The compiled rules, or why they failed to load (every request then gets 500
    /// `RULES_INVALID`; the health check shows the reason).
    pub rules: CompiledRules,
    pub pseudonymizer: Pseudonymizer,
    pub upstream: Arc<dyn Upstream>,
    pub tokens: Arc<dyn AccessTokens>,
    /// Who may talk to a local server (`serve`); nothing more on Lambda.
    pub local_access: LocalAccess,
}

/// The guard of a local server (`serve`). A proxy on a developer's machine is reachable
/// from every web page the browser opens (DNS rebinding makes `evil.example` resolve to
/// 127.0.0.1), so without a bearer token it answers only requests addressed to a loopback
/// host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalAccess {
    /// Lambda: IAM and the function URL guard the door.
    NotLocal,
    /// Every request must carry `Authorization: Bearer <token>` (compared in constant time).
    Bearer(String),
    /// No token: only requests whose `Host` is `localhost`, `127.0.0.1` or `[::1]`.
    LoopbackHostOnly,
}

impl AppState {
    /// Whether the rules came from the settings (`RULES`, `serve --rules`) rather than
    /// the shipped file.
    pub fn custom_rules(&self) -> bool {
        matches!(
            self.settings.rules,
            crate::config::RulesChoice::Custom { .. }
        )
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
    live_app(live::LiveState::fixed(state))
}

/// [`app`] over a [`live::LiveState`]: each request is served with the snapshot current
/// when it arrives, rebuilt first when the reload policy says so.
pub fn live_app(live: Arc<live::LiveState>) -> axum::Router {
    axum::Router::new()
        .fallback(serve_with_current_state)
        .with_state(live)
}

async fn serve_with_current_state(
    axum::extract::State(live): axum::extract::State<Arc<live::LiveState>>,
    request: axum::http::Request<axum::body::Body>,
) -> axum::http::Response<axum::body::Body> {
    let health_check = request.headers().contains_key(health::HEALTH_HEADER);
    let state = live.for_request().await;
    let response = pipeline::handle(axum::extract::State(Arc::clone(&state)), request).await;
    let error_code = response
        .headers()
        .get(ERROR_HEADER)
        .and_then(|value| value.to_str().ok());
    if let Some(condition) =
        live::condition_shown_by(error_code, response.status().as_u16(), health_check)
    {
        live.report(&state, condition);
    }
    response
}
