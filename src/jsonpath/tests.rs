//! Data-driven tests: (path, document, expected locations) for every supported form and
//! Jayway quirk, and (path, message, hint) for every rejected form. Expected locations
//! are rendered like Jayway's path lists and listed in document order.

use serde_json::Value;

use super::{JsonPath, get_mut};

mod differential;
mod filters;
mod properties;
mod rejections;

/// A team document exercising names, arrays, nulls, empty arrays, mixed number/string
/// ages and nesting.
const TEAM: &str = r#"{
  "team": "core",
  "members": [
    {"name": "ana", "email": "ana@acme.test", "age": 31, "tags": ["lead"], "admin": true},
    {"name": "bo", "email": null, "age": 27.5, "tags": []},
    {"name": "cy", "age": "40", "manager": {"name": "dee", "email": "dee@acme.test"}}
  ],
  "owner": {"name": "eve", "email": "eve@acme.test", "admin": false},
  "count": 3
}"#;

/// Nested objects sharing one key, to show a deep scan matching inside matches.
const NESTED: &str = r#"{"a": {"a": {"a": 1}, "b": [{"a": 2}]}}"#;

/// Values whose comparisons depend on Jayway's conversions.
const VALUES: &str = r#"[
  {"s": "😀", "n": 1, "t": "1", "f": 1.0, "big": 1e10, "text": "a\nb", "q": "it's"},
  {"s": "\uffff", "n": 2, "t": "1.0", "f": 2.5, "e": "é"}
]"#;

