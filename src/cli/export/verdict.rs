//! What an answer means for the export (pure): a page; the source's flow control (come back
//! later: never a failed attempt); a transient failure (retried, counted against
//! `--max-attempts`); or a final answer, with the reason a person needs to act on it.
//!
//! - 429, and 503 with `Retry-After`: flow control.
//! - Other 5xx, and 408: transient, unless the proxy's `X-Psoxy-Error` code says retrying
//!   cannot help (revoked consent, invalid rules, missing configuration, an answer that
//!   cannot be sanitized or is too large).
//! - Every other non-2xx answer: final for its listing (blocked by rules, not found…).
//!
//! The reason of a final answer is the `X-Psoxy-Error` value, then the body's `message`
//! (or `error`) when the body is a JSON object, else the explanation of the code. Nothing
//! else of a body is ever shown.

use serde_json::Value;

/// The class of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Page,
    FlowControl,
    Transient,
    Final,
}

/// `X-Psoxy-Error` codes on a 5xx that no retry can fix.
const FINAL_5XX_CODES: [&str; 5] = [
    "SOURCE_AUTH_REVOKED",
    "SANITIZATION_FAILED",
    "RESPONSE_TOO_LARGE",
    "RULES_INVALID",
    "CONNECTION_SETUP",
];

/// Longest reason text taken from an answer.
const MAX_TEXT: usize = 240;

pub(super) fn classify(status: u16, code: Option<&str>, has_retry_after: bool) -> Class {
    let final_code = code.is_some_and(|c| FINAL_5XX_CODES.contains(&bare_code(c)));
    match status {
        200..=299 => Class::Page,
        429 => Class::FlowControl,
        503 if has_retry_after && !final_code => Class::FlowControl,
        500..=599 if final_code => Class::Final,
        408 | 500..=599 => Class::Transient,
        _ => Class::Final,
    }
}

/// A transient answer in a few words: `status 504 SOURCE_API_READ_TIMEOUT`.
pub(super) fn transient_reason(status: u16, code: Option<&str>) -> String {
    match code {
        Some(code) => format!("status {status} {}", printable(code)),
        None => format!("status {status}"),
    }
}

/// A final answer, as a person should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub status: u16,
    /// `X-Psoxy-Error` as sent (printable, shortened).
    pub code: Option<String>,
    /// What the proxy or the source said, or what the code means.
    pub reason: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} {code}: {}", self.status, self.reason),
            None => write!(f, "{}: {}", self.status, self.reason),
        }
    }
}

/// The refusal in a final answer. `query` is the refused page's query string: a rules
/// refusal of a Confluence `next=` link gets a hint.
pub(super) fn refusal(
    status: u16,
    code: Option<&str>,
    body: &[u8],
    query: Option<&str>,
) -> Refusal {
    let code = code.map(printable).filter(|c| !c.is_empty());
    let mut reason = body_message(body)
        .or_else(|| code.as_deref().map(|c| explain(bare_code(c)).to_owned()))
        .unwrap_or_else(|| status_text(status).to_owned());
    let blocked = code
        .as_deref()
        .is_some_and(|c| bare_code(c) == "BLOCKED_BY_RULES");
    let next_link = query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("next=")));
    if blocked && next_link {
        reason.push_str(
            " (this page's link carries Confluence's `next=` parameter: the proxy's rules \
             must allow `next` on this endpoint)",
        );
    }
    Refusal {
        status,
        code,
        reason,
    }
}

/// The proxy's one-line explanation of an error code (the table `call` prints).
fn explain(code: &str) -> &'static str {
    crate::cli::call::explain(code)
}

/// `BLOCKED_BY_RULES; detail` → `BLOCKED_BY_RULES`.
fn bare_code(code: &str) -> &str {
    let end = code
        .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .unwrap_or(code.len());
    &code[..end]
}

/// `message`, else `error`, else the first of `errorMessages`, of a JSON object body.
fn body_message(body: &[u8]) -> Option<String> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let text = ["message", "error"]
        .iter()
        .find_map(|name| object.get(*name)?.as_str())
        .or_else(|| object.get("errorMessages")?.get(0)?.as_str())?;
    let text = printable(text);
    (!text.is_empty()).then_some(text)
}

