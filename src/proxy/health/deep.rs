//! The deep part of the health check: obtain a token (refreshing when due, which keeps an
//! idle token family alive) and ask the source which sites it grants, with which scopes,
//! through the same source call as every data request. A site that lacks a scope the
//! rules need is a definitive failure, named.

use std::time::Instant;

use axum::http::{HeaderValue, Method, header};
use serde::Serialize;

use super::Outcome;
use crate::auth::consent::{SCOPES, missing_scopes};
use crate::proxy::AppState;
use crate::proxy::error::ProxyError;
use crate::proxy::upstream::UpstreamRequest;

/// The health check's `scopes`: what the rules need, what the site grants, what is missing.
#[derive(Debug, Serialize)]
pub(super) struct ScopeReport {
    needed: Vec<&'static str>,
    granted: Vec<String>,
    missing: Vec<&'static str>,
}

/// One site of accessible-resources.
#[derive(serde::Deserialize)]
struct Site {
    id: String,
    #[serde(default)]
    scopes: Vec<String>,
}

/// Obtains a token and asks the source which sites it grants (through the same source
/// call as every data request); `Err` is how definitive the failure is and a public reason.
pub(super) async fn check(
    state: &AppState,
    deadline: Option<Instant>,
) -> Result<ScopeReport, (Outcome, String)> {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let request = UpstreamRequest {
        method: Method::GET,
        url: format!(
            "{}/oauth/token/accessible-resources",
            state.settings.upstream_base.trim_end_matches('/')
        ),
        headers,
        body: None,
        timeout: state.settings.request_timeout,
    };
    let definitive = |why: String| Err((Outcome::Definitive, why));
    let transient = |why: String| Err((Outcome::Transient, why));
    match crate::proxy::source::call(state, request, deadline).await {
        Ok(answer) if answer.response.status.is_success() => {
            scopes(state, &answer.response.body).map_err(|why| (Outcome::Definitive, why))
        }
        Ok(answer) => {
            let status = answer.response.status.as_u16();
            let why = format!("source answered {status} to accessible-resources");
            match status {
                429 | 500..=599 => transient(why),
                _ => definitive(why),
            }
        }
        Err(ProxyError::SourceAuthRevoked(_)) => {
            definitive("no access token: refresh token revoked; re-run the consent flow".to_owned())
        }
        Err(ProxyError::ConnectionSetup(_)) => {
            definitive("no access token: token parameter missing".to_owned())
        }
        Err(ProxyError::ConfigurationFailure(_)) => {
            transient("no access token: token source unavailable".to_owned())
        }
        Err(other) => transient(format!("source unreachable: {other}")),
    }
}

/// The scopes of this deployment's site (`CONFLUENCE_CLOUD_ID`, or the only site), compared
/// with the ones the rules need; `Err` names what is missing.
fn scopes(state: &AppState, body: &[u8]) -> Result<ScopeReport, String> {
    let sites: Vec<Site> = serde_json::from_slice(body)
        .map_err(|_| "accessible-resources is not a list of sites".to_owned())?;
    let site = match &state.settings.confluence_cloud_id {
        Some(id) => sites.iter().find(|s| s.id.eq_ignore_ascii_case(id)),
        None if sites.len() == 1 => sites.first(),
        None => None,
    };
    let Some(site) = site else {
        return Err(match &state.settings.confluence_cloud_id {
            Some(_) => "the consent does not cover the site CONFLUENCE_CLOUD_ID names".to_owned(),
            None => "the consent covers several sites: set CONFLUENCE_CLOUD_ID".to_owned(),
        });
    };
    let missing = missing_scopes(&site.scopes);
    let report = ScopeReport {
        needed: SCOPES
            .into_iter()
            .filter(|s| *s != "offline_access")
            .collect(),
        granted: site.scopes.clone(),
        missing: missing.clone(),
    };
    match missing.is_empty() {
        true => Ok(report),
        false => Err(format!(
            "the consent lacks scopes the rules need: {}; re-run the consent flow",
            missing.join(", ")
        )),
    }
}