fn doc(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Compiles and locates, rendering each location.
fn located(path: &str, document: &Value) -> Vec<String> {
    let compiled =
        JsonPath::compile(path).unwrap_or_else(|e| panic!("{path} should compile: {e:?}"));
    compiled
        .locate(document)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn check(table: &[(&str, &[&str])], document_text: &str) {
    let document = doc(document_text);
    let mut failures = Vec::new();
    for (path, want) in table {
        let got = located(path, &document);
        if got != *want {
            failures.push(format!("{path}\n   want {want:?}\n    got {got:?}"));
        }
        let compiled = JsonPath::compile(path).unwrap();
        if compiled.matches_any(&document) == want.is_empty() {
            failures.push(format!("{path}: matches_any disagrees with locate"));
        }
        let mut copy = document.clone();
        let reference = differential::located(&compiled, &copy);
        let one_walk = differential::walked(&[&compiled], &mut copy);
        if one_walk.is_some_and(|found| found[0] != reference) {
            failures.push(format!("{path}: PathSet disagrees with locate"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn names_wildcards_and_indexes() {
    check(
        &[
            ("$", &["$"]),
            ("$.team", &["$['team']"]),
            ("$['team']", &["$['team']"]),
            ("$[\"team\"]", &["$['team']"]),
            ("  $.team  ", &["$['team']"]),
            ("$.missing", &[]),
            ("$.missing.deeper", &[]),
            ("$.team.length", &[]),
            ("$['owner','team']", &["$['team']", "$['owner']"]),
            ("$[ 'team' , \"missing\" ]", &["$['team']"]),
            ("$['team','team']", &["$['team']"]),
            (
                "$.owner.*",
                &[
                    "$['owner']['name']",
                    "$['owner']['email']",
                    "$['owner']['admin']",
                ],
            ),
            (
                "$.owner[*]",
                &[
                    "$['owner']['name']",
                    "$['owner']['email']",
                    "$['owner']['admin']",
                ],
            ),
            (
                "$.members[*].name",
                &[
                    "$['members'][0]['name']",
                    "$['members'][1]['name']",
                    "$['members'][2]['name']",
                ],
            ),
            (
                "$.members.*.email",
                &["$['members'][0]['email']", "$['members'][1]['email']"],
            ),
            ("$.team[*]", &[]),
            ("$.count.*", &[]),
            ("$.members[0]", &["$['members'][0]"]),
            ("$.members[-1].name", &["$['members'][2]['name']"]),
            ("$.members[-3]", &["$['members'][0]"]),
            ("$.members[3]", &[]),
            ("$.members[-4]", &[]),
            (
                "$.members[2,0].name",
                &["$['members'][0]['name']", "$['members'][2]['name']"],
            ),
            ("$.members[0,0]", &["$['members'][0]"]),
            ("$.members[0, -1]", &["$['members'][0]", "$['members'][2]"]),
            ("$.owner[0]", &[]),
            ("$.members['0']", &[]),
            ("$.members[0]['tags'][0]", &["$['members'][0]['tags'][0]"]),
            ("$.members[1].tags[0]", &[]),
        ],
        TEAM,
    );
}

#[test]
fn slices_follow_jayway_bounds() {
    let first_two: &[&str] = &["$['members'][0]", "$['members'][1]"];
    let last_two: &[&str] = &["$['members'][1]", "$['members'][2]"];
    check(
        &[
            ("$.members[0:2]", first_two),
            ("$.members[1:]", last_two),
            ("$.members[:2]", first_two),
            ("$.members[-2:]", last_two),
            ("$.members[:-1]", first_two),
            (
                "$.members[-100:]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            (
                "$.members[0:100]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[:-3]", &[]),
            ("$.members[5:]", &[]),
            ("$.members[1:1]", &[]),
            ("$.members[2:1]", &[]),
            ("$.members[ 1 : 2 ]", &["$['members'][1]"]),
            ("$.owner[0:1]", &[]),
        ],
        TEAM,
    );
}

#[test]
fn deep_scan_visits_start_node_and_matches_inside_matches() {
    check(
        &[
            (
                "$..a",
                &[
                    "$['a']",
                    "$['a']['a']",
                    "$['a']['a']['a']",
                    "$['a']['b'][0]['a']",
                ],
            ),
            (
                "$.a..a",
                &["$['a']['a']", "$['a']['a']['a']", "$['a']['b'][0]['a']"],
            ),
            ("$..b[0].a", &["$['a']['b'][0]['a']"]),
            (
                "$..*",
                &[
                    "$['a']",
                    "$['a']['a']",
                    "$['a']['a']['a']",
                    "$['a']['b']",
                    "$['a']['b'][0]",
                    "$['a']['b'][0]['a']",
                ],
            ),
            (
                "$..[*]",
                &[
                    "$['a']",
                    "$['a']['a']",
                    "$['a']['a']['a']",
                    "$['a']['b']",
                    "$['a']['b'][0]",
                    "$['a']['b'][0]['a']",
                ],
            ),
            ("$..[0]", &["$['a']['b'][0]"]),
            ("$..[-1:]", &["$['a']['b'][0]"]),
            ("$.a.a.a..*", &[]),
        ],
        NESTED,
    );
    check(
        &[
            (
                "$..email",
                &[
                    "$['members'][0]['email']",
                    "$['members'][1]['email']",
                    "$['members'][2]['manager']['email']",
                    "$['owner']['email']",
                ],
            ),
            (
                "$.members[*]..email",
                &[
                    "$['members'][0]['email']",
                    "$['members'][1]['email']",
                    "$['members'][2]['manager']['email']",
                ],
            ),
            ("$.owner..name", &["$['owner']['name']"]),
            (
                "$.members[2]..name",
                &[
                    "$['members'][2]['name']",
                    "$['members'][2]['manager']['name']",
                ],
            ),
            (
                "$..manager['email','name']",
                &[
                    "$['members'][2]['manager']['name']",
                    "$['members'][2]['manager']['email']",
                ],
            ),
            (
                "$..['admin','tags']",
                &[
                    "$['members'][0]['tags']",
                    "$['members'][0]['admin']",
                    "$['members'][1]['tags']",
                    "$['owner']['admin']",
                ],
            ),
            ("$..['name','email']['x']", &[]),
            ("$..tags[0]", &["$['members'][0]['tags'][0]"]),
            ("$..[0]", &["$['members'][0]", "$['members'][0]['tags'][0]"]),
            ("$..members[?(@.admin)].name", &["$['members'][0]['name']"]),
            ("$.team..x", &[]),
        ],
        TEAM,
    );
}

/// Every location `locate` returns must resolve with `get_mut`, and removing them
/// deepest-first must succeed for each.
#[test]
fn located_nodes_can_be_reached_and_removed() {
    let paths = [
        "$..email",
        "$.members[*].tags[*]",
        "$..*",
        "$.members[?(@.age)]",
        "$..[0]",
    ];
    for path in paths {
        let mut document = doc(TEAM);
        let locations = JsonPath::compile(path).unwrap().locate(&document);
        assert!(!locations.is_empty(), "{path} should match something");
        for location in &locations {
            assert!(
                get_mut(&mut document, location).is_some(),
                "{path}: {location} must resolve"
            );
        }
        let mut deepest_first = locations.clone();
        deepest_first.reverse();
        for location in &deepest_first {
            assert!(
                super::remove(&mut document, location).is_some(),
                "{path}: removing {location}"
            );
        }
    }
}

#[test]
fn source_is_kept_verbatim() {
    let text = " $.a[?(@.b == 'c')] ";
    assert_eq!(JsonPath::compile(text).unwrap().source(), text);
}