/// Control characters dropped, whitespace runs collapsed, at most [`MAX_TEXT`] characters.
fn printable(text: &str) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &joined[..at]),
        None => joined,
    }
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "not authenticated (missing or wrong --token, or AWS credentials)",
        403 => "forbidden",
        404 => "not found",
        409 => "conflict",
        _ => "unexpected status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_control_transient_and_final_answers_are_told_apart() {
        let cases = [
            (200, None, false, Class::Page),
            (204, None, false, Class::Page),
            (429, None, false, Class::FlowControl),
            (429, None, true, Class::FlowControl),
            (503, Some("CONNECTION_TO_SOURCE"), true, Class::FlowControl),
            (503, None, false, Class::Transient),
            (
                504,
                Some("SOURCE_API_READ_TIMEOUT"),
                false,
                Class::Transient,
            ),
            (502, None, false, Class::Transient),
            (500, None, false, Class::Transient),
            (408, None, false, Class::Transient),
            (502, Some("SOURCE_AUTH_REVOKED"), false, Class::Final),
            (502, Some("RESPONSE_TOO_LARGE"), false, Class::Final),
            (500, Some("RULES_INVALID; detail"), false, Class::Final),
            (403, Some("BLOCKED_BY_RULES"), false, Class::Final),
            (404, None, false, Class::Final),
            (401, Some("UNAUTHORIZED_CALLER"), false, Class::Final),
            (302, None, false, Class::Final),
        ];
        for (status, code, retry_after, expected) in cases {
            assert_eq!(
                classify(status, code, retry_after),
                expected,
                "{status} {code:?} retry-after {retry_after}"
            );
        }
    }

    #[test]
    fn a_rules_refusal_without_a_body_is_explained() {
        let refused = refusal(
            403,
            Some("BLOCKED_BY_RULES"),
            b"",
            Some("limit=100&start=0"),
        );
        assert_eq!(
            refused.to_string(),
            "403 BLOCKED_BY_RULES: the rules do not allow this path, query parameter or method"
        );
        let next = refusal(
            403,
            Some("BLOCKED_BY_RULES"),
            b"",
            Some("next=true&limit=100&start=100"),
        );
        assert!(next.reason.contains("`next=`"), "{next}");
    }

    #[test]
    fn the_body_message_is_the_reason_and_nothing_else_of_the_body_shows() {
        let body = br#"{"error":"SOURCE_AUTH_REVOKED","message":"the source rejected the refresh token; re-run the consent flow (pseudoproxy auth)","secret":"s3cr3t"}"#;
        let refused = refusal(502, Some("SOURCE_AUTH_REVOKED"), body, None);
        assert_eq!(
            refused.reason,
            "the source rejected the refresh token; re-run the consent flow (pseudoproxy auth)"
        );
        assert!(!refused.to_string().contains("s3cr3t"));
        // Confluence's own error shapes, passed through by the proxy.
        let upstream = refusal(
            404,
            Some("API_ERROR"),
            br#"{"errorMessages":["No space"]}"#,
            None,
        );
        assert_eq!(upstream.reason, "No space");
        // A body that is not a JSON object is never shown.
        let html = refusal(404, None, b"<html>token=abc</html>", None);
        assert_eq!(html.to_string(), "404: not found");
    }

    #[test]
    fn reasons_are_printable_and_short() {
        let long = format!(r#"{{"message":"a\u0007b\n\nc {}"}}"#, "x".repeat(1000));
        let refused = refusal(
            400,
            Some("INVALID_REQUEST\r\nInjected: 1"),
            long.as_bytes(),
            None,
        );
        assert!(refused.reason.starts_with("a b c x"), "{}", refused.reason);
        assert!(refused.reason.chars().count() <= MAX_TEXT + 1);
        assert_eq!(refused.code.as_deref(), Some("INVALID_REQUEST Injected: 1"));
        assert_eq!(
            transient_reason(504, Some("SOURCE_API_READ_TIMEOUT")),
            "status 504 SOURCE_API_READ_TIMEOUT"
        );
    }
}
