//! The request pipeline (docs/proxy.md, "Pipeline"), step by step and in order.
//!
//! `handle` wraps the steps in a span, maps any [`ProxyError`] to its response and emits
//! the audit line; `run` is the steps themselves. Every check that can refuse a request
//! runs before the upstream call.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::body::HttpBody as _;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, header};
use tracing::Instrument;

use super::audit::{Audit, method_name, query_shape};
use super::caller::{self, Caller};
use super::error::ProxyError;
use super::health::{self, HEALTH_HEADER};
use super::target::{self, Target};
use super::upstream::{UpstreamRequest, UpstreamResponse};
use super::{AppState, LocalAccess, VERSION, respond, source};
use crate::pseudonym::url::{ReversedUrl, reverse_tokens, unseal_params};
use crate::rules::{Endpoint, RuleSet};
use crate::sanitize::LinkProtection;

/// Largest request body read; larger ones are refused (no endpoint needs more).
pub(super) const MAX_REQUEST_BODY: usize = 256 * 1024;

pub(super) async fn handle(
    State(state): State<Arc<AppState>>,
    request: Request<Body>,
) -> Response<Body> {
    let started = Instant::now();
    let caller = Caller::of(&request);
    let request_id = caller.request_id.clone().unwrap_or_else(random_id);
    let mut audit = Audit {
        request_id: request_id.clone(),
        principal: caller.principal.clone(),
        method: method_name(request.method().as_str()).to_owned(),
        rules_sha: state.rules.as_ref().ok().map(|r| r.sha1_hex.clone()),
        ..Audit::default()
    };
    let span = tracing::info_span!("request", request_id = %request_id);
    let response = run(&state, &caller, request, &mut audit)
        .instrument(span.clone())
        .await;
    let response = response.unwrap_or_else(|error| {
        audit.error = Some(error.code());
        audit.detail = Some(error.to_string());
        error.to_response()
    });
    audit.status = response.status().as_u16();
    audit.bytes_out = response.body().size_hint().exact().unwrap_or(0) as usize;
    span.in_scope(|| audit.emit(started.elapsed()));
    response
}

fn random_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

async fn run(
    state: &AppState,
    caller: &Caller,
    request: Request<Body>,
    audit: &mut Audit,
) -> Result<Response<Body>, ProxyError> {
    let (parts, body) = request.into_parts();
    let settings = &state.settings;
    check_local_access(&state.local_access, &parts.headers)?;
    // Step 1 of docs/proxy.md, "Pipeline".
    if let Some(proto) = parts.headers.get("x-forwarded-proto")
        && !proto.as_bytes().eq_ignore_ascii_case(b"https")
    {
        return Err(ProxyError::HttpsRequired);
    }
    // Step 2: the allow-lists come first, so a stranger learns nothing, not even the
    // health check's salt fingerprint. A direct invocation (the health schedule, an
    // operator's `aws lambda invoke`) carries no caller to judge and may only ask for
    // the health check.
    let health = parts.headers.get(HEALTH_HEADER);
    if !(caller.direct_invocation && health.is_some()) {
        caller::check(
            caller,
            settings.allowed_ip_blocks.as_deref(),
            settings.allowed_caller_arns.as_deref(),
        )?;
    }
    // Step 3.
    if let Some(value) = health {
        let deep = value.as_bytes().eq_ignore_ascii_case(b"deep");
        return Ok(health::check(state, caller, deep).await);
    }
    // Step 4.
    let rules = state
        .rules
        .as_ref()
        .map_err(|diagnostics| ProxyError::RulesInvalid(diagnostics.clone()))?;
    if !settings.missing.is_empty() {
        return Err(ProxyError::ConnectionSetup(settings.missing.clone()));
    }
    let body = axum::body::to_bytes(body, MAX_REQUEST_BODY)
        .await
        .map_err(|_| ProxyError::InvalidRequest("request body too large"))?;
    audit.bytes_in = body.len();
    check_pseudonym_implementation(&parts.headers)?;
    // Steps 5 and 6.
    // lambda_http normalizes the URI (dot segments, `%2e`) with a URL parser; the rules
    // must see the path exactly as the caller sent it, so prefer the raw one.
    let raw_path = match lambda_http::RequestExt::raw_http_path(&parts.extensions) {
        "" => parts.uri.path(),
        raw => raw,
    };
    let unprefixed = target::strip_path_prefix(raw_path, settings.path_prefix.as_deref());
    let own = Target {
        path: target::strip_function_name(&unprefixed, settings.function_name.as_deref()),
        query: parts.uri.query().map(str::to_owned),
    };
    let mut target = target::apply_overrides(own, &parts.headers)?;
    // One spelling of each value for the gate and token reversal (`p%7E…` is `p~…`).
    target.path = crate::percent::normalize_unreserved(&target.path).into_owned();
    target.query = target
        .query
        .map(|q| crate::percent::normalize_unreserved(&q).into_owned());
    target.path = target::expand_short_path(&target.path, settings.confluence_cloud_id.as_deref());
    target::check_cloud_id(&target.path, settings.confluence_cloud_id.as_deref())?;
    // Step 7.
    // Methods are case-sensitive on the wire but the rules compare them folded: the
    // request goes on (and is judged for a body) under the spelling the rules matched.
    let method = canonical_method(&parts.method);
    let matched = rules
        .gate(method.as_str(), &target.path, target.query.as_deref())
        .inspect_err(|_| {
            // Before a match no name is declared: every name is written as `?`.
            audit.query_shape = target.query.as_deref().map(|q| query_shape(q, &[]));
        })?;
    audit.endpoint = Some(matched.endpoint.label.clone());
    audit.query_shape = target.query.as_deref().map(|q| {
        let declared = matched.endpoint.query_param_schemas.iter().map(|(n, _)| n);
        let allowed = matched.endpoint.allowed_query_params.iter().flatten();
        query_shape(q, &allowed.chain(declared).cloned().collect::<Vec<_>>())
    });
    let bodiless = method == Method::GET || method == Method::HEAD;
    if bodiless && !body.is_empty() {
        return Err(ProxyError::InvalidRequest(
            "GET and HEAD requests must not have a body",
        ));
    }
    // Step 8.
    let (path, query) = sent_target(state, rules, matched.endpoint, &target)?;
    // Step 9.
    let base = settings.upstream_base.trim_end_matches('/');
    let url = match &query {
        Some(q) if !q.text.is_empty() => format!("{base}{}?{}", path.text, q.text),
        _ => format!("{base}{}", path.text),
    };
    let upstream_request = UpstreamRequest {
        method,
        url,
        headers: forward_headers(&parts.headers, rules, matched.endpoint),
        body: (!bodiless && !body.is_empty()).then_some(body),
        timeout: settings.request_timeout,
    };
    let answer = source::call(state, upstream_request, caller.deadline).await?;
    let upstream = answer.response;
    audit.upstream_status = Some(upstream.status.as_u16());
    let delivery = Delivery {
        wants_gzip: respond::accepts_gzip(&parts.headers),
        caller,
        links: LinkProtection::new(&target.path, target.query.as_deref(), &path, query.as_ref())
            .sealing(&matched.endpoint.sealed_params(), &state.pseudonymizer),
    };
    // Steps 10 and 11.
    if upstream.status.is_success() {
        sanitized_response(state, rules, matched.endpoint, upstream, &delivery, audit)
    } else {
        Ok(api_error_response(upstream, answer.hint, &delivery))
    }
}

