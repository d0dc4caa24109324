//! Psoxy's own verdicts on thousands of mailbox strings (`tests/data/psoxy-differential/
//! email-vectors.json`, produced by running Psoxy's email parser and pseudonym steps; its
//! README says how): for each, whether it is an email and its `t~` pseudonym under salt
//! `salt`. Zero differences, except the documented one (a bare `x@[literal]`, where
//! Psoxy's parser returns no domain and pseudonymizing fails: here it is hashed whole).

use serde::Deserialize;

use super::REFERENCE;
use crate::jackson::input::replace_lone_surrogates;

#[derive(Deserialize)]
struct Vector {
    input: String,
    email: bool,
    token: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("../../../tests/data/psoxy-differential/email-vectors.json");
    // A few inputs hold lone surrogates: read as our JSON reader reads them.
    serde_json::from_str(&replace_lone_surrogates(text)).unwrap()
}

/// base64url(SHA-256(text ‖ "salt")): how a non-email is hashed (computed here
/// independently of the code under test).
fn hash_whole(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{text}salt").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[test]
fn every_mailbox_string_gets_psoxys_verdict_and_pseudonym() {
    let vectors = vectors();
    assert!(vectors.len() >= 2000, "{} vectors", vectors.len());
    let mut differences = Vec::new();
    let (mut emails, mut diverging) = (0, 0);
    for v in &vectors {
        let ours = REFERENCE
            .pseudonymize(&v.input, false)
            .unwrap()
            .map(|p| p.url_safe_token());
        let expected = match (&v.error, &v.token) {
            // Documented difference: hashed whole, no domain.
            (Some(_), _) => {
                diverging += 1;
                Some(format!("t~{}", hash_whole(&v.input)))
            }
            (None, token) => token.clone(),
        };
        emails += usize::from(v.email && v.error.is_none());
        if ours != expected {
            differences.push(format!("{:?}: ours {ours:?}, Psoxy {expected:?}", v.input));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} differ:\n{}",
        differences.len(),
        vectors.len(),
        differences
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        emails > 1000 && diverging > 100,
        "{emails} emails, {diverging} bare literals"
    );
}
