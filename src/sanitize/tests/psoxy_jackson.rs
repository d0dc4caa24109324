//! Psoxy's answers at the edges of JSON (`tests/data/psoxy-differential/jackson-vectors.json`,
//! produced by running Jackson as Psoxy's pipeline calls it; its README says how): numbers
//! under no schema, an `integer`, `number` or `string` schema and `pseudonymize`; lone
//! surrogates; nesting depth; a root the schema rejects. Zero differences, except where
//! the contract chooses otherwise (listed in `KNOWN`, each with its reason).

use serde::Deserialize;
use serde_json::Value;

use super::super::{SanitizeError, sanitize};
use super::pseudonymizer;
use crate::jackson::input::replace_lone_surrogates;
use crate::rules::{self, RuleSet};

/// (literal, case, why we differ on purpose).
const KNOWN: &[(&str, &str, &str)] = &[
    // JDK 17's `Double.toString` (the vectors' runtime) is not the shortest form; JDK 19+
    // prints `1.0E23`, as we do (docs/rules.md, "Output format").
    ("1e23", "*", "JDK 17 Double.toString"),
    ("2e23", "*", "JDK 17 Double.toString"),
    // The contract: `null` under an `integer` schema stays `null` (Psoxy writes 0).
    ("null", "integer", "null stays null"),
    ("null", "integer+pseudonymize", "null stays null"),
];

#[derive(Deserialize)]
struct Vectors {
    numbers: Vec<NumberCase>,
    strings: Vec<StringCase>,
}

#[derive(Deserialize)]
struct NumberCase {
    literal: String,
    as_object_member: Flows,
    as_array_element: Flows,
}

#[derive(Deserialize)]
struct Flows {
    input: String,
    stream_no_schema: String,
    stream_schema_integer: String,
    stream_schema_number: String,
    stream_schema_string: String,
    stream_pseudonymize: String,
    stream_schema_integer_then_pseudonymize: String,
}

#[derive(Deserialize)]
struct StringCase {
    input: String,
    stream_no_schema: String,
    #[serde(rename = "stream_textDigest")]
    stream_text_digest: String,
    stream_pseudonymize: String,
}

fn vectors() -> Vectors {
    let text = include_str!("../../../tests/data/psoxy-differential/jackson-vectors.json");
    serde_json::from_str(&replace_lone_surrogates(text)).unwrap()
}

/// One endpoint: the document is an object `{"n":…}` (`member`) or an array `[…]`, with an
/// optional schema type for the value and optional transform on it.
fn rules_for(member: bool, kind: Option<&str>, transform: Option<&str>) -> RuleSet {
    let schema = kind.map(|kind| match member {
        true => format!(
            "    responseSchema:\n      type: object\n      properties:\n        n:\n          type: {kind}\n        s:\n          type: {kind}\n"
        ),
        false => format!("    responseSchema:\n      type: array\n      items:\n        type: {kind}\n"),
    });
    let transforms = transform.map(|t| {
        let paths = match member {
            true => "[\"$.n\", \"$.s\"]",
            false => "[\"$[*]\"]",
        };
        format!("    transforms:\n      - !<{t}>\n        jsonPaths: {paths}\n")
    });
    let yaml = format!(
        "endpoints:\n  - pathTemplate: \"/x\"\n{}{}",
        schema.unwrap_or_default(),
        transforms.unwrap_or_default()
    );
    rules::from_str(&yaml, "psoxy-jackson.yaml").unwrap()
}

/// Our output for `input`, or `ERROR` when we refuse the body (Psoxy's "worker thread
/// died" is a refused body too).
fn ours(rules: &RuleSet, input: &str) -> String {
    match sanitize(rules, &rules.endpoints[0], pseudonymizer(), input) {
        Ok(s) => s.body,
        Err(_) => "ERROR".into(),
    }
}

fn theirs(expected: &str) -> String {
    match expected.contains("ERROR") {
        true => "ERROR".into(),
        false => expected.to_owned(),
    }
}

fn known(literal: &str, case: &str) -> bool {
    KNOWN
        .iter()
        .any(|(l, c, _)| *l == literal && (*c == "*" || *c == case))
}