/// The path and query as they go upstream: every `p~` token reversed (each decrypted
/// once; the reversals travel on to link protection) and every sealed cursor unsealed,
/// then checked again — what is sent must be what the gate admitted.
fn sent_target(
    state: &AppState,
    rules: &RuleSet,
    endpoint: &Endpoint,
    target: &Target,
) -> Result<(ReversedUrl, Option<ReversedUrl>), ProxyError> {
    let p = &state.pseudonymizer;
    let path = reverse_tokens(&target.path, p).map_err(ProxyError::TokenInvalid)?;
    let query = match &target.query {
        Some(q) => {
            let reversed = reverse_tokens(q, p).map_err(ProxyError::TokenInvalid)?;
            let text = unseal_params(&reversed.text, &endpoint.sealed_params(), p)
                .map_err(ProxyError::TokenInvalid)?;
            Some(ReversedUrl { text, ..reversed })
        }
        None => None,
    };
    let query_text = query.as_ref().map(|q| q.text.as_str());
    // Text identical to what the gate admitted needs no second look: the checks are
    // functions of the text, and the gate's are the stricter (values against schemas).
    if path.text != target.path || query_text != target.query.as_deref() {
        rules.check_upstream(endpoint, &path.text, query_text)?;
    }
    Ok((path, query))
}

/// How the answer goes back: compression, the caller, and what the request revealed to
/// the source (pagination links echo it; see `sanitize::LinkProtection`).
struct Delivery<'a> {
    wants_gzip: bool,
    caller: &'a Caller,
    links: LinkProtection,
}

