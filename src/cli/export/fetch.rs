//! Fetching one page through the proxy, with polite retries.
//!
//! Retried: 429 and 503 (waiting `Retry-After` seconds, capped, when present — else a
//! jittered exponential backoff), 504 and transport errors (backoff). Every other non-2xx
//! answer is final for the endpoint: the proxy already decided (blocked by rules, revoked
//! consent…), and repeating it would not change the answer.

use std::time::Duration;

use rand::Rng;
use serde_json::Value;

use crate::cli::sigv4::caller::{Caller, CallerError};

#[derive(Debug, thiserror::Error)]
pub(super) enum FetchError {
    #[error("{status}{code}: {body}")]
    Status {
        status: u16,
        code: String,
        body: String,
    },
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: String },
    #[error("the answer is not JSON: {0}")]
    NotJson(String),
    #[error(transparent)]
    Caller(#[from] CallerError),
}

/// Retry policy.
#[derive(Debug, Clone)]
pub(super) struct RetryPolicy {
    pub max_attempts: u32,
    /// First backoff step when no `Retry-After` is given; doubles per attempt.
    pub base_delay: Duration,
    /// Upper bound for any single wait, `Retry-After` included.
    pub max_delay: Duration,
}

/// A fetched page.
pub(super) struct Page {
    pub body: Value,
    pub link: Option<String>,
    pub retries: u64,
}

/// GETs `url`, retrying as described above; `on_wait` hears about each wait.
pub(super) async fn fetch_page(
    caller: &Caller,
    url: &reqwest::Url,
    policy: &RetryPolicy,
    on_wait: &(dyn Fn(String) + Send + Sync),
) -> Result<Page, FetchError> {
    let headers = [("accept".to_owned(), "application/json".to_owned())];
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = caller.get(url, &headers).await;
        let (reason, retry_after) = match outcome {
            Ok(response) if response.status().is_success() => {
                let link = header(&response, "link");
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| FetchError::NotJson(e.to_string()))?;
                let body = serde_json::from_slice(&bytes)
                    .map_err(|e| FetchError::NotJson(e.to_string()))?;
                let retries = u64::from(attempt - 1);
                return Ok(Page {
                    body,
                    link,
                    retries,
                });
            }
            Ok(response) if matches!(response.status().as_u16(), 429 | 503 | 504) => {
                let retry_after =
                    header(&response, "retry-after").and_then(|v| parse_retry_after(&v));
                (
                    format!("status {}", response.status().as_u16()),
                    retry_after,
                )
            }
            Ok(response) => return Err(final_status(response).await),
            Err(CallerError::Http { reason, .. }) => (reason, None),
            Err(other) => return Err(other.into()),
        };
        if attempt >= policy.max_attempts {
            return Err(FetchError::GaveUp {
                attempts: attempt,
                last: reason,
            });
        }
        let wait = delay(policy, attempt, retry_after);
        on_wait(format!("{reason}; retrying in {:.1}s", wait.as_secs_f64()));
        tokio::time::sleep(wait).await;
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    let value = response.headers().get(name)?;
    value.to_str().ok().map(str::to_owned)
}

async fn final_status(response: reqwest::Response) -> FetchError {
    let status = response.status().as_u16();
    let code = header(&response, "x-psoxy-error").map_or_else(String::new, |c| format!(" {c}"));
    let body = response.text().await.unwrap_or_default();
    let body: String = body.chars().take(300).collect();
    FetchError::Status { status, code, body }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Atlassian; treated as absent).
pub(super) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// The wait before attempt `attempt + 1`: `Retry-After` (capped) when given, else
/// "full jitter" backoff: uniform in [base·2^(attempt-1) / 2, base·2^(attempt-1)], capped.
pub(super) fn delay(policy: &RetryPolicy, attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait.min(policy.max_delay);
    }
    let exponent = attempt.saturating_sub(1).min(16);
    let ceiling = policy
        .base_delay
        .saturating_mul(1 << exponent)
        .min(policy.max_delay);
    let fraction = rand::rng().random_range(0.5..=1.0);
    ceiling.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let cases = [
            ("2", Some(Duration::from_secs(2))),
            (" 0.5 ", Some(Duration::from_millis(500))),
            ("3600", Some(Duration::from_secs(30))),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
            ("-1", None),
        ];
        for (header, expected) in cases {
            let parsed = parse_retry_after(header);
            let wait = parsed.map(|d| delay(&policy(), 1, Some(d)));
            assert_eq!(wait, expected, "Retry-After: {header:?}");
        }
    }

    #[test]
    fn backoff_without_retry_after_is_jittered_exponential_and_capped() {
        for (attempt, low_ms, high_ms) in [(1, 100, 200), (3, 400, 800), (20, 15_000, 30_000)] {
            for _ in 0..50 {
                let wait = delay(&policy(), attempt, None).as_millis();
                assert!(
                    (low_ms..=high_ms).contains(&wait),
                    "attempt {attempt}: {wait} ms not in [{low_ms}, {high_ms}]"
                );
            }
        }
    }
}
