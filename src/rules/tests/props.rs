//! Property tests: no input makes loading or gating panic.

use proptest::prelude::*;

use super::{load_valid, read_data};
use crate::rules::from_str;

/// A valid file with a few random edits: reaches much deeper than random text.
fn mutated(base: String) -> impl Strategy<Value = String> {
    let len = base.len();
    prop::collection::vec((0..=len, prop::sample::select(EDITS.to_vec())), 1..6).prop_map(
        move |edits| {
            let mut text = base.clone();
            for (at, edit) in edits {
                let at = (0..=at.min(text.len()))
                    .rev()
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(0);
                match edit {
                    "" => {
                        let end = (at + 7).min(text.len());
                        let end = (end..=text.len())
                            .find(|i| text.is_char_boundary(*i))
                            .unwrap_or(text.len());
                        text.replace_range(at..end, "");
                    }
                    insert => text.insert_str(at, insert),
                }
            }
            text
        },
    )
}

/// Insertions that tend to break structure in interesting ways ("" deletes a few chars).
const EDITS: [&str; 14] = [
    "",
    "\n",
    "  ",
    "- ",
    ": ",
    "{",
    "]",
    "!<redact>",
    "!",
    "&a ",
    "*a",
    "$ref: x\n",
    "'",
    "\t",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn loading_arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = from_str(&text, "fuzz.yaml");
    }

    #[test]
    fn loading_a_mutated_rules_file_never_panics(text in mutated(read_data("valid/full.yaml"))) {
        if let Err(diagnostics) = from_str(&text, "fuzz.yaml") {
            prop_assert!(!diagnostics.is_empty());
        }
    }

    #[test]
    fn gating_arbitrary_requests_never_panics(
        method in "[A-Za-z]{0,8}",
        path in "(/|[a-z]|%|[0-9A-Fa-f]|\\.|~|\\\\|[\\x00-\\x7f]|é){0,40}",
        query in proptest::option::of("(=|&|;|%|[a-z]|[0-9A-F]|\\+|é){0,30}"),
    ) {
        let rules = load_valid("gate/rules.yaml");
        let _ = rules.gate(&method, &path, query.as_deref());
    }
}

/// Nesting is bounded by the YAML parser's budget; right up to it, loading neither
/// overflows the stack nor fails.
#[test]
fn deep_nesting_loads_or_is_refused_without_overflow() {
    for depth in [20, 40, 60, 61, 62, 200] {
        let mut text = String::from("endpoints:\n  - pathTemplate: /a\n    responseSchema:\n");
        let mut indent = "      ".to_owned();
        for _ in 0..depth {
            text.push_str(&format!("{indent}type: array\n{indent}items:\n"));
            indent.push_str("  ");
        }
        text.push_str(&format!("{indent}type: string\n"));
        let result = from_str(&text, "deep.yaml");
        assert_eq!(
            result.is_ok(),
            depth <= 60,
            "depth {depth}: {:?}",
            result.err()
        );
    }
}
