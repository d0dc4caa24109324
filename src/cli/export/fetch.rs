//! One page through the proxy: admission by the run's [`Gate`], the request under the
//! caller-side timeout, and what the answer means (see `verdict`).
//!
//! - Flow control (429, or 503 with `Retry-After`) is not a failed attempt: the gate pauses
//!   every worker as the source asked, and the request goes back in the retry lane.
//! - A timeout (no whole answer within `--request-timeout`), a transport error or a
//!   transient 5xx is a failed attempt: retried after a jittered exponential backoff
//!   (0.5 s, 1 s, 2 s …, each uniform in [½, 1]×, at most `--max-wait`), at most
//!   `--max-attempts` per page.
//! - A final answer ends the listing with the proxy's reason.
//!
//! Every request, refusal and failure is counted, in the listing's tally and live.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::Value;

use super::gate::{Gate, Lane};
use super::pacing::Outcome;
use super::progress::Counters;
use super::ratelimit::{self, RateSignals};
use super::stop::Stop;
use super::summary::{Event, StopReason, Tally};
use super::verdict::{self, Class, Refusal};
use crate::cli::sigv4::caller::{Caller, CallerError, error_chain};

#[derive(Debug, thiserror::Error)]
pub(super) enum FetchError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("gave up after {attempts} failed attempts; the last: {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error(transparent)]
    Caller(CallerError),
    #[error("{}", .0.describe())]
    Stopped(StopReason),
}

/// The retry and timeout settings.
#[derive(Debug, Clone)]
pub(super) struct FetchSettings {
    /// Failed attempts per page before the listing fails (flow control not counted).
    pub max_attempts: u32,
    /// First backoff step after a failed attempt; doubles per attempt.
    pub base_backoff: Duration,
    /// Longest backoff (`--max-wait`).
    pub max_backoff: Duration,
    /// Longest time for one whole request, body included (`--request-timeout`).
    pub request_timeout: Duration,
}

/// A fetched page.
pub(super) struct Page {
    pub body: Value,
    pub link: Option<String>,
}

/// What one fetch needs from the run.
pub(super) struct Fetcher<'a> {
    pub caller: &'a Caller,
    pub gate: &'a Gate,
    pub stop: &'a Stop,
    pub settings: &'a FetchSettings,
    pub live: &'a Counters,
}

/// An answer, read whole.
struct Answer {
    status: u16,
    code: Option<String>,
    signals: RateSignals,
    link: Option<String>,
    body: bytes::Bytes,
}

/// Why no answer was read.
enum SendError {
    /// Not worth retrying (credentials, signing, a bad URL).
    Caller(CallerError),
    /// The connection or the body broke: retried.
    Transport(String),
}

