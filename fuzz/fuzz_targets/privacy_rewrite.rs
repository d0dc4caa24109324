//! The privacy rewriting outside the rules: pagination-link protection and upstream error
//! bodies. The input is split at the first NUL into an original (tokenized into a request
//! query, as a caller would send it) and a body (a response document or an error body).
//! Every outcome must be JSON; no `_links` string may reveal an original of at least four
//! characters; an error body never carries upstream text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pseudoproxy::percent::{Plus, decode_lossy};
use pseudoproxy::pseudonym::url::reverse_tokens;
use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::sanitize::{LinkProtection, error_body};
use serde_json::Value;

fn pseudonymizer() -> &'static Pseudonymizer {
    static P: OnceLock<Pseudonymizer> = OnceLock::new();
    P.get_or_init(|| {
        Pseudonymizer::new(PseudonymConfig {
            salt: "fuzz".into(),
            encryption_key: Some("fuzz-key".into()),
            ..PseudonymConfig::default()
        })
    })
}

/// Every `_links` string in `value`, at any depth.
fn link_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(links)) = map.get("_links") {
                out.extend(links.values().filter_map(Value::as_str));
            }
            map.values().for_each(|v| link_strings(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| link_strings(v, out)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (original, body) = text.split_once('\0').unwrap_or((text, "{}"));
    let p = pseudonymizer();
    let Ok(token) = p.tokenize(original) else {
        return;
    };
    let query = format!("cursor=1&id={token}");
    let (Ok(path), Ok(sent)) = (reverse_tokens("/x", p), reverse_tokens(&query, p)) else {
        return;
    };
    let links = LinkProtection::new("/x", Some(&query), &path, Some(&sent));

    let out = error_body(404, body.as_bytes(), None);
    let out = std::str::from_utf8(&out).expect("error body is UTF-8");
    assert!(serde_json::from_str::<Value>(out).is_ok(), "error body is not JSON");
    // Rebuilt from fixed pieces (at most five v2 entries): never the size of the input.
    assert!(out.len() < 1024, "an error body carries upstream text");

    if let Ok(mut doc) = serde_json::from_str::<Value>(body) {
        links.protect_document(&mut doc);
        let detectable = original.chars().count() >= 4;
        let mut strings = Vec::new();
        link_strings(&doc, &mut strings);
        for link in strings {
            let decoded = decode_lossy(link, Plus::IsSpace);
            assert!(
                !detectable || !(link.contains(original) || decoded.contains(original)),
                "a link reveals the original"
            );
        }
    }
});
