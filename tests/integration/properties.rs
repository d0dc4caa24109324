//! Properties of the whole sanitizer over generated documents: it never panics, what a
//! `redact` path matches never reaches the output, and pseudonyms are a function of the
//! value and the salt.

use proptest::prelude::*;
use serde_json::{Map, Value};

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer, is_java_blank};
use pseudoproxy::rules::{self, RuleSet};
use pseudoproxy::sanitize::{Report, sanitize, sanitize_value};

/// Rules exercising every transform kind, with deep scans, wildcards and a schema.
const RULES: &str = r##"
endpoints:
  - pathTemplate: /any
    transforms:
      - !<redact>
        jsonPaths: ["$..secret", "$.items[*].body"]
      - !<pseudonymize>
        jsonPaths: ["$..email", "$..id"]
      - !<pseudonymize>
        jsonPaths: ["$..ownerId"]
        includeReversible: true
        encoding: JSON
      - !<pseudonymizeEmailHeader>
        jsonPaths: ["$..to"]
      - !<pseudonymizeRegexMatches>
        jsonPaths: ["$..text"]
        regex: "([a-z]+)@"
      - !<redactRegexMatches>
        jsonPaths: ["$..text"]
        redactions: ["[0-9]+"]
      - !<redactExceptPhrases>
        jsonPaths: ["$..subject"]
        allowedPhrases: ["weekly sync"]
      - !<redactExceptSubstringsMatchingRegexes>
        jsonPaths: ["$..location"]
        exceptions: ["zoom|teams"]
      - !<filterTokenByRegex>
        jsonPaths: ["$..url"]
        filters: ["https://[a-z.]+/.*"]
      - !<tokenize>
        jsonPaths: ["$..token"]
      - !<textDigest>
        jsonPaths: ["$..title"]
        keywords: ["plan"]
      - !<hashIp>
        jsonPaths: ["$..ip"]
      - !<encryptIp>
        jsonPaths: ["$..ip6"]
  - pathTemplate: /schema
    responseSchema:
      type: object
      properties:
        items:
          type: array
          items: { $ref: "#/definitions/Item" }
        count: { type: integer }
        flag: { type: boolean }
    transforms:
      - !<redact>
        jsonPaths: ["$..secret"]
definitions:
  Item:
    type: object
    properties:
      id: { type: string }
      secret: { type: string }
      nested: { $ref: "#/definitions/Item" }
"##;

fn rule_set() -> RuleSet {
    rules::from_str(RULES, "properties.yaml").unwrap_or_else(|d| panic!("{d}"))
}

fn pseudonymizer(salt: &str) -> Pseudonymizer {
    Pseudonymizer::new(PseudonymConfig {
        salt: salt.into(),
        encryption_key: Some("key".into()),
        ..PseudonymConfig::default()
    })
}

const KEYS: &[&str] = &[
    "secret", "email", "id", "ownerId", "to", "text", "subject", "location", "url", "token",
    "title", "ip", "ip6", "items", "body", "nested", "count", "flag", "other",
];

/// Arbitrary JSON whose object keys come from the names the rules target.
fn json(leaf_strings: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        leaf_strings.prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn any_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[a-z]{1,8}@[a-z]{1,8}\\.com",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "[ \\t]{0,3}",
        "Weekly sync [a-z0-9 ]{0,10}",
    ]
    .boxed()
}

/// Replace every value under a `secret` key by a unique marker the generator never makes.
fn plant_markers(value: &mut Value, counter: &mut usize) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "secret" {
                    *counter += 1;
                    *child = Value::from(format!("CANARY-{counter}-X"));
                } else {
                    plant_markers(child, counter);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| plant_markers(v, counter)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sanitizing_arbitrary_json_never_panics(doc in json(any_text()), path in prop::sample::select(vec!["/any", "/schema"])) {
        let rules = rule_set();
        let matched = rules.gate("GET", path, None).expect("allowed");
        let body = doc.to_string();
        // Ok or a fail-closed error are both fine; a panic is not.
        if let Ok(out) = sanitize(&rules, matched.endpoint, &pseudonymizer("salt"), &body) {
            prop_assert!(serde_json::from_str::<Value>(&out.body).is_ok(), "output is not JSON: {}", out.body);
        }
    }

    #[test]
    fn arbitrary_bytes_as_a_body_never_panic(body in any::<String>()) {
        let rules = rule_set();
        let matched = rules.gate("GET", "/any", None).expect("allowed");
        let _ = sanitize(&rules, matched.endpoint, &pseudonymizer("salt"), &body);
    }

    #[test]
    fn a_value_matched_by_redact_never_appears(mut doc in json("[a-z ]{0,12}".boxed()), path in prop::sample::select(vec!["/any", "/schema"])) {
        let mut planted = 0;
        plant_markers(&mut doc, &mut planted);
        let rules = rule_set();
        let matched = rules.gate("GET", path, None).expect("allowed");
        let mut report = Report::default();
        // Failing closed returns nothing, which leaks nothing; output must not hold a canary.
        if let Ok(out) = sanitize_value(&rules, matched.endpoint, &pseudonymizer("salt"), doc, &mut report) {
            prop_assert!(!out.to_string().contains("CANARY-"), "redacted value leaked: {out}");
        }
    }

    #[test]
    fn pseudonyms_are_deterministic_per_salt_and_differ_across_salts(text in any::<String>().prop_filter("not blank", |s| !is_java_blank(s)), salt_a in "[a-z]{4,12}", salt_b in "[a-z]{4,12}") {
        prop_assume!(salt_a != salt_b);
        let a1 = pseudonymizer(&salt_a).pseudonymize(&text, false).unwrap().expect("not blank").url_safe_token();
        let a2 = pseudonymizer(&salt_a).pseudonymize(&text, false).unwrap().expect("not blank").url_safe_token();
        let b = pseudonymizer(&salt_b).pseudonymize(&text, false).unwrap().expect("not blank").url_safe_token();
        prop_assert_eq!(&a1, &a2);
        prop_assert_ne!(a1, b);
    }
}
