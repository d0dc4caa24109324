//! The health check (docs/proxy.md, "Health check and audit"): `X-Psoxy-Health-Check` on any path.
//!
//! 200 when the proxy can serve (rules loaded, nothing missing, and — for `deep` — a token
//! obtained and accepted by the source), else 412. Keys are sorted (a `BTreeMap`).
//! Invariant: names and fingerprints only; no secret, token or value.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

mod deep;

use super::AppState;
use super::caller::{Caller, ip_allowed};
use crate::auth::TokenStatus;

pub(super) const HEALTH_HEADER: &str = "x-psoxy-health-check";

/// What a health check concluded. A definitive failure needs a person (revoked consent,
/// missing configuration, invalid rules, a source that refuses the token); a transient one
/// passes by itself (token endpoint or source unreachable, throttled, 5xx). The Terraform
/// module alarms on the first at once and on the second only when it persists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Ok,
    Transient,
    Definitive,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Transient => "transient",
            Outcome::Definitive => "definitive",
        }
    }
}

/// The health response; `deep` also obtains a token and calls accessible-resources, and
/// logs its outcome (and the token family's days to expiry) for the alarms.
pub(super) async fn check(state: &AppState, caller: &Caller, deep: bool) -> Response<Body> {
    let settings = &state.settings;
    let mut warnings: Vec<String> = settings.warnings.clone();
    let mut missing = settings.missing.clone();
    missing.sort();
    let mut outcome = match missing.is_empty() {
        true => Outcome::Ok,
        false => Outcome::Definitive,
    };
    if let Err(diagnostics) = &state.rules {
        outcome = Outcome::Definitive;
        warnings.push(format!("rules invalid: {diagnostics}"));
    }
    let mut scopes = None;
    if deep && outcome == Outcome::Ok {
        match deep::check(state, caller.deadline).await {
            Ok(report) => scopes = Some(report),
            Err((failure, problem)) => {
                outcome = failure;
                warnings.push(problem);
            }
        }
    }
    let tokens = state.tokens.status().await;
    if let Some(status) = &tokens
        && !token_health(status, &mut warnings)
    {
        outcome = Outcome::Definitive;
    }
    let healthy = outcome == Outcome::Ok;
    if deep {
        log_for_alarms(outcome, tokens.as_ref());
    }
    let mut body: BTreeMap<&str, Value> = BTreeMap::new();
    body.insert("configuredSource", json!(settings.source));
    body.insert("configuredHost", json!(host_of(&settings.upstream_base)));
    let salt_set = !settings.pseudonym.salt.is_empty();
    body.insert("nonDefaultSalt", json!(salt_set));
    if salt_set {
        body.insert(
            "saltSha256Hash",
            json!(state.pseudonymizer.salt_fingerprint()),
        );
    }
    body.insert("missingConfigProperties", json!(missing));
    body.insert("sourceAuthStrategy", json!(settings.auth.strategy.as_str()));
    body.insert("sourceAuthGrantType", json!(settings.auth.grant_type));
    body.insert("version", json!(super::VERSION));
    body.insert("callerIp", json!(caller.ip.map(|ip| ip.to_string())));
    if let Some(blocks) = &settings.allowed_ip_blocks {
        body.insert("clientIpAuthorized", json!(ip_allowed(caller.ip, blocks)));
    }
    if state.custom_rules() {
        let sha = state.rules.as_ref().ok().map(|r| r.sha1_hex.clone());
        if let (Some(expected), Some(serving)) = (&settings.expected_rules_sha, &sha)
            && expected != serving
        {
            warnings.push(
                "CUSTOM_RULES_SHA differs from the SHA-1 of the rules being served: the RULES parameter changed after the last deployment".into(),
            );
        }
        body.insert("rules", json!({ "sha1": sha }));
    }
    // Psoxy's remaining fields, with our values, so a consumer reading them finds them.
    body.insert("bundleFilename", json!(bundle_filename()));
    body.insert("javaSourceCodeVersion", json!(super::VERSION));
    body.insert("userAgent", json!(super::user_agent()));
    body.insert("pseudonymImplementation", json!("v0.4"));
    body.insert("pseudonymizeAppIds", json!(false));
    body.insert(
        "configPropertiesLastModified",
        json!(settings.config_last_modified.map(crate::clock::utc_iso8601)),
    );
    let family = tokens.as_ref().and_then(|t| t.family);
    body.insert("tokenFamily", json!(family));
    if let Some(scopes) = scopes {
        body.insert("scopes", json!(scopes));
    }
    let outcome = tokens.as_ref().and_then(|t| t.last_outcome.clone());
    body.insert("lastRefreshOutcome", json!(outcome));
    body.insert("warningMessages", json!(warnings));
    let status = match healthy {
        true => StatusCode::OK,
        false => StatusCode::PRECONDITION_FAILED,
    };
    let text = serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The file name of the running executable (`bootstrap` on Lambda), Psoxy's
/// `bundleFilename`.
fn bundle_filename() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.file_name()?.to_string_lossy().into_owned())
}

/// The lines the Terraform module's metric filters count (docs/operations.md,
/// "Monitoring"): the outcome of every deep check, and the days left to the token
/// family's nearer expiry when it is known. Names and numbers only.
fn log_for_alarms(outcome: Outcome, tokens: Option<&TokenStatus>) {
    tracing::info!(
        target: "pseudoproxy::health",
        event = "health_check",
        outcome = outcome.as_str(),
        "deep health check"
    );
    let family = tokens.and_then(|t| t.family);
    let days = family.and_then(|f| {
        [f.days_to_absolute_expiry, f.days_to_inactivity_expiry]
            .into_iter()
            .flatten()
            .min()
    });
    if let Some(days_to_expiry) = days {
        tracing::info!(
            target: "pseudoproxy::health",
            event = "token_family",
            days_to_expiry,
            "token family expiry"
        );
    }
}

/// Adds the token manager's warnings; `false` when the refresh token is revoked (the
/// only token state a person must fix). A transient failure is a warning, never a 412.
fn token_health(status: &TokenStatus, warnings: &mut Vec<String>) -> bool {
    if let Some(family) = &status.family {
        warnings.extend(family.warnings());
    }
    if status.unsaved_refresh_token {
        warnings.push(
            "the rotated refresh token could not be written to REFRESH_TOKEN; it is held in \
             memory and the write is retried on every request — check the store's permissions"
                .to_owned(),
        );
    }
    if status.revoked {
        warnings.push(
            "the token endpoint rejected the refresh token (invalid_grant): the token family \
             is revoked or expired; re-run the consent flow (pseudoproxy auth) to store a new \
             REFRESH_TOKEN"
                .to_owned(),
        );
        return false;
    }
    if let Some(outcome) = status
        .last_outcome
        .as_ref()
        .filter(|o| o.status == "transient")
    {
        warnings.push(format!(
            "last token refresh failed transiently ({}); the refresh token is kept and \
             retried on the next request",
            outcome.message
        ));
    }
    true
}

/// `https://api.atlassian.com` → `api.atlassian.com` (port kept).
fn host_of(base: &str) -> &str {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}
