//! A mock Atlassian for the OAuth tests: a stateful token endpoint and a Confluence API,
//! served by wiremock on loopback so the real reqwest clients talk HTTP.
//!
//! The token endpoint behaves like Atlassian: every refresh rotates the refresh token;
//! re-using a spent one inside the reuse leeway (judged by the injected clock) still
//! works, after it revokes the whole family; refresh tokens die after 90 days unused and
//! 365 days after consent. Faults can be queued (5xx, timeout after rotating,
//! `invalid_grant`). The API server accepts only live access tokens the endpoint issued.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use pseudoproxy::config::{Clock, ManualClock};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub(crate) const CLIENT_ID: &str = "mock-client-id";
pub(crate) const CLIENT_SECRET: &str = "mock-client-secret-canary";
pub(crate) const CLOUD_ID: &str = "acme-cloud-id";
pub(crate) const LEEWAY: Duration = Duration::from_secs(10 * 60);
const DAY: Duration = Duration::from_secs(86_400);

/// A fault for the next token call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer this status without touching the family.
    Status(u16),
    /// Rotate, then answer too late for the client's timeout.
    TimeoutAfterRotation,
    /// Answer 403 invalid_grant without touching the family.
    InvalidGrant,
}

#[derive(Debug)]
pub(crate) struct Family {
    pub current: String,
    /// Spent refresh tokens → when they were spent.
    pub spent: HashMap<String, SystemTime>,
    pub issued_at: SystemTime,
    pub last_used: SystemTime,
    pub revoked: bool,
}

#[derive(Debug)]
pub(crate) struct MockState {
    pub clock: Arc<ManualClock>,
    pub family: Option<Family>,
    pub access: HashMap<String, SystemTime>,
    pub codes: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// Probability that a token call without a queued fault meets a random one
    /// (5xx, 429, or a rotation whose answer comes too late).
    pub random_fault_rate: f64,
    /// How late a `TimeoutAfterRotation` answer comes.
    pub late_by: Duration,
    pub token_calls: usize,
    pub refresh_calls: usize,
    pub revocations: usize,
    pub api_calls: usize,
    pub api_unauthorized: usize,
    /// The scopes accessible-resources reports for the site (default: all the rules need).
    pub granted_scopes: Vec<String>,
    /// The source answers every API call 401 "scope does not match" (a consent that lacks
    /// a scope: no new token cures it).
    pub scope_mismatch: bool,
    /// Statuses the next API calls answer whatever their token (401: as for a token the
    /// site no longer accepts; 403/404: how the gateway may report an expired one).
    pub refuse_next: VecDeque<u16>,
    /// The last token-endpoint events, for a failing test's message.
    pub history: VecDeque<String>,
    seq: u64,
}

impl MockState {
    fn mint(&mut self, kind: &str) -> String {
        self.seq += 1;
        format!("{kind}-{}-{:08x}", self.seq, rand::random::<u32>())
    }

    /// A new family (what consent creates); returns its first refresh token.
    pub(crate) fn new_family(&mut self) -> String {
        let now = self.clock.now();
        let current = self.mint("rt");
        self.family = Some(Family {
            current: current.clone(),
            spent: HashMap::new(),
            issued_at: now,
            last_used: now,
            revoked: false,
        });
        current
    }

    fn grant(&mut self, rotate: bool) -> Value {
        let now = self.clock.now();
        let access = self.mint("at");
        self.access
            .insert(access.clone(), now + Duration::from_secs(3600));
        let mut body = json!({"access_token": access, "expires_in": 3600,
            "scope": "read:page:confluence offline_access", "token_type": "Bearer"});
        if rotate && let Some(family) = self.family.as_mut() {
            let old = std::mem::take(&mut family.current);
            family.spent.insert(old, now);
            self.seq += 1;
            family.current = format!("rt-{}-{:08x}", self.seq, rand::random::<u32>());
            family.last_used = now;
            body["refresh_token"] = json!(family.current);
        }
        body
    }

    /// The refresh grant, Atlassian-style. (The error is the HTTP answer itself.)
    #[allow(clippy::result_large_err)]
    fn refresh(&mut self, presented: &str) -> Result<Value, ResponseTemplate> {
        let before = self.family.as_ref().map(|f| f.current.clone());
        let result = self.refresh_family(presented);
        let event = format!(
            "{:?} presented {presented} current {before:?} → {}",
            self.clock
                .now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
            match &result {
                Ok(v) => v["refresh_token"].to_string(),
                Err(_) => "rejected".into(),
            }
        );
        if self.history.len() == 30 {
            self.history.pop_front();
        }
        self.history.push_back(event);
        result
    }

    #[allow(clippy::result_large_err)]
    fn refresh_family(&mut self, presented: &str) -> Result<Value, ResponseTemplate> {
        let now = self.clock.now();
        let Some(family) = self.family.as_mut() else {
            return Err(invalid_grant());
        };
        let expired = now.duration_since(family.issued_at).unwrap_or_default() > 365 * DAY
            || now.duration_since(family.last_used).unwrap_or_default() > 90 * DAY;
        if family.revoked || expired {
            return Err(invalid_grant());
        }
        if presented == family.current {
            return Ok(self.grant(true));
        }
        match family.spent.get(presented) {
            Some(at) if now.duration_since(*at).unwrap_or_default() <= LEEWAY => {
                Ok(self.grant(true))
            }
            Some(_) => {
                family.revoked = true;
                self.revocations += 1;
                Err(invalid_grant())
            }
            None => Err(invalid_grant()),
        }
    }
}

