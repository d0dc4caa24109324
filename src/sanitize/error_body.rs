//! The body of an upstream error answer (4xx/5xx), rebuilt from an allow-list, never
//! passed on (docs/proxy.md, "Upstream errors"). Confluence's error texts quote the
//! request — the CQL with the originals of the caller's tokens, ids, parameter values,
//! sometimes an account — so no upstream string reaches the caller unless it equals an
//! entry of a fixed catalogue.
//!
//! PURE. [`error_body`] recognises the three shapes the source answers with and rebuilds
//! each from typed, allow-listed pieces:
//! - v1 (`/wiki/rest/api/...`): `{"statusCode":N,"data":{…},"message":"…","reason":"…"}` →
//!   `statusCode`, the `data` booleans, `data.errors` emptied, `message` reduced to a
//!   fixed text by its recognised prefix (else omitted), `reason` only if it is the
//!   standard phrase of the status;
//! - v2 (`/wiki/api/v2/...`): `{"errors":[{"status","code","title","detail"}]}` → at most
//!   five entries of `status`, `code` (a known constant, else `OTHER`) and a fixed title
//!   for the code; `detail` dropped;
//! - the API gateway: exactly `{"code":N,"message":"…"}` → `code`, and `message` only when
//!   it is a known fixed sentence.
//!
//! Anything else — not JSON, too large, another shape — becomes
//! `{"error":"API_ERROR","status":N}`.
//!
//! Invariant: every string in the output is a literal of this file or the proxy's own
//! `hint`; every number is an HTTP status or a copied integer status; the output is
//! always JSON.

use serde_json::{Map, Value, json};

/// Largest upstream error body considered; larger ones get the fallback.
pub const MAX_ERROR_BODY: usize = 16 * 1024;
/// Most v2 error entries kept.
const MAX_V2_ERRORS: usize = 5;

/// v1 `message` prefixes → the fixed text passed on. Every observed v1 message quotes the
/// request after these words, so only the class of failure passes.
const V1_MESSAGES: [(&str, &str); 5] = [
    ("Could not parse cql", "Could not parse cql"),
    (
        "com.atlassian.confluence.api.service.exceptions.BadRequestException: No field exists with the name",
        "No field exists with the given name",
    ),
    (
        "No field exists with the name",
        "No field exists with the given name",
    ),
    ("Cannot order by", "Cannot order by the given field"),
    (
        "CQL was parsed but searchManager was unable",
        "CQL was parsed but the search failed",
    ),
];

/// v2 error codes passed on, each with the fixed title sent for it.
const V2_CODES: [(&str, &str); 8] = [
    ("INVALID_REQUEST_PARAMETER", "Invalid request parameter"),
    ("NOT_FOUND", "Not Found"),
    ("UNAUTHORIZED", "Unauthorized"),
    ("FORBIDDEN", "Forbidden"),
    ("BAD_REQUEST", "Bad Request"),
    ("TOO_MANY_REQUESTS", "Too Many Requests"),
    ("INTERNAL_SERVER_ERROR", "Internal Server Error"),
    ("SERVICE_UNAVAILABLE", "Service Unavailable"),
];

/// Gateway messages passed on verbatim (fixed sentences of the Atlassian API gateway).
const GATEWAY_MESSAGES: [&str; 3] = [
    "Unauthorized; scope does not match",
    "Unauthorized",
    "Forbidden",
];

/// v1 `data` flags passed on when they are booleans.
const V1_FLAGS: [&str; 5] = [
    "authorized",
    "valid",
    "allowedInReadOnlyMode",
    "successful",
    "notSuccessful",
];

/// The body to send for an upstream answer with status `status` and body `body`. `hint`
/// — the proxy's own fixed text naming the likely cause (e.g. a 401 a fresh token did
/// not cure) — is added as `"hint"`.
pub fn error_body(status: u16, body: &[u8], hint: Option<&str>) -> Vec<u8> {
    let rebuilt = match body.len() <= MAX_ERROR_BODY {
        true => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|value| rebuild(status, &value)),
        false => None,
    };
    let mut value = rebuilt.unwrap_or_else(|| json!({ "error": "API_ERROR", "status": status }));
    if let (Some(hint), Value::Object(map)) = (hint, &mut value) {
        map.insert("hint".into(), json!(hint));
    }
    crate::jackson::to_compact_string(&value).into_bytes()
}

fn rebuild(status: u16, body: &Value) -> Option<Value> {
    let object = body.as_object()?;
    if object.contains_key("statusCode") {
        v1(status, object)
    } else if object.contains_key("errors") {
        v2(object)
    } else {
        gateway(status, object)
    }
}

fn v1(status: u16, object: &Map<String, Value>) -> Option<Value> {
    let code = object.get("statusCode")?.as_u64()?;
    let mut out = Map::new();
    out.insert("statusCode".into(), json!(code));
    if let Some(Value::Object(data)) = object.get("data") {
        let mut flags = Map::new();
        for flag in V1_FLAGS {
            if let Some(Value::Bool(b)) = data.get(flag) {
                flags.insert(flag.into(), json!(b));
            }
        }
        flags.insert("errors".into(), json!([]));
        out.insert("data".into(), Value::Object(flags));
    }
    let message = object.get("message").and_then(Value::as_str);
    if let Some(fixed) = message.and_then(v1_message) {
        out.insert("message".into(), json!(fixed));
    }
    let standard = reason_phrase(status);
    let reason = object.get("reason").and_then(Value::as_str);
    if let Some(reason) = reason.filter(|r| Some(*r) == standard) {
        out.insert("reason".into(), json!(reason));
    }
    Some(Value::Object(out))
}

