//! Data-driven tests: (path, document, expected locations) for every supported form and
//! Jayway quirk, and (path, message, hint) for every rejected form. Expected locations
//! are rendered like Jayway's path lists and listed in document order.

use serde_json::Value;

use super::{JsonPath, get_mut};

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

#[test]
fn filters_on_arrays_test_elements_and_on_objects_test_the_object() {
    check(
        &[
            ("$.members[?(@.age > 30)]", &["$['members'][0]"]),
            (
                "$.members[?(@.age >= 27.5)].name",
                &["$['members'][0]['name']", "$['members'][1]['name']"],
            ),
            (
                "$.members[?(@.age < 100 && @.age > 0)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            (
                "$.members[?(@.name == 'ana' || @.name == \"cy\")]",
                &["$['members'][0]", "$['members'][2]"],
            ),
            ("$.members[?(@.name == 'ana' && @.age < 30)]", &[]),
            (
                "$.members[?(!(@.name == 'ana'))]",
                &["$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.name=='bo')]", &["$['members'][1]"]),
            ("$.members[?(  @.name  ==  'bo'  )]", &["$['members'][1]"]),
            ("$.members[?('bo' == @.name)]", &["$['members'][1]"]),
            (
                "$['members'][?(@['name'] == 'bo')]['age']",
                &["$['members'][1]['age']"],
            ),
            (
                "$.members[?(@.manager.name == 'dee')]",
                &["$['members'][2]"],
            ),
            ("$.members[?(@.tags[0] == 'lead')]", &["$['members'][0]"]),
            ("$.members[?(@.tags[-1] == 'lead')]", &["$['members'][0]"]),
            ("$.members[?(@.name == $.owner.name)]", &[]),
            (
                "$.members[?($.count == 3)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.name < 'b')]", &["$['members'][0]"]),
            (
                "$.members[?(@.name <= 'bo')]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.age < 'z')]", &["$['members'][2]"]),
            (
                "$.members[?((@.age > 30 || @.email == null) && !@.manager)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            (
                "$.members[*].tags[?(@ == 'lead')]",
                &["$['members'][0]['tags'][0]"],
            ),
            ("$.owner[?(@.admin == false)]", &["$['owner']"]),
            ("$.owner[?(@.admin == false)].name", &["$['owner']['name']"]),
            ("$.owner[?(@.admin == true)]", &[]),
            ("$.team[?(@)]", &[]),
            (
                "$.members[?(@)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            (
                "$.members[?(1 == 1)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
        ],
        TEAM,
    );
}

#[test]
fn existence_and_missing_values_follow_jayway() {
    check(
        &[
            // A key holding null or [] exists.
            (
                "$.members[?(@.email)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(!@.email)]", &["$['members'][2]"]),
            (
                "$.members[?(@.tags)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.email == null)]", &["$['members'][1]"]),
            // Missing is "undefined": not equal to anything, so `!=` holds.
            (
                "$.members[?(@.email != null)]",
                &["$['members'][0]", "$['members'][2]"],
            ),
            (
                "$.members[?(@.admin != true)]",
                &["$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.admin == true)]", &["$['members'][0]"]),
            ("$.members[?(@.nope < 1 || @.nope >= 1)]", &[]),
        ],
        TEAM,
    );
}

#[test]
fn equality_converts_between_numbers_and_strings_like_jayway() {
    check(
        &[
            ("$.members[?(@.age == 31.0)]", &["$['members'][0]"]),
            // document number vs string literal: the string is parsed as a BigDecimal.
            ("$.members[?(@.age == '31.0')]", &["$['members'][0]"]),
            ("$.members[?(@.age == '27.50')]", &["$['members'][1]"]),
            // document string vs number literal: compared with BigDecimal.toString().
            ("$.members[?(@.age == 40)]", &["$['members'][2]"]),
            ("$.members[?(@.age == 40.0)]", &[]),
            ("$.members[?(@.age == '40')]", &["$['members'][2]"]),
            (
                "$.members[?(@.age != 40)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            ("$.members[?(@.age > '30')]", &["$['members'][2]"]),
        ],
        TEAM,
    );
    check(
        &[
            ("$[?(@.t == 1)]", &["$[0]"]),
            ("$[?(@.n == '1')]", &["$[0]"]),
            ("$[?(@.n == '01')]", &["$[0]"]),
            ("$[?('1' == @.n)]", &["$[0]"]),
            ("$[?('01' == @.n)]", &[]),
            ("$[?(@.f == 1)]", &["$[0]"]),
            // A double prints as Java does (1.0E10) before becoming a BigDecimal.
            ("$[?(@.big == 10000000000)]", &["$[0]"]),
            ("$[?(@.big =~ /1\\.0E\\+10/)]", &["$[0]"]),
            ("$[?(@.f =~ /2\\.5/)]", &["$[1]"]),
            ("$[?(@.n =~ /1/)]", &["$[0]"]),
        ],
        VALUES,
    );
}

#[test]
fn strings_escapes_and_utf16_ordering() {
    check(
        &[
            ("$[?(@.q == 'it\\'s')]", &["$[0]"]),
            ("$[?(@.q == \"it's\")]", &["$[0]"]),
            ("$[?(@.text == 'a\\nb')]", &["$[0]"]),
            ("$[?(@.e == '\\u00e9')]", &["$[1]"]),
            ("$[?(@.s == '\\ud83d\\ude00')]", &["$[0]"]),
            // Java orders strings by UTF-16 units: U+1F600 (D83D…) sorts before U+FFFF.
            ("$[?(@.s < '\\uffff')]", &["$[0]"]),
            ("$[?(@.s > '\\ud83d\\ude00')]", &["$[1]"]),
        ],
        VALUES,
    );
}

#[test]
fn regex_filters_full_match_with_flags() {
    check(
        &[
            ("$.members[?(@.name =~ /A.*/i)]", &["$['members'][0]"]),
            ("$.members[?(@.name =~ /a/)]", &[]),
            (
                "$.members[?(@.name =~ /ana|bo/)]",
                &["$['members'][0]", "$['members'][1]"],
            ),
            // The alternation is anchored as a whole: `an` does not full-match "ana".
            ("$.members[?(@.name =~ /an|bo/)]", &["$['members'][1]"]),
            (
                "$.members[?(@.email =~ /.*@acme\\.test/)]",
                &["$['members'][0]"],
            ),
            (
                "$.members[?(@.age > 30 && @.email =~ /[a-z]+@acme\\.test/)]",
                &["$['members'][0]"],
            ),
            // Missing and null are matched as "", so /.*/ accepts every member.
            (
                "$.members[?(@.email =~ /.*/)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            ("$.members[?(@.admin =~ /true/)]", &["$['members'][0]"]),
            ("$.members[?(@.age =~ /2\\d\\.5/)]", &["$['members'][1]"]),
            (
                "$.members[?(@.manager =~ //)]",
                &["$['members'][0]", "$['members'][1]", "$['members'][2]"],
            ),
            (
                "$.members[?(@.email =~ /ana\\/?@acme.test/)]",
                &["$['members'][0]"],
            ),
        ],
        TEAM,
    );
    check(
        &[
            ("$[?(@.text =~ /a.b/)]", &[]),
            ("$[?(@.text =~ /a.b/s)]", &["$[0]"]),
            ("$[?(@.text =~ /a$\\sb/)]", &[]),
            ("$[?(@.text =~ /a$\\sb/m)]", &["$[0]"]),
            ("$[?(@.q =~ /it ' s # apostrophe/x)]", &["$[0]"]),
            ("$[?(@.q =~ /IT'S/is)]", &["$[0]"]),
        ],
        VALUES,
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