fn invalid_grant() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(
        json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
    )
}

/// Shared handle over the mock state.
#[derive(Debug, Clone)]
pub(crate) struct Shared(pub Arc<Mutex<MockState>>);

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, MockState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct TokenResponder(Shared);

impl Respond for TokenResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock();
        state.token_calls += 1;
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        if body["client_id"] != CLIENT_ID || body["client_secret"] != CLIENT_SECRET {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "access_denied"}));
        }
        let fault = state.faults.pop_front().or_else(|| {
            (rand::random::<f64>() < state.random_fault_rate).then(|| {
                const KINDS: [Fault; 5] = [
                    Fault::Status(500),
                    Fault::Status(502),
                    Fault::Status(503),
                    Fault::Status(429),
                    Fault::TimeoutAfterRotation,
                ];
                KINDS[rand::random_range(0..KINDS.len())]
            })
        });
        match fault {
            Some(Fault::Status(code)) => {
                return ResponseTemplate::new(code).set_body_string("upstream trouble");
            }
            Some(Fault::InvalidGrant) => return invalid_grant(),
            _ => {}
        }
        let result = match body["grant_type"].as_str() {
            Some("refresh_token") => {
                state.refresh_calls += 1;
                state.refresh(body["refresh_token"].as_str().unwrap_or(""))
            }
            Some("authorization_code") => {
                let code = body["code"].as_str().unwrap_or("").to_owned();
                match state.codes.iter().position(|c| *c == code) {
                    Some(i) => {
                        state.codes.remove(i);
                        state.new_family();
                        let family_rt = state.family.as_ref().map(|f| f.current.clone());
                        let mut grant = state.grant(false);
                        grant["refresh_token"] = json!(family_rt);
                        Ok(grant)
                    }
                    None => Err(invalid_grant()),
                }
            }
            _ => Err(ResponseTemplate::new(400)
                .set_body_json(json!({"error": "unsupported_grant_type"}))),
        };
        match (result, fault) {
            (Ok(grant), Some(Fault::TimeoutAfterRotation)) => ResponseTemplate::new(200)
                .set_body_json(grant)
                .set_delay(state.late_by),
            (Ok(grant), _) => ResponseTemplate::new(200).set_body_json(grant),
            (Err(response), _) => response,
        }
    }
}

struct ApiResponder(Shared);

impl Respond for ApiResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock();
        state.api_calls += 1;
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let now = state.clock.now();
        if state.scope_mismatch && request.url.path() != "/oauth/token/accessible-resources" {
            state.api_unauthorized += 1;
            return ResponseTemplate::new(401).set_body_json(
                json!({"code": 401, "message": "Unauthorized; scope does not match"}),
            );
        }
        if let Some(status) = state.refuse_next.pop_front() {
            state.api_unauthorized += 1;
            return ResponseTemplate::new(status)
                .set_body_json(json!({"code": status, "message": "Refused"}));
        }
        if state.access.get(token).is_none_or(|expiry| *expiry <= now) {
            state.api_unauthorized += 1;
            return ResponseTemplate::new(401)
                .set_body_json(json!({"code": 401, "message": "Unauthorized"}));
        }
        if request.url.path() == "/oauth/token/accessible-resources" {
            return ResponseTemplate::new(200).set_body_json(json!([
                {"id": CLOUD_ID, "name": "acme", "url": "https://acme.atlassian.net",
                 "scopes": state.granted_scopes.clone(), "avatarUrl": "https://example.invalid/a.png"},
                {"id": "other-cloud-id", "name": "other", "url": "https://other.atlassian.net",
                 "scopes": [], "avatarUrl": ""}
            ]));
        }
        ResponseTemplate::new(200).set_body_json(json!({"results": [], "_links": {}}))
    }
}

/// The two mock servers and their shared state.
pub(crate) struct MockAtlassian {
    pub auth: MockServer,
    pub api: MockServer,
    pub shared: Shared,
}

impl MockAtlassian {
    pub(crate) async fn start(clock: Arc<ManualClock>) -> MockAtlassian {
        let shared = Shared(Arc::new(Mutex::new(MockState {
            clock,
            family: None,
            access: HashMap::new(),
            codes: Vec::new(),
            faults: VecDeque::new(),
            random_fault_rate: 0.0,
            late_by: Duration::from_millis(600),
            token_calls: 0,
            refresh_calls: 0,
            revocations: 0,
            api_calls: 0,
            api_unauthorized: 0,
            granted_scopes: pseudoproxy::auth::SCOPES
                .iter()
                .filter(|s| **s != "offline_access")
                .map(|s| (*s).to_owned())
                .collect(),
            scope_mismatch: false,
            refuse_next: VecDeque::new(),
            history: VecDeque::new(),
            seq: 0,
        })));
        let auth = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(TokenResponder(shared.clone()))
            .mount(&auth)
            .await;
        let api = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ApiResponder(shared.clone()))
            .mount(&api)
            .await;
        MockAtlassian { auth, api, shared }
    }

    pub(crate) fn token_url(&self) -> String {
        format!("{}/oauth/token", self.auth.uri())
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, MockState> {
        self.shared.lock()
    }

    /// The family's current refresh token.
    pub(crate) fn current_refresh_token(&self) -> Option<String> {
        self.state().family.as_ref().map(|f| f.current.clone())
    }

    pub(crate) fn revoked(&self) -> bool {
        self.state().family.as_ref().is_some_and(|f| f.revoked)
    }
}