impl Fetcher<'_> {
    /// GETs `url`, as described in the module documentation; counts into `tally`.
    pub(super) async fn page(
        &self,
        url: &reqwest::Url,
        tally: &mut Tally,
    ) -> Result<Page, FetchError> {
        let mut lane = Lane::Fresh;
        let mut failed_attempts = 0u32;
        loop {
            let ticket = self.gate.admit(lane).await.map_err(FetchError::Stopped)?;
            self.count(tally, Event::Sent);
            let sent = tokio::select! {
                biased;
                reason = self.stop.stopped() => return Err(FetchError::Stopped(reason)),
                sent = tokio::time::timeout(self.settings.request_timeout, self.send(url)) => sent,
            };
            let failure = match sent {
                Err(_elapsed) => {
                    ticket.finish(Outcome::Failed);
                    self.count(tally, Event::TimedOut);
                    format!(
                        "no answer within {:.1}s (--request-timeout)",
                        self.settings.request_timeout.as_secs_f64()
                    )
                }
                Ok(Err(SendError::Transport(reason))) => {
                    ticket.finish(Outcome::Failed);
                    self.count(tally, Event::Failed);
                    reason
                }
                Ok(Err(SendError::Caller(error))) => {
                    ticket.finish(Outcome::Abandoned);
                    self.count(tally, Event::Failed);
                    return Err(FetchError::Caller(error));
                }
                Ok(Ok(answer)) => {
                    let class = verdict::classify(
                        answer.status,
                        answer.code.as_deref(),
                        answer.signals.retry_after.is_some(),
                    );
                    let budget = answer.signals.budget;
                    match class {
                        Class::Page => {
                            ticket.finish(Outcome::Answered { budget });
                            return match serde_json::from_slice(&answer.body) {
                                Ok(body) => Ok(Page {
                                    body,
                                    link: answer.link,
                                }),
                                Err(e) => {
                                    self.count(tally, Event::Failed);
                                    Err(FetchError::NotJson(e.to_string()))
                                }
                            };
                        }
                        Class::FlowControl => {
                            ticket.finish(Outcome::Refused {
                                retry_after: answer.signals.retry_after,
                                budget,
                            });
                            self.count(tally, Event::Refused);
                            lane = Lane::Retry;
                            continue;
                        }
                        Class::Final => {
                            ticket.finish(Outcome::Answered { budget });
                            self.count(tally, Event::Failed);
                            let refusal = verdict::refusal(
                                answer.status,
                                answer.code.as_deref(),
                                &answer.body,
                                url.query(),
                            );
                            return Err(FetchError::Refused(refusal));
                        }
                        Class::Transient => {
                            ticket.finish(Outcome::Failed);
                            self.count(tally, Event::Failed);
                            verdict::transient_reason(answer.status, answer.code.as_deref())
                        }
                    }
                }
            };
            failed_attempts += 1;
            if failed_attempts >= self.settings.max_attempts {
                return Err(FetchError::GaveUp {
                    attempts: failed_attempts,
                    last: failure,
                });
            }
            let wait = backoff(self.settings, failed_attempts);
            tokio::select! {
                biased;
                reason = self.stop.stopped() => return Err(FetchError::Stopped(reason)),
                () = tokio::time::sleep(wait) => {}
            }
            lane = Lane::Retry;
        }
    }

    fn count(&self, tally: &mut Tally, event: Event) {
        tally.note(event);
        self.live.note(event);
    }

    /// One GET, read whole.
    async fn send(&self, url: &reqwest::Url) -> Result<Answer, SendError> {
        let headers = [("accept".to_owned(), "application/json".to_owned())];
        let response = match self.caller.get(url, &headers).await {
            Ok(response) => response,
            Err(CallerError::Http { reason, .. }) => return Err(SendError::Transport(reason)),
            Err(other) => return Err(SendError::Caller(other)),
        };
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let signals = ratelimit::read(
            response
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            now_unix,
        );
        let code = header(&response, "x-psoxy-error");
        let link = header(&response, "link");
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| {
            SendError::Transport(format!("reading the answer failed: {}", error_chain(&e)))
        })?;
        Ok(Answer {
            status,
            code,
            signals,
            link,
            body,
        })
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    let value = response.headers().get(name)?;
    value.to_str().ok().map(str::to_owned)
}

/// The wait before attempt `failed + 1`: "full jitter" backoff, uniform in
/// [base·2^(failed-1) / 2, base·2^(failed-1)], at most `max_backoff`.
pub(super) fn backoff(settings: &FetchSettings, failed: u32) -> Duration {
    let exponent = failed.saturating_sub(1).min(16);
    let ceiling = settings
        .base_backoff
        .saturating_mul(1 << exponent)
        .min(settings.max_backoff);
    let fraction = rand::rng().random_range(0.5..=1.0);
    ceiling.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_jittered_exponential_and_capped() {
        let settings = FetchSettings {
            max_attempts: 8,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
        };
        for (failed, low_ms, high_ms) in [(1, 100, 200), (3, 400, 800), (20, 15_000, 30_000)] {
            for _ in 0..50 {
                let wait = backoff(&settings, failed).as_millis();
                assert!(
                    (low_ms..=high_ms).contains(&wait),
                    "attempt {failed}: {wait} ms not in [{low_ms}, {high_ms}]"
                );
            }
        }
    }
}