fn v1_message(message: &str) -> Option<&'static str> {
    V1_MESSAGES
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix))
        .map(|(_, fixed)| *fixed)
}

fn v2(object: &Map<String, Value>) -> Option<Value> {
    let errors = object.get("errors")?.as_array()?;
    let entries: Vec<Value> = errors
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|entry| {
            let status = match entry.get("status")? {
                Value::Number(n) => n.as_u64()?,
                Value::String(s) => s.parse::<u16>().ok().map(u64::from)?,
                _ => return None,
            };
            let code = entry.get("code").and_then(Value::as_str);
            let (code, title) = V2_CODES
                .iter()
                .find(|(known, _)| Some(*known) == code)
                .map_or(("OTHER", None), |(known, title)| (*known, Some(*title)));
            let mut out = Map::new();
            out.insert("status".into(), json!(status));
            out.insert("code".into(), json!(code));
            if let Some(title) = title {
                out.insert("title".into(), json!(title));
            }
            Some(Value::Object(out))
        })
        .take(MAX_V2_ERRORS)
        .collect();
    (!entries.is_empty()).then(|| json!({ "errors": entries }))
}

fn gateway(status: u16, object: &Map<String, Value>) -> Option<Value> {
    let only_code_and_message = object.keys().all(|k| k == "code" || k == "message");
    let code = object.get("code")?.as_u64()?;
    if !only_code_and_message || code != u64::from(status) {
        return None;
    }
    let mut out = Map::new();
    out.insert("code".into(), json!(code));
    let message = object.get("message").and_then(Value::as_str);
    if let Some(message) = message.filter(|m| GATEWAY_MESSAGES.contains(m)) {
        out.insert("message".into(), json!(message));
    }
    Some(Value::Object(out))
}

/// The standard reason phrase of an HTTP status, as the source writes it.
fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn rebuilt(status: u16, body: &str) -> String {
        String::from_utf8(error_body(status, body.as_bytes(), None)).unwrap()
    }

    /// Bodies of the shapes the source answers with (texts as seen in public reports,
    /// with our own canaries where they quote the request) → what the caller gets.
    #[test]
    fn each_shape_is_rebuilt_from_the_allow_list() {
        let cases = [
            (
                400,
                r#"{"statusCode":400,"data":{"authorized":true,"valid":true,"allowedInReadOnlyMode":true,"errors":[{"message":{"key":"k","args":["ana@acme.example"]}}],"successful":true},"message":"Could not parse cql : creator = \"557058:canary\" and text ~ \"Ana Canary\"","reason":"Bad Request"}"#,
                r#"{"statusCode":400,"data":{"authorized":true,"valid":true,"allowedInReadOnlyMode":true,"successful":true,"errors":[]},"message":"Could not parse cql","reason":"Bad Request"}"#,
            ),
            (
                400,
                r#"{"statusCode":400,"data":{"authorized":true},"message":"com.atlassian.confluence.api.service.exceptions.BadRequestException: No field exists with the name: 'Canary'"}"#,
                r#"{"statusCode":400,"data":{"authorized":true,"errors":[]},"message":"No field exists with the given name"}"#,
            ),
            (
                403,
                r#"{"statusCode":403,"message":"Not permitted to use confluence : Ana Canary","reason":"Nope"}"#,
                r#"{"statusCode":403}"#,
            ),
            (
                404,
                r#"{"errors":[{"status":404,"code":"NOT_FOUND","title":"Cannot find [page] entity with id [557058]","detail":"ana@acme.example"}]}"#,
                r#"{"errors":[{"status":404,"code":"NOT_FOUND","title":"Not Found"}]}"#,
            ),
            (
                400,
                r#"{"errors":[{"status":"400","code":"CANARY_CODE","title":"Provided value {557058:canary} for 'id' is not the correct type"},"x",{"code":"NOT_FOUND"}]}"#,
                r#"{"errors":[{"status":400,"code":"OTHER"}]}"#,
            ),
            (
                401,
                r#"{"code":401,"message":"Unauthorized; scope does not match"}"#,
                r#"{"code":401,"message":"Unauthorized; scope does not match"}"#,
            ),
            (
                401,
                r#"{"code":401,"message":"Unauthorized for ana@acme.example"}"#,
                r#"{"code":401}"#,
            ),
        ];
        for (status, body, expected) in cases {
            assert_eq!(rebuilt(status, body), expected, "{body}");
        }
    }

    #[test]
    fn anything_else_is_the_fixed_fallback() {
        let big = format!(
            r#"{{"statusCode":500,"message":"{}"}}"#,
            "a".repeat(MAX_ERROR_BODY)
        );
        let cases = [
            "<html>ana@acme.example</html>",
            "",
            "[1,2]",
            r#""Ana Canary""#,
            r#"{"message":"Ana Canary"}"#,
            r#"{"code":404,"message":"Unauthorized","extra":"Ana Canary"}"#,
            r#"{"code":500,"message":"Unauthorized"}"#,
            r#"{"errors":[]}"#,
            r#"{"errors":"Ana Canary"}"#,
            r#"{"statusCode":"404","message":"x"}"#,
            big.as_str(),
        ];
        for body in cases {
            assert_eq!(
                rebuilt(404, body),
                r#"{"error":"API_ERROR","status":404}"#,
                "{body:.60}"
            );
        }
    }
}
