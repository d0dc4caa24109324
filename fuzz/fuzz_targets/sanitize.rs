//! Sanitizing arbitrary bodies with the shipped rules: the first byte picks the endpoint,
//! the rest is the body. Every outcome is sanitized JSON or an error, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules::RuleSet;
use serde_json::Value;

fn setup() -> &'static (RuleSet, Pseudonymizer) {
    static SETUP: OnceLock<(RuleSet, Pseudonymizer)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let text = include_str!("../../rules/confluence.yaml");
        let rules = pseudoproxy::rules::from_str(text, "confluence.yaml").expect("rules load");
        let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
            salt: "fuzz".into(),
            encryption_key: Some("fuzz-key".into()),
            ..PseudonymConfig::default()
        });
        (rules, pseudonymizer)
    })
}

fuzz_target!(|data: &[u8]| {
    let (rules, pseudonymizer) = setup();
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(body) else {
        return;
    };
    let endpoint = &rules.endpoints[usize::from(pick) % rules.endpoints.len()];
    if let Ok(sanitized) = pseudoproxy::sanitize::sanitize(rules, endpoint, pseudonymizer, body) {
        for value in serde_json::Deserializer::from_str(&sanitized.body).into_iter::<Value>() {
            assert!(value.is_ok(), "sanitized output is not JSON");
        }
    }
});
