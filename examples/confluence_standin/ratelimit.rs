//! The stand-in's rate limits, as Confluence Cloud reports them: a per-second burst limit
//! (a token bucket: `--rate` requests a second, `--burst` at once) and an hourly points
//! quota (each GET costs 1 point plus 1 per object returned), answered with 429,
//! `Retry-After` (whole seconds) and the `X-RateLimit-*`, `RateLimit-Reason` and
//! points-based `Beta-RateLimit*` / `X-Beta-RateLimit-*` headers.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::clock::{iso8601, now_ms};

const HOUR_MS: u64 = 3_600_000;

/// Why a request was refused.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reason {
    Burst,
    Quota,
}

impl Reason {
    fn text(self) -> &'static str {
        match self {
            Reason::Burst => "confluence-burst-based",
            Reason::Quota => "confluence-quota-global-based",
        }
    }
}

/// What [`Limits::admit`] decided, and the state the headers report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    /// `Some((retry_after_seconds, reason))` when refused.
    pub(crate) refused: Option<(u64, Reason)>,
    tokens: f64,
    points_left: u64,
    quota_reset_s: u64,
}

struct State {
    tokens: f64,
    refilled: Instant,
    /// The hour (epoch millis / one hour) the points were spent in.
    hour: u64,
    points: u64,
}

pub(crate) struct Limits {
    /// Requests a second; 0 = no burst limit.
    rate: f64,
    burst: f64,
    points_per_hour: u64,
    state: Mutex<State>,
}

impl Limits {
    /// `rate` 0 means no burst limit; `points_per_hour` 0 means no quota (and no
    /// `Beta-RateLimit` headers).
    pub(crate) fn new(rate: f64, burst: f64, points_per_hour: u64) -> Limits {
        let burst = burst.max(1.0);
        Limits {
            rate: rate.max(0.0),
            burst,
            points_per_hour,
            state: Mutex::new(State {
                tokens: burst,
                refilled: Instant::now(),
                hour: now_ms() / HOUR_MS,
                points: 0,
            }),
        }
    }

    pub(crate) fn rate(&self) -> f64 {
        self.rate
    }

    pub(crate) fn burst(&self) -> f64 {
        self.burst
    }

    pub(crate) fn points_per_hour(&self) -> u64 {
        self.points_per_hour
    }

    /// Takes one request from the bucket, or says how long to wait.
    pub(crate) fn admit(&self) -> Decision {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now_ms = now_ms();
        roll_hour(&mut state, now_ms);
        let quota_reset_s = (HOUR_MS - now_ms % HOUR_MS).div_ceil(1000);
        let mut refused = None;
        if self.points_per_hour > 0 && state.points >= self.points_per_hour {
            refused = Some((quota_reset_s.max(1), Reason::Quota));
        } else if self.rate > 0.0 {
            let now = Instant::now();
            let elapsed = now.duration_since(state.refilled).as_secs_f64();
            state.tokens = (state.tokens + elapsed * self.rate).min(self.burst);
            state.refilled = now;
            if state.tokens < 1.0 {
                let wait = ((1.0 - state.tokens) / self.rate).ceil().max(1.0);
                refused = Some((wait as u64, Reason::Burst));
            } else {
                state.tokens -= 1.0;
            }
        }
        Decision {
            refused,
            tokens: state.tokens,
            points_left: self.points_per_hour.saturating_sub(state.points),
            quota_reset_s,
        }
    }

    /// Spends `points` of the hourly quota (after an answer was sent).
    pub(crate) fn charge(&self, points: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        roll_hour(&mut state, now_ms());
        state.points = state.points.saturating_add(points);
    }

    /// The rate-limit headers of an answer after `decision`.
    pub(crate) fn headers(&self, decision: &Decision, out: &mut HeaderMap) {
        if self.rate > 0.0 {
            let remaining = decision.tokens.max(0.0).floor() as u64;
            put(out, "x-ratelimit-limit", (self.burst as u64).to_string());
            put(out, "x-ratelimit-remaining", remaining.to_string());
            if decision.tokens < 0.2 * self.burst {
                put(out, "x-ratelimit-nearlimit", "true".to_owned());
            }
        }
        if self.points_per_hour > 0 {
            put(
                out,
                "beta-ratelimit-policy",
                format!("\"global-app-quota\";q={};w=3600", self.points_per_hour),
            );
            put(
                out,
                "beta-ratelimit",
                format!(
                    "\"global-app-quota\";r={};t={}",
                    decision.points_left, decision.quota_reset_s
                ),
            );
        }
        if let Some((retry_after, reason)) = decision.refused {
            put(out, "retry-after", retry_after.to_string());
            put(out, "ratelimit-reason", reason.text().to_owned());
            put(
                out,
                "x-ratelimit-reset",
                iso8601(now_ms() + retry_after * 1000),
            );
            if let Reason::Quota = reason {
                put(out, "x-beta-ratelimit-reason", reason.text().to_owned());
                put(
                    out,
                    "x-beta-ratelimit-reset",
                    iso8601(now_ms() + decision.quota_reset_s * 1000),
                );
            }
        }
    }
}

fn roll_hour(state: &mut State, now_ms: u64) {
    let hour = now_ms / HOUR_MS;
    if hour != state.hour {
        state.hour = hour;
        state.points = 0;
    }
}

fn put(out: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        out.insert(HeaderName::from_static(name), value);
    }
}
