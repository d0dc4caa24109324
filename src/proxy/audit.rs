//! The audit line: one structured `tracing` event per request (docs/proxy.md, "Health check and audit").
//!
//! Invariant: the event carries names, counts, statuses, codes and the *shape* of the
//! query only — never a body, a header value, a token, a secret or a query value. Query
//! values are dropped except `p~`/`t~` tokens, which are pseudonyms already.

use std::time::Duration;

use crate::sanitize::Report;

/// The target of the audit event; `log_line` formats events with it directly.
pub(super) const AUDIT_TARGET: &str = "pseudoproxy::audit";

/// What happened to one request; filled in as the pipeline goes.
#[derive(Debug, Default)]
pub(super) struct Audit {
    pub request_id: String,
    pub principal: Option<String>,
    pub method: String,
    /// The matched endpoint's label (its path template).
    pub endpoint: Option<String>,
    pub query_shape: Option<String>,
    pub upstream_status: Option<u16>,
    pub status: u16,
    pub error: Option<&'static str>,
    /// Internal detail of the error (names and reasons, never values).
    pub detail: Option<String>,
    pub bytes_in: usize,
    pub bytes_out: usize,
    pub report: Report,
    pub rules_sha: Option<String>,
}

impl Audit {
    /// Emits the line. Errors at 5xx are `warn`, everything else `info`.
    pub(super) fn emit(&self, duration: Duration) {
        let endpoint = self.endpoint.as_deref().unwrap_or("-");
        let query = self.query_shape.as_deref().unwrap_or("");
        let principal = self.principal.as_deref().unwrap_or("-");
        let rules_sha = self.rules_sha.as_deref().unwrap_or("-");
        let error = self.error.unwrap_or("");
        let detail = self.detail.as_deref().unwrap_or("");
        let upstream = self.upstream_status.map_or(0, u64::from);
        macro_rules! line {
            ($level:ident) => {
                tracing::$level!(
                    target: AUDIT_TARGET,
                    request_id = %self.request_id,
                    principal,
                    method = %self.method,
                    endpoint,
                    query,
                    upstream_status = upstream,
                    status = self.status,
                    error,
                    detail,
                    bytes_in = self.bytes_in,
                    bytes_out = self.bytes_out,
                    redacted = self.report.redacted,
                    pseudonymized = self.report.pseudonymized,
                    digested = self.report.digested,
                    duration_ms = duration.as_millis() as u64,
                    rules_sha,
                    "request"
                )
            };
        }
        if self.status >= 500 {
            line!(warn);
        } else {
            line!(info);
        }
    }
}

/// The query with values removed: `limit=&cursor=&accountId=t~abc…`. Only names the
/// matched endpoint declares (`allowed`, lower case) are written; any other name is the
/// caller's text and becomes `?` (before a match, every name does). The value of a
/// declared name is kept only when it is shaped exactly like a pseudonym (`t~` + 43 or
/// `p~` + 43 or more base64url characters), without its `@domain` suffix (free text the
/// caller could write); everything else keeps only its name.
pub(super) fn query_shape(query: &str, allowed: &[String]) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (safe_name(name, allowed), pseudonym_shaped(value)) {
                (Some(name), Some(token)) => format!("{name}={token}"),
                (Some(name), None) => format!("{name}="),
                (None, _) => "?=".to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The `t~`/`p~` token at the start of `value` (its `@domain` suffix cut off) when the
/// whole token part is shaped like one.
fn pseudonym_shaped(value: &str) -> Option<&str> {
    let token = value.split('@').next().unwrap_or_default();
    let body = token
        .strip_prefix("t~")
        .or_else(|| token.strip_prefix("p~"))?;
    let base64url = body
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    let length_ok = match token.starts_with("t~") {
        true => body.len() == 43,
        false => body.len() >= 43,
    };
    (base64url && length_ok).then_some(token)
}

/// A parameter name as logged: the caller writes it, so only a name the endpoint declares
/// (compared case-insensitively, spelled plainly) is kept.
fn safe_name<'a>(name: &'a str, allowed: &[String]) -> Option<&'a str> {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    let declared = allowed.iter().any(|a| a.eq_ignore_ascii_case(name));
    (plain && declared).then_some(name)
}

/// The request method as logged: a standard method, else `OTHER` (an extension method is
/// the caller's text).
pub(super) fn method_name(method: &str) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
    ];
    STANDARD
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_shape_table() {
        let token = format!("p~{}", "A".repeat(43));
        let allowed: Vec<String> = ["limit", "cursor", "cql", "accountid", "a"]
            .map(String::from)
            .to_vec();
        let cases = [
            ("limit=3&cursor=abc", "limit=&cursor=".to_owned()),
            ("cql=type%3Dpage&x", "cql=&?=".to_owned()),
            (&*format!("accountId={token}"), format!("accountId={token}")),
            ("secret%40x.com=1", "?=".to_owned()),
            ("alice.smith=1&LIMIT=2", "?=&LIMIT=".to_owned()),
            ("a=t~bad%20value", "a=".to_owned()),
            ("a=t~IGNORE-PREVIOUS.contact@evil.example", "a=".to_owned()),
            ("zz=p~Hello_operator_call_me", "?=".to_owned()),
            (&*format!("a={token}@evil.example"), format!("a={token}")),
            ("", String::new()),
        ];
        for (input, expected) in cases {
            assert_eq!(query_shape(input, &allowed), expected, "{input}");
        }
        assert_eq!(query_shape("limit=3&alice=1", &[]), "?=&?=");
    }

    #[test]
    fn only_standard_methods_are_logged() {
        for (method, logged) in [("GET", "GET"), ("get", "GET"), ("ALICESMITH", "OTHER")] {
            assert_eq!(method_name(method), logged);
        }
    }
}
