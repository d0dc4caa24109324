//! Leaf classes: what the linter says happens to each leaf, for every way a transform can
//! reach one (certainly, conditionally, on an enclosing value) and every schema keyword.

use super::{load, report, rows};
use crate::jsonpath::JsonPath;
use crate::lint::reach::reach;
use crate::lint::shape::Shape;

const PEOPLE: &str = r##"
endpoints:
  - pathTemplate: /people
    allowedQueryParams: []
    responseSchema:
      type: object
      properties:
        people:
          type: array
          items: { $ref: "#/definitions/Person" }
        first: { $ref: "#/definitions/Person" }
        meta:
          type: object
          properties:
            note: { type: string }
            count: { type: integer }
            gone: { type: "null" }
            fixed: { const: "x" }
            free: {}
            either:
              anyOf:
                - { type: string }
                - { type: object, properties: { inner: { type: string } } }
            choice:
              if: { type: object, properties: { k: { const: "a" } } }
              then: { type: object, properties: { a: { type: string } } }
              else: { type: object, properties: { b: { type: integer } } }
    transforms:
      - !<pseudonymize>
        jsonPaths: ["$..accountId"]
      - !<pseudonymize>
        jsonPaths: ["$.people[0].email"]
      - !<textDigest>
        jsonPaths: ["$.people[?(@.accountId == 'x')].bio"]
      - !<redact>
        jsonPaths: ["$.first.manager"]
      - !<textDigest>
        jsonPaths: ["$.meta.either"]
      - !<redactRegexMatches>
        jsonPaths: ["$.meta.note"]
        redactions: ["[0-9]+"]
      - !<pseudonymize>
        jsonPaths: ["$.first.email"]
        encoding: JSON
        includeOriginal: true
      - !<textDigest>
        jsonPaths: ["$.people[*].bio", "$.first.bio"]
        applyOnlyWhen: "$.meta.count"
      - !<textDigest>
        jsonPaths: ["$.meta.choice.a"]
  - pathTemplate: /anything
    transforms:
      - !<redact>
        jsonPaths: ["$.secret"]
definitions:
  Person:
    type: object
    properties:
      accountId: { type: string }
      email: { type: string }
      bio: { type: string }
      manager: { $ref: "#/definitions/Person" }
"##;

#[test]
fn every_leaf_gets_its_worst_case_class() {
    let report = report(PEOPLE);
    let expected = [
        "$.people[*].accountId string pseudonymized",
        // Only the first element is pseudonymized.
        "$.people[*].email string raw",
        // A filter and an applyOnlyWhen: neither runs on every document.
        "$.people[*].bio string raw",
        "$.people[*].manager.accountId string pseudonymized",
        "$.people[*].manager.email string raw",
        "$.people[*].manager.bio string raw",
        // The second expansion of Person stops here.
        "$.people[*].manager.manager - raw",
        "$.first.accountId string pseudonymized",
        // JSON encoding with includeOriginal carries the original value.
        "$.first.email string raw",
        "$.first.bio string raw",
        // Redacting the enclosing object removes everything under it.
        "$.first.manager.accountId string redacted",
        "$.first.manager.email string redacted",
        "$.first.manager.bio string redacted",
        "$.first.manager.manager - redacted",
        "$.meta.note string masked",
        "$.meta.count integer raw",
        "$.meta.gone null dropped",
        "$.meta.fixed const dropped",
        "$.meta.free scalar raw",
        // anyOf: one node that can be a string (digested) or an object (digest → null).
        "$.meta.either string|object digested",
        "$.meta.either.inner string dropped",
        // if/then/else: both branches' properties are possible.
        "$.meta.choice.a string digested",
        "$.meta.choice.b integer raw",
    ];
    assert_eq!(rows(&report.endpoints[0]), expected);
    assert_eq!(rows(&report.endpoints[1]), ["$ any unknown"]);
}

#[test]
fn conditional_and_enclosing_applications_are_listed_with_the_leaf() {
    let report = report(PEOPLE);
    let leaf = |path: &str| {
        report.endpoints[0]
            .leaves
            .iter()
            .find(|l| l.path.to_string() == path)
            .unwrap()
    };
    let bio = leaf("$.people[*].bio");
    let listed: Vec<(usize, bool, bool)> = bio
        .applied
        .iter()
        .map(|a| (a.transform, a.certain, a.on_enclosing))
        .collect();
    assert_eq!(listed, [(2, false, false), (7, false, false)]);
    let manager_email = leaf("$.first.manager.email");
    assert_eq!(manager_email.applied[0].path, "$.first.manager");
    assert!(manager_email.applied[0].on_enclosing && manager_email.applied[0].certain);
    assert_eq!(
        leaf("$.first.email").applied[0].options,
        "encoding=JSON, original"
    );
}

/// Every leaf path the linter prints is a JSONPath that reaches exactly that leaf, on
/// every document: the table can be pasted into a rules file.
#[test]
fn leaf_paths_are_jsonpaths_that_reach_exactly_their_leaf() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/confluence.yaml"),
    )
    .unwrap();
    for yaml in [PEOPLE, text.as_str()] {
        let rules = load(yaml);
        for endpoint in rules
            .endpoints
            .iter()
            .filter(|e| e.response_schema.is_some())
        {
            let shape = Shape::build(
                endpoint.response_schema.as_ref().unwrap(),
                &rules.definitions,
            );
            for leaf in shape.leaves() {
                let printed = shape.path(leaf).to_string();
                let path = JsonPath::compile(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
                let reached: Vec<(usize, bool)> = reach(&shape, &path)
                    .iter()
                    .map(|r| (r.node, r.certain))
                    .collect();
                assert_eq!(reached, [(leaf, true)], "{printed}");
            }
        }
    }
}

#[test]
fn odd_keys_print_in_brackets() {
    let report = report(
        "endpoints:\n  - pathTemplate: /x\n    allowedQueryParams: []\n    responseSchema:\n      type: object\n      properties:\n        \"a b\": { type: string }\n        \"it's\": { type: string }\n        \"1st\": { type: string }\n",
    );
    assert_eq!(
        rows(&report.endpoints[0]),
        [
            "$['a b'] string raw",
            "$['it\\'s'] string raw",
            "$['1st'] string raw"
        ]
    );
}
