//! The stand-in's Atlassian token endpoint and the access tokens it issued.
//!
//! `POST /oauth/token` with a JSON body (`grant_type=refresh_token`, `client_id`,
//! `client_secret`, `refresh_token`), as `src/auth/endpoint.rs` sends it. Like Atlassian
//! (and the mock of `tests/integration/oauth_mock.rs`): every grant rotates the refresh
//! token; a spent one presented again within the 10-minute reuse leeway still works,
//! later it revokes the whole family. Access tokens live `--token-ttl` seconds; an API
//! call with an expired or unknown one is refused 401 and counted. A static token
//! (`--static-token`, for the floor proxy and hand-placed tokens) never expires.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::clock::now_ms;

/// Atlassian's reuse leeway for a rotated refresh token.
const LEEWAY: Duration = Duration::from_secs(600);
/// Expired access tokens are forgotten this long after they expired (then "unknown").
const FORGET_AFTER: Duration = Duration::from_secs(86_400);

pub(crate) struct OauthConfig {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    /// The family's first refresh token (what the scripts store for the proxy).
    pub(crate) refresh_token: String,
    pub(crate) token_ttl: Duration,
    pub(crate) static_token: Option<String>,
    /// Every n-th token call answers 503 without rotating (0 = never).
    pub(crate) fail_every: u64,
}

/// What an API call's bearer token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bearer {
    Valid,
    Expired,
    Unknown,
    Missing,
}

#[derive(Default)]
struct Counters {
    token_calls: u64,
    grants: u64,
    injected_faults: u64,
    reuse_in_leeway: u64,
    revocations: u64,
    invalid_grant: u64,
    bad_client: u64,
    bad_request: u64,
}

struct State {
    current: String,
    /// Spent refresh tokens and when they were spent.
    spent: HashMap<String, Instant>,
    revoked: bool,
    /// Access token → expiry.
    access: HashMap<String, Instant>,
    /// Epoch millis of every grant, in order.
    grant_times_ms: Vec<u64>,
    seq: u64,
    counters: Counters,
}

pub(crate) struct Oauth {
    config: OauthConfig,
    state: Mutex<State>,
}

impl Oauth {
    pub(crate) fn new(config: OauthConfig) -> Oauth {
        let state = State {
            current: config.refresh_token.clone(),
            spent: HashMap::new(),
            revoked: false,
            access: HashMap::new(),
            grant_times_ms: Vec::new(),
            seq: 0,
            counters: Counters::default(),
        };
        Oauth {
            config,
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Judges the `Authorization` header of an API call.
    pub(crate) fn check(&self, authorization: Option<&str>) -> Bearer {
        let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Bearer::Missing;
        };
        if self.config.static_token.as_deref() == Some(token) {
            return Bearer::Valid;
        }
        match self.lock().access.get(token) {
            Some(expiry) if *expiry > Instant::now() => Bearer::Valid,
            Some(_) => Bearer::Expired,
            None => Bearer::Unknown,
        }
    }

    /// Answers one token call: status and JSON body.
    pub(crate) fn token_call(&self, body: &[u8]) -> (StatusCode, String) {
        let mut state = self.lock();
        state.counters.token_calls += 1;
        let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        if request["client_id"] != self.config.client_id.as_str()
            || request["client_secret"] != self.config.client_secret.as_str()
        {
            state.counters.bad_client += 1;
            return error(StatusCode::UNAUTHORIZED, "access_denied");
        }
        let fail_every = self.config.fail_every;
        if fail_every > 0 && state.counters.token_calls.is_multiple_of(fail_every) {
            state.counters.injected_faults += 1;
            return error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
        }
        if request["grant_type"] != "refresh_token" {
            state.counters.bad_request += 1;
            return error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
        }
        let presented = request["refresh_token"].as_str().unwrap_or_default();
        let now = Instant::now();
        if state.revoked {
            state.counters.invalid_grant += 1;
            return invalid_grant();
        }
        if presented != state.current {
            let spent_at = state.spent.get(presented).copied();
            match spent_at {
                Some(at) if now.duration_since(at) <= LEEWAY => {
                    state.counters.reuse_in_leeway += 1;
                }
                Some(_) => {
                    state.revoked = true;
                    state.counters.revocations += 1;
                    state.counters.invalid_grant += 1;
                    return invalid_grant();
                }
                None => {
                    state.counters.invalid_grant += 1;
                    return invalid_grant();
                }
            }
        }
        self.grant(&mut state, now)
    }

    fn grant(&self, state: &mut State, now: Instant) -> (StatusCode, String) {
        state.seq += 1;
        let access = format!("at-{}-{:016x}", state.seq, rand::random::<u64>());
        let refresh = format!("rt-{}-{:016x}", state.seq, rand::random::<u64>());
        let spent = std::mem::replace(&mut state.current, refresh.clone());
        state.spent.insert(spent, now);
        state
            .access
            .retain(|_, expiry| now.saturating_duration_since(*expiry) < FORGET_AFTER);
        state
            .access
            .insert(access.clone(), now + self.config.token_ttl);
        state.grant_times_ms.push(now_ms());
        state.counters.grants += 1;
        let body = json!({
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.config.token_ttl.as_secs(),
            "scope": "read:page:confluence read:space:confluence offline_access",
            "token_type": "Bearer"
        });
        (StatusCode::OK, body.to_string())
    }

    /// Counters and grant times, for `GET /_standin/stats`.
    pub(crate) fn stats(&self) -> Value {
        let state = self.lock();
        let c = &state.counters;
        json!({
            "tokenTtlSeconds": self.config.token_ttl.as_secs(),
            "tokenCalls": c.token_calls,
            "grants": c.grants,
            "injectedFaults": c.injected_faults,
            "reuseInLeeway": c.reuse_in_leeway,
            "revocations": c.revocations,
            "invalidGrant": c.invalid_grant,
            "badClient": c.bad_client,
            "badRequest": c.bad_request,
            "revoked": state.revoked,
            "grantTimesMs": state.grant_times_ms
        })
    }
}

fn error(status: StatusCode, code: &str) -> (StatusCode, String) {
    (status, json!({ "error": code }).to_string())
}

fn invalid_grant() -> (StatusCode, String) {
    let body = json!({
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token."
    });
    (StatusCode::FORBIDDEN, body.to_string())
}
