//! JSONPath in rules files: Jayway-only forms that we cannot evaluate faithfully are load
//! errors that name the fix, never silent zero-matches; the documented rewrites work.

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules;
use pseudoproxy::sanitize::sanitize;

fn rules_redacting(path: &str) -> String {
    format!(
        "endpoints:\n  - pathTemplate: /x\n    transforms:\n      - !<redact>\n        jsonPaths: [\"{path}\"]\n"
    )
}

fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(PseudonymConfig {
        salt: "salt".into(),
        ..PseudonymConfig::default()
    })
}

/// Sanitize `doc` at `/x` with a rules file redacting `path`.
fn redact(path: &str, doc: &str) -> String {
    let rules = rules::from_str(&rules_redacting(path), "inline.yaml")
        .unwrap_or_else(|d| panic!("{path}: {d}"));
    let matched = rules.gate("GET", "/x", None).expect("allowed");
    sanitize(&rules, matched.endpoint, &pseudonymizer(), doc)
        .expect("sanitized")
        .body
}

#[test]
fn jayway_only_forms_are_load_errors_with_a_hint() {
    let cases = [
        ("$..['a','b'].['c']", "]["),
        ("$.items[?(@.kind in ['x','y'])].secret", "||"),
        ("$.items[?(@.kind nin ['x'])].secret", "&&"),
        ("$.items.length()", ""),
        ("$.items[(@.length-1)]", ""),
        ("$.items[?(@.tags size 2)]", ""),
        ("$.items[?(@.tags anyof ['a'])]", ""),
        ("$.items[*", ""),
        ("items", ""),
    ];
    for (path, hint_fragment) in cases {
        let err = rules::from_str(&rules_redacting(path), "inline.yaml").expect_err(path);
        let rendered = err.to_string();
        assert!(
            rendered.contains("inline.yaml:5:"),
            "{path}: not located on the jsonPaths line:\n{rendered}"
        );
        assert!(
            rendered.contains(hint_fragment),
            "{path}: hint should mention {hint_fragment:?}:\n{rendered}"
        );
    }
}

#[test]
fn the_documented_rewrites_evaluate() {
    let doc = r#"{"a":{"c":"A","d":1},"b":{"c":"B"},"x":{"c":"X"}}"#;
    assert_eq!(
        redact("$..['a','b']['c']", doc),
        r#"{"a":{"d":1},"b":{},"x":{"c":"X"}}"#
    );

    let doc =
        r#"{"items":[{"kind":"x","secret":1},{"kind":"y","secret":2},{"kind":"z","secret":3}]}"#;
    assert_eq!(
        redact("$.items[?(@.kind == 'x' || @.kind == 'y')].secret", doc),
        r#"{"items":[{"kind":"x"},{"kind":"y"},{"kind":"z","secret":3}]}"#
    );
    assert_eq!(
        redact("$.items[?(@.kind != 'x' && @.kind != 'y')].secret", doc),
        r#"{"items":[{"kind":"x","secret":1},{"kind":"y","secret":2},{"kind":"z"}]}"#
    );
}

#[test]
fn jayway_regex_filters_are_evaluated_as_full_matches() {
    let doc = r#"{"items":[{"kind":"Page","secret":1},{"kind":"pages","secret":2}]}"#;
    assert_eq!(
        redact("$.items[?(@.kind =~ /page/i)].secret", doc),
        r#"{"items":[{"kind":"Page"},{"kind":"pages","secret":2}]}"#
    );
}
