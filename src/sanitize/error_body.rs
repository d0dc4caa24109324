//! The body of an upstream error answer (4xx/5xx), which never passes raw (docs/proxy.md,
//! "Upstream errors"): the source's error bodies quote the request (with reversed
//! originals), account ids, names and emails.
//!
//! PURE. [`error_body`] keeps only a small JSON body with every email address in every
//! string pseudonymized and every pagination link protected; anything else becomes
//! `{"error":"API_ERROR","status":N}`.
//!
//! Invariant: the output is always JSON of at most [`MAX_ERROR_BODY`] input bytes'
//! worth, written once; the input is never returned.

use serde_json::Value;

use super::links::LinkProtection;
use crate::pseudonym::Pseudonymizer;

/// Largest upstream error body considered; larger ones get the fixed fallback.
pub const MAX_ERROR_BODY: usize = 16 * 1024;

/// The body to send for an upstream answer with status `status` and body `body`.
pub fn error_body(
    status: u16,
    body: &[u8],
    pseudonymizer: &Pseudonymizer,
    links: &LinkProtection,
) -> Vec<u8> {
    let fallback = || {
        serde_json::json!({ "error": "API_ERROR", "status": status })
            .to_string()
            .into_bytes()
    };
    if body.len() > MAX_ERROR_BODY {
        return fallback();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            pseudonymize_emails(&mut value, pseudonymizer);
            links.protect_document(&mut value);
            crate::jackson::to_compact_string(&value).into_bytes()
        }
        Err(_) => fallback(),
    }
}

fn email_pattern() -> &'static regex::Regex {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
        regex::Regex::new(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap()
    })
}

/// Every email address in every string (keys included) replaced by its pseudonym.
fn pseudonymize_emails(value: &mut Value, pseudonymizer: &Pseudonymizer) {
    let replace = |text: &str| -> String {
        email_pattern()
            .replace_all(text, |caps: &regex::Captures| {
                let found = caps.get(0).map_or("", |m| m.as_str());
                match pseudonymizer.pseudonymize(found, false) {
                    Ok(Some(p)) => p.url_safe_token(),
                    _ => "[email]".to_owned(),
                }
            })
            .into_owned()
    };
    match value {
        Value::String(text) => *text = replace(text),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| pseudonymize_emails(v, pseudonymizer)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                pseudonymize_emails(&mut v, pseudonymizer);
                map.insert(replace(&key), v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::pseudonym::PseudonymConfig;

    #[test]
    fn error_bodies_only_json_small_and_emails_hidden() {
        let p = Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            ..Default::default()
        });
        let none = LinkProtection::none();
        let json = br#"{"message":"no user ana@acme.example here","errors":["bob@x.io"]}"#;
        let out = String::from_utf8(error_body(404, json, &p, &none)).unwrap();
        assert!(
            !out.contains("ana@acme.example") && !out.contains("bob@x.io"),
            "{out}"
        );
        assert!(out.contains("t~") && out.contains("@acme.example"), "{out}");
        let fallback = r#"{"error":"API_ERROR","status":404}"#;
        let html = error_body(404, b"<html>ana@acme.example</html>", &p, &none);
        assert_eq!(String::from_utf8(html).unwrap(), fallback);
        let big = format!(r#"{{"m":"{}"}}"#, "a".repeat(MAX_ERROR_BODY));
        assert_eq!(
            String::from_utf8(error_body(404, big.as_bytes(), &p, &none)).unwrap(),
            fallback
        );
    }
}