fn sanitized_response(
    state: &AppState,
    rules: &RuleSet,
    endpoint: &Endpoint,
    upstream: UpstreamResponse,
    delivery: &Delivery,
    audit: &mut Audit,
) -> Result<Response<Body>, ProxyError> {
    let text = std::str::from_utf8(&upstream.body)
        .map_err(|_| ProxyError::SanitizationFailed("response body is not UTF-8".to_owned()))?;
    let sanitized = crate::sanitize::sanitize_response(
        rules,
        endpoint,
        &state.pseudonymizer,
        text,
        &delivery.links,
    )
    .map_err(|e| ProxyError::SanitizationFailed(e.to_string()))?;
    audit.report = sanitized.report;
    let body = sanitized.body;
    let mut headers = HeaderMap::with_capacity(16);
    respond::pass_through(&upstream.headers, &mut headers, &delivery.links);
    let added = [
        ("x-psoxy-rules-sha", rules.sha1_hex.clone()),
        ("x-psoxy-psoxy-version", VERSION.to_owned()),
        (
            "x-psoxy-pii-salt-sha256",
            state.pseudonymizer.salt_fingerprint(),
        ),
    ];
    for (name, value) in added {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    let encoded = respond::encode(body.into_bytes(), delivery.wants_gzip)?;
    Ok(respond::build(
        upstream.status,
        headers,
        encoded,
        delivery.caller.via_function_url,
    ))
}

fn api_error_response(
    upstream: UpstreamResponse,
    hint: Option<&str>,
    delivery: &Delivery,
) -> Response<Body> {
    let mut headers = HeaderMap::new();
    respond::pass_through(&upstream.headers, &mut headers, &delivery.links);
    respond::mark_api_error(&mut headers);
    let body = crate::sanitize::error_body(upstream.status.as_u16(), &upstream.body, hint);
    match respond::encode(body, delivery.wants_gzip) {
        Ok(encoded) => respond::build(
            upstream.status,
            headers,
            encoded,
            delivery.caller.via_function_url,
        ),
        Err(error) => error.to_response(),
    }
}

/// Only the rule-allowed request headers, never `X-Psoxy-*` or credentials, plus ours.
fn forward_headers(incoming: &HeaderMap, rules: &RuleSet, endpoint: &Endpoint) -> HeaderMap {
    const NEVER: [&str; 7] = [
        "authorization",
        "host",
        "accept-encoding",
        "content-length",
        "connection",
        "transfer-encoding",
        "cookie",
    ];
    let allowed = rules
        .allowed_request_headers
        .iter()
        .chain(&endpoint.allowed_request_headers);
    let mut out = HeaderMap::new();
    for name in allowed {
        let lower = name.to_ascii_lowercase();
        if lower.starts_with("x-psoxy-") || NEVER.contains(&lower.as_str()) {
            continue;
        }
        if let Ok(header_name) = HeaderName::from_bytes(lower.as_bytes()) {
            for value in incoming.get_all(&header_name) {
                out.append(header_name.clone(), value.clone());
            }
        }
    }
    out.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    if let Ok(agent) = HeaderValue::from_str(&super::user_agent()) {
        out.insert(header::USER_AGENT, agent);
    }
    out
}

/// `X-Psoxy-Pseudonym-Implementation`: absent or `v0.4` (what this proxy makes). Psoxy's
/// legacy `v0.3` is refused, as Psoxy refuses it, rather than answered with pseudonyms
/// the caller would take for v0.3 ones.
fn check_pseudonym_implementation(headers: &HeaderMap) -> Result<(), ProxyError> {
    let Some(value) = headers.get(PSEUDONYM_IMPLEMENTATION_HEADER) else {
        return Ok(());
    };
    match value.to_str().map(str::trim) {
        Ok(v) if v.eq_ignore_ascii_case("v0.4") || v.eq_ignore_ascii_case("default") => Ok(()),
        Ok(v) if v.eq_ignore_ascii_case("v0.3") || v.eq_ignore_ascii_case("legacy") => {
            Err(ProxyError::InvalidRequest(
                "X-Psoxy-Pseudonym-Implementation v0.3 (legacy) is not supported: this proxy makes v0.4 pseudonyms only",
            ))
        }
        _ => Err(ProxyError::InvalidRequest(
            "unknown X-Psoxy-Pseudonym-Implementation (supported: v0.4)",
        )),
    }
}

/// The request header naming the pseudonym implementation the caller expects.
const PSEUDONYM_IMPLEMENTATION_HEADER: &str = "x-psoxy-pseudonym-implementation";

/// `method` in upper case (`get` → `GET`), the spelling the rules and the upstream see.
fn canonical_method(method: &Method) -> Method {
    let upper = method.as_str().to_ascii_uppercase();
    Method::from_bytes(upper.as_bytes()).unwrap_or_else(|_| method.clone())
}

/// The guard of a local server: the bearer token (compared in constant time), or a
/// loopback `Host` when there is no token.
fn check_local_access(access: &LocalAccess, headers: &HeaderMap) -> Result<(), ProxyError> {
    match access {
        LocalAccess::NotLocal => Ok(()),
        LocalAccess::Bearer(expected) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            match crate::pseudonym::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
                true => Ok(()),
                false => Err(ProxyError::UnauthorizedLocal),
            }
        }
        LocalAccess::LoopbackHostOnly => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            match host.is_some_and(is_loopback_host) {
                true => Ok(()),
                false => Err(ProxyError::ForeignHost),
            }
        }
    }
}

/// `localhost`, `127.0.0.1` (any 127/8 address) or `[::1]`, with an optional port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
