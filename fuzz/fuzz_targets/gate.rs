//! Request gating with the shipped rules: input is `METHOD PATH?QUERY`; any request is
//! admitted or refused with a reason, never a panic. An admitted path passed hardening.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pseudoproxy::rules::RuleSet;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let text = include_str!("../../rules/confluence.yaml");
        pseudoproxy::rules::from_str(text, "confluence.yaml").expect("the shipped rules load")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (method, url) = text.split_once(' ').unwrap_or(("GET", text));
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url, None),
    };
    if rules().gate(method, path, query).is_ok() {
        assert!(!path.contains(".."), "an admitted path with a dot segment");
        assert!(!path.contains("//"), "an admitted path with an empty segment");
    }
});
