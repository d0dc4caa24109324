//! Counters of what the stand-in answered to API calls, for the scripts
//! (`GET /_standin/stats`): refusals by cause, injected faults, and successful answers per
//! endpoint family (what an export's request count is judged by).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde_json::{Value, json};

/// A refusal or fault the stand-in counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    Request,
    /// Past the token and rate-limit checks (what `--fail-every` counts).
    Admitted,
    RateLimited,
    InjectedFault,
    Expired,
    Unknown,
    Missing,
    NotFound,
    BadRequest,
}

#[derive(Default)]
pub(crate) struct Stats {
    requests: AtomicU64,
    admitted: AtomicU64,
    rate_limited: AtomicU64,
    injected_faults: AtomicU64,
    expired_token: AtomicU64,
    unknown_token: AtomicU64,
    missing_token: AtomicU64,
    not_found: AtomicU64,
    bad_request: AtomicU64,
    /// Successful answers by endpoint family.
    ok: Mutex<BTreeMap<&'static str, u64>>,
}

impl Stats {
    /// Counts `event`; returns the new count.
    pub(crate) fn count(&self, event: Event) -> u64 {
        let counter = match event {
            Event::Request => &self.requests,
            Event::Admitted => &self.admitted,
            Event::RateLimited => &self.rate_limited,
            Event::InjectedFault => &self.injected_faults,
            Event::Expired => &self.expired_token,
            Event::Unknown => &self.unknown_token,
            Event::Missing => &self.missing_token,
            Event::NotFound => &self.not_found,
            Event::BadRequest => &self.bad_request,
        };
        counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a successful answer of `family`.
    pub(crate) fn ok(&self, family: &'static str) {
        let mut ok = self.ok.lock().unwrap_or_else(PoisonError::into_inner);
        *ok.entry(family).or_insert(0) += 1;
    }

    pub(crate) fn to_json(&self) -> Value {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let ok = self
            .ok
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        json!({
            "requests": get(&self.requests),
            "admitted": get(&self.admitted),
            "rateLimited": get(&self.rate_limited),
            "injectedFaults": get(&self.injected_faults),
            "expiredToken": get(&self.expired_token),
            "unknownToken": get(&self.unknown_token),
            "missingToken": get(&self.missing_token),
            "notFound": get(&self.not_found),
            "badRequest": get(&self.bad_request),
            "okByFamily": ok
        })
    }
}
