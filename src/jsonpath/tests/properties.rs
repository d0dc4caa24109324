//! Property tests: compiling never panics on any text, and locating never panics on any
//! document, always returning unique, reachable locations in document order.

use proptest::prelude::*;
use serde_json::Value;

use super::super::{JsonPath, get_mut};

/// Text drawn mostly from JSONPath's own alphabet, so the parser's deeper branches run.
fn pathish() -> impl Strategy<Value = String> {
    "\\$?[$@.\\[\\]()?*'\"=!<>~&|/\\\\ ,:a-c0-9u-]{0,40}"
}

pub(super) fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("x".to_owned()),
        any::<String>()
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        prop_oneof![Just("a".to_owned()), Just("1".to_owned()), any::<String>()]
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

const PATHS: &[&str] = &[
    "$",
    "$.a",
    "$..a",
    "$..*",
    "$..[0]",
    "$..['a','b'].x",
    "$.a[*].b",
    "$.*[-1:]",
    "$[:-1]..x",
    "$[1:3][0,-1]",
    "$..a[?(@.x)]",
    "$..b[?(@.x == 1 || @.x != 'a' && !(@.a < $.x))]",
    "$.a[?(@.x =~ /.*1.*/i)].b",
    "$.*[?(@[0] >= '1')]",
];

proptest! {
    #[test]
    fn compile_never_panics_on_any_text(text in any::<String>()) {
        let _ = JsonPath::compile(&text);
    }

    #[test]
    fn compile_never_panics_on_pathlike_text(text in pathish()) {
        if let Err(e) = JsonPath::compile(&text) {
            prop_assert!(e.offset <= text.chars().count(), "offset {} past the end of {:?}", e.offset, text);
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn locate_returns_unique_reachable_locations_in_order(document in arb_json()) {
        for path in PATHS {
            let compiled = JsonPath::compile(path).unwrap();
            let found = compiled.locate(&document);
            prop_assert_eq!(compiled.matches_any(&document), !found.is_empty(), "{}", path);
            let mut copy = document.clone();
            for location in &found {
                prop_assert!(get_mut(&mut copy, location).is_some(), "{}: {} unreachable", path, location);
            }
            for pair in found.windows(2) {
                prop_assert!(pair[0] != pair[1], "{}: duplicate {}", path, pair[0]);
            }
        }
    }
}