#[test]
fn numbers_get_psoxys_output_under_every_schema_and_pseudonymize() {
    let cases: [(&str, Option<&str>, Option<&str>); 6] = [
        ("none", None, None),
        ("integer", Some("integer"), None),
        ("number", Some("number"), None),
        ("string", Some("string"), None),
        ("pseudonymize", None, Some("pseudonymize")),
        (
            "integer+pseudonymize",
            Some("integer"),
            Some("pseudonymize"),
        ),
    ];
    let vectors = vectors();
    assert!(vectors.numbers.len() >= 50);
    let mut differences = Vec::new();
    for member in [true, false] {
        for (case, kind, transform) in cases {
            let rules = rules_for(member, kind, transform);
            for number in &vectors.numbers {
                if known(&number.literal, case) {
                    continue;
                }
                let flows = match member {
                    true => &number.as_object_member,
                    false => &number.as_array_element,
                };
                let expected = match case {
                    "none" => &flows.stream_no_schema,
                    "integer" => &flows.stream_schema_integer,
                    "number" => &flows.stream_schema_number,
                    "string" => &flows.stream_schema_string,
                    "pseudonymize" => &flows.stream_pseudonymize,
                    _ => &flows.stream_schema_integer_then_pseudonymize,
                };
                let (got, want) = (ours(&rules, &flows.input), theirs(expected));
                if got != want {
                    differences.push(format!("{case} {}: ours {got}, Psoxy {want}", flows.input));
                }
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn lone_surrogates_read_written_and_hashed_as_psoxy_does() {
    let vectors = vectors();
    let mut differences = Vec::new();
    for (case, transform) in [
        ("none", None),
        ("textDigest", Some("textDigest")),
        ("pseudonymize", Some("pseudonymize")),
    ] {
        let rules = rules_for(true, None, transform);
        for string in &vectors.strings {
            let expected = match case {
                "none" => &string.stream_no_schema,
                "textDigest" => &string.stream_text_digest,
                _ => &string.stream_pseudonymize,
            };
            // The vectors file was read as our reader reads bodies; the input is written
            // back as JSON text holding the original escapes.
            let input = restore_escapes(&string.input);
            let (got, want) = (ours(&rules, &input), theirs(&restore_escapes(expected)));
            if got != want {
                differences.push(format!("{case} {input}: ours {got}, Psoxy {want}"));
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Text read through `replace_lone_surrogates` holds U+10FFFF for each lone surrogate;
/// as a body it must be the escape again (`\ud800`), and as expected output `?`.
fn restore_escapes(text: &str) -> String {
    text.replace(crate::jackson::input::LONE_SURROGATE, "\\ud800")
}

#[test]
fn nesting_is_read_to_jacksons_depth_and_refused_beyond_without_a_crash() {
    let rules = rules_for(false, None, None);
    let nested =
        |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n));
    // 1000 levels: served exactly (the deepest value Jackson reads).
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let body = format!("{}1{}", open.repeat(999), close.repeat(999));
        let body = format!("[{body}]");
        assert_eq!(ours(&rules, &body), body, "1000 levels of {open}");
    }
    // 1001 and far beyond: refused with the limit named, never a stack overflow.
    for n in [1001, 5000, 200_000, 1_000_000] {
        let body = nested("[", "]", n);
        let result = sanitize(&rules, &rules.endpoints[0], pseudonymizer(), &body);
        assert!(
            matches!(result, Err(SanitizeError::TooDeep { limit: 1000 })),
            "{n} levels: {result:?}"
        );
        assert!(result.unwrap_err().to_string().contains("1000"));
    }
    // Between serde_json's 128 and Jackson's 1000, with a schema and transforms.
    let deep = format!(
        "{{\"results\":[{{\"number\":1,\"x\":{}}}]}}",
        nested("[", "]", 130)
    );
    let yaml = "endpoints:\n  - pathTemplate: \"/x\"\n    responseSchema:\n      type: object\n      properties:\n        results:\n          type: array\n          items:\n            type: object\n            properties:\n              number:\n                type: integer\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$.results[*].number\"]\n";
    let rules = rules::from_str(yaml, "deep.yaml").unwrap();
    let out = ours(&rules, &deep);
    assert!(out.starts_with("{\"results\":[{\"number\":\"t~"), "{out}");
}

#[test]
fn a_root_the_schema_rejects_is_an_error_not_an_empty_page() {
    let object = rules_for(true, Some("integer"), None);
    let array = rules_for(false, Some("integer"), None);
    for (rules, body) in [
        (&object, "[{\"n\":1}]"),
        (&object, "42"),
        (&object, "\"str\""),
        (&object, "null"),
        (&object, "true"),
        (&array, "{\"n\":1}"),
        (&array, "42"),
        (&array, "null"),
    ] {
        let result = sanitize(rules, &rules.endpoints[0], pseudonymizer(), body);
        assert!(
            matches!(result, Err(SanitizeError::RootRejected)),
            "{body}: {result:?}"
        );
    }
    assert_eq!(ours(&object, "{}"), "{}");
    assert_eq!(ours(&array, "[]"), "[]");
}

#[test]
fn no_upstream_key_passes_a_schema_unnamed_not_even_a_plus_key() {
    let yaml = "endpoints:\n  - pathTemplate: \"/x\"\n    responseSchema:\n      type: object\n      properties:\n        results:\n          type: array\n          items:\n            type: object\n            properties:\n              id:\n                type: string\n";
    let rules = rules::from_str(yaml, "plus.yaml").unwrap();
    let body =
        r#"{"+top":1,"results":[{"id":"1","+x":{"email":"alice@acme.com","body":"secret"}}]}"#;
    let out = ours(&rules, body);
    assert_eq!(out, r#"{"results":[{"id":"1"}]}"#);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert!(!value.to_string().contains('+'));
}

mod properties {
    //! Classes 1–3 and 5 over random documents: any depth up to Jackson's is served and
    //! deeper is refused without a crash; no `+` key survives at any depth; numbers of
    //! any size and lone surrogates never fail a page; the output always parses.

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::super::super::{SanitizeError, sanitize};
    use super::super::pseudonymizer;
    use crate::rules;

    const RULES: &str = "endpoints:\n  - pathTemplate: \"/x\"\n    responseSchema:\n      $ref: \"#/definitions/Node\"\n    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$..s\"]\ndefinitions:\n  Node:\n    type: object\n    properties:\n      a:\n        $ref: \"#/definitions/Node\"\n      items:\n        type: array\n        items:\n          $ref: \"#/definitions/Node\"\n      n:\n        type: number\n      i:\n        type: integer\n      s:\n        type: string\n";

    /// A number literal from the awkward ones Jackson reads.
    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("-0".to_owned()),
            Just("-0.0".to_owned()),
            Just("1e400".to_owned()),
            Just("4.9e-324".to_owned()),
            Just("-9223372036854775809".to_owned()),
            Just("100000000000000000000000".to_owned()),
            any::<i64>().prop_map(|i| i.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| format!("{f:e}")),
        ]
    }

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#""\ud800 lone""#.to_owned()),
            Just(r#""x\udc00""#.to_owned()),
            Just(r#""alice@acme.com""#.to_owned()),
            "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
        ]
    }

    /// One level: the node's own members (some under `+` keys or unknown keys), wrapped
    /// around `inner` under `a` or inside `items`.
    fn level() -> impl Strategy<Value = (String, String, u8, bool)> {
        (number(), string(), 0u8..4, any::<bool>())
    }

    /// A document `depth` levels deep built from `levels` (cycled), without recursion.
    fn document(depth: usize, levels: &[(String, String, u8, bool)]) -> String {
        let mut doc = String::from("{}");
        for d in 0..depth.saturating_sub(1) / 2 {
            let (n, s, extra, in_items) = &levels[d % levels.len()];
            let extra = match extra {
                0 => format!(r#","+x":{{"email":"alice@acme.com","n":{n}}}"#),
                1 => format!(r#","+":[{s}]"#),
                2 => r#","unknown":{"s":"secret"}"#.to_owned(),
                _ => String::new(),
            };
            let child = match in_items {
                true => format!(r#""items":[{doc}]"#),
                false => format!(r#""a":{doc}"#),
            };
            doc = format!(r#"{{"n":{n},"i":{n},"s":{s}{extra},{child}}}"#);
        }
        doc
    }

    fn keys_of(value: &serde_json::Value, out: &mut Vec<String>) {
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(map) => {
                    out.extend(map.keys().cloned());
                    stack.extend(map.values());
                }
                serde_json::Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }

    #[test]
    fn random_documents_at_any_depth() {
        let rules = rules::from_str(RULES, "props.yaml").unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (1usize..1100, prop::collection::vec(level(), 1..6));
        runner
            .run(&strategy, |(depth, levels)| {
                let body = document(depth, &levels);
                let too_deep = crate::jackson::input::depth_exceeds(&body, 1000);
                let result = sanitize(&rules, &rules.endpoints[0], pseudonymizer(), &body);
                match (too_deep, result) {
                    (true, Err(SanitizeError::TooDeep { limit: 1000 })) => {}
                    (false, Ok(sanitized)) => {
                        // The output parses (on a stack for its depth) and holds no `+` key.
                        let keys = std::thread::Builder::new()
                            .stack_size(256 << 20)
                            .spawn(move || {
                                let mut parser =
                                    serde_json::Deserializer::from_str(&sanitized.body);
                                parser.disable_recursion_limit();
                                let value = <serde_json::Value as serde::Deserialize>::deserialize(
                                    &mut parser,
                                )
                                .expect("output parses");
                                let mut keys = Vec::new();
                                keys_of(&value, &mut keys);
                                keys
                            })
                            .unwrap()
                            .join()
                            .unwrap();
                        prop_assert!(
                            keys.iter().all(|k| !k.starts_with('+') && k != "unknown"),
                            "keys {:?}",
                            keys
                        );
                    }
                    (deep, other) => {
                        return Err(TestCaseError::fail(format!(
                            "depth {depth} (too deep: {deep}): {other:?}"
                        )));
                    }
                }
                Ok(())
            })
            .unwrap();
    }
}
