//! Properties of the privacy rewriting the sanitizer does besides the rules: pagination
//! links of a response to a request that carried reversed tokens never hold an original,
//! and an upstream error body is always JSON made of allow-listed strings only.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::pseudonymizer;
use crate::pseudonym::url::reverse_tokens;
use crate::sanitize::{LinkProtection, MAX_ERROR_BODY, error_body};

/// Every string an error body may hold (the literals of `error_body.rs`).
const ALLOWED: [&str; 22] = [
    "API_ERROR",
    "Could not parse cql",
    "No field exists with the given name",
    "Cannot order by the given field",
    "CQL was parsed but the search failed",
    "INVALID_REQUEST_PARAMETER",
    "Invalid request parameter",
    "NOT_FOUND",
    "Not Found",
    "UNAUTHORIZED",
    "Unauthorized",
    "FORBIDDEN",
    "Forbidden",
    "BAD_REQUEST",
    "Bad Request",
    "TOO_MANY_REQUESTS",
    "Too Many Requests",
    "INTERNAL_SERVER_ERROR",
    "Internal Server Error",
    "OTHER",
    "Unauthorized; scope does not match",
    "Service Unavailable",
];

fn all_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| all_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| all_strings(v, out)),
        _ => {}
    }
}

/// An original as a source id might look: letters, digits, `:`, `-`, `.`, `@`, `/`, `%`,
/// `+`, spaces and a little unicode, 4 to 40 characters (long enough to be detected).
fn original() -> impl Strategy<Value = String> {
    "[A-Za-z0-9:.@/%+ é-]{4,40}".prop_filter("not blank", |s| !s.trim().is_empty())
}

/// Ways a source may echo `original` into a link.
fn echoed(original: &str, how: u8) -> String {
    let encoded = crate::percent::encode(original);
    match how % 5 {
        0 => original.to_owned(),
        1 => encoded,
        2 => encoded.to_ascii_lowercase(),
        3 => original.replace(' ', "+"),
        _ => format!("%22{encoded}%22"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn links_never_reveal_an_original(original in original(), how in any::<u8>(), before in "[a-z]{0,5}") {
        let p = pseudonymizer();
        let token = p.tokenize(&original).unwrap();
        let query = format!("cursor=x&id={token}");
        let sent = reverse_tokens(&query, p).unwrap();
        let path = reverse_tokens("/wiki/api/v2/spaces", p).unwrap();
        let links = LinkProtection::new("/wiki/api/v2/spaces", Some(&query), &path, Some(&sent));
        let link = format!("/wiki/api/v2/spaces?{before}={}&id={}", echoed(&original, how), echoed(&original, how / 5));
        let mut doc = json!({"results": [{"_links": {"self": link.clone()}}], "_links": {"next": link}});
        links.protect_document(&mut doc);
        let text = crate::jackson::to_compact_string(&doc);
        let decoded = crate::percent::decode_lossy(&text, crate::percent::Plus::IsSpace);
        prop_assert!(!text.contains(&original) && !decoded.contains(&original), "{text}");
        prop_assert!(serde_json::from_str::<Value>(&text).is_ok());
    }

    /// Whatever the upstream error body holds, the caller gets JSON whose every string is
    /// a literal of the allow-list: no upstream text survives.
    #[test]
    fn error_bodies_carry_only_allow_listed_strings(
        canary in "[A-Za-z0-9 @.:~'\"-]{1,60}",
        shape in 0u8..6,
        status in 400u16..600,
    ) {
        let body = match shape {
            0 => json!({"statusCode": status, "data": {"authorized": true, "errors": [canary]}, "message": format!("Could not parse cql : {canary}"), "reason": canary}),
            1 => json!({"errors": [{"status": status, "code": canary, "title": canary, "detail": canary}]}),
            2 => json!({"code": status, "message": canary}),
            3 => json!({"message": canary, "canary": canary}),
            4 => json!([canary]),
            _ => json!(canary),
        };
        let out = String::from_utf8(error_body(status, body.to_string().as_bytes(), None)).unwrap();
        let parsed: Value = serde_json::from_str(&out).unwrap();
        let mut strings = Vec::new();
        all_strings(&parsed, &mut strings);
        for s in strings {
            prop_assert!(ALLOWED.contains(&s.as_str()), "{s:?} in {out}");
        }
        let big = vec![b' '; MAX_ERROR_BODY + 1];
        prop_assert!(error_body(status, &big, None).len() < 64);
    }
}

/// A body of several JSON values (NDJSON, `{}{}`) is protected value by value: the link
/// protection does not depend on the body being exactly one document.
#[test]
fn every_value_of_a_multi_value_body_is_protected() {
    let p = pseudonymizer();
    let original = "557058:multi-value-canary";
    let token = p.tokenize(original).unwrap();
    let query = format!("favorited-by={token}");
    let links = LinkProtection::new(
        "/x",
        Some(&query),
        &reverse_tokens("/x", p).unwrap(),
        Some(&reverse_tokens(&query, p).unwrap()),
    );
    let echoed = crate::percent::encode(original);
    let one = format!(r#"{{"_links":{{"next":"/x?favorited-by={echoed}"}}}}"#);
    let rules = crate::rules::from_str("endpoints:\n  - pathTemplate: /x\n", "t.yaml").unwrap();
    for body in [
        format!("{one}\n{one}"),
        format!("{one}{one}"),
        format!("{one} [{one}]"),
    ] {
        let out = crate::sanitize::sanitize_response(&rules, &rules.endpoints[0], p, &body, &links)
            .unwrap()
            .body;
        assert!(!out.contains("multi-value-canary"), "{out}");
        assert_eq!(out.matches(&token).count(), 2, "{out}");
    }
}
