//! Properties of the privacy rewriting the sanitizer does besides the rules: pagination
//! links of a response to a request that carried reversed tokens never hold an original,
//! and an upstream error body is always small JSON with no email address left.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::pseudonymizer;
use crate::pseudonym::url::reverse_tokens;
use crate::sanitize::{LinkProtection, MAX_ERROR_BODY, error_body};

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

    #[test]
    fn error_bodies_are_small_json_without_emails(
        local in "[a-z][a-z0-9.+_-]{0,20}",
        domain in "[a-z]{1,10}\\.(com|io|example)",
        noise in ".{0,200}",
        status in 400u16..600,
    ) {
        let email = format!("{local}@{domain}");
        let body = json!({"message": format!("{noise} {email} {noise}"), "errors": [email.clone(), {"x": email.clone()}]});
        let out = error_body(status, body.to_string().as_bytes(), pseudonymizer(), &LinkProtection::none());
        let text = String::from_utf8(out).unwrap();
        prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
        // A pseudonym keeps the domain (`t~<hash>@domain`); the hash may end in the local
        // part's letters, so look for the address with the pseudonyms taken out.
        let tokens = regex::Regex::new("t~[A-Za-z0-9_-]{43}").unwrap();
        prop_assert!(!tokens.replace_all(&text, "").contains(&email), "{text}");
        let raw = format!("<html>{email}</html>");
        let fallback = error_body(status, raw.as_bytes(), pseudonymizer(), &LinkProtection::none());
        prop_assert_eq!(String::from_utf8(fallback).unwrap(), json!({"error": "API_ERROR", "status": status}).to_string());
        let big = vec![b' '; MAX_ERROR_BODY + 1];
        prop_assert!(error_body(status, &big, pseudonymizer(), &LinkProtection::none()).len() < 64);
    }
}
