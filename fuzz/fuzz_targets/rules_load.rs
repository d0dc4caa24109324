//! Rules loading: any text either compiles into a RuleSet or yields located diagnostics;
//! it never panics, and a file that loads can be linted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pseudoproxy::lint::{LintConfig, lint};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pseudoproxy::rules::from_str(text, "fuzz.yaml") {
        // The linter's analysis is bounded for any rules that load.
        Ok(rules) => {
            let _ = lint(&rules, &LintConfig::default(), None);
        }
        Err(diagnostics) => assert!(!diagnostics.0.is_empty(), "an error without a problem"),
    }
});
