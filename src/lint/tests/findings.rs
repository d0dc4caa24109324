//! Findings: each check fires on the smallest rules file that has the problem, and not on
//! its fixed version; acknowledgements and examples.

use super::{codes, report, report_with};

/// An endpoint `/e` with `allowedQueryParams: []` and the given schema/transforms text.
fn endpoint(body: &str) -> String {
    format!("endpoints:\n  - pathTemplate: /e\n    allowedQueryParams: []\n{body}")
}

const OBJ: &str = "    responseSchema:\n      type: object\n      properties:\n        id: { type: string }\n        email: { type: string }\n        a: { type: object, properties: { id: { type: string } } }\n";

#[test]
fn each_check_fires_on_its_problem() {
    let table: Vec<(String, Vec<&str>)> = vec![
        // L001, and its fixes: pseudonymized, or not kept by the schema.
        (endpoint(OBJ), vec!["L001 /e $.email"]),
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$.email\"]\n")),
            vec![],
        ),
        // L002: a path the schema cannot hold, an applyOnlyWhen that never holds, and a
        // path that only reaches what an earlier redact removed.
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<redact>\n        jsonPaths: [\"$.email\", \"$.displayName\"]\n")),
            vec!["L002 /e $.displayName"],
        ),
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<redact>\n        jsonPaths: [\"$.email\"]\n        applyOnlyWhen: \"$.nope\"\n      - !<redact>\n        jsonPaths: [\"$.email\"]\n")),
            vec!["L002 /e $.nope"],
        ),
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<redact>\n        jsonPaths: [\"$.a\", \"$.email\"]\n      - !<pseudonymize>\n        jsonPaths: [\"$.a.id\"]\n")),
            vec!["L002 /e $.a.id"],
        ),
        // L003 and L004.
        (
            "endpoints:\n  - pathTemplate: /e\n".to_owned(),
            vec!["L003 /e -", "L004 /e -"],
        ),
        // L006: the recursive part below the cut is kept.
        (
            "endpoints:\n  - pathTemplate: /e\n    allowedQueryParams: []\n    responseSchema: { $ref: \"#/definitions/N\" }\ndefinitions:\n  N:\n    type: object\n    properties:\n      child: { $ref: \"#/definitions/N\" }\n".to_owned(),
            vec!["L006 /e $.child.child"],
        ),
        // L007: pseudonymize of an object fails every response that has one.
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$.a\", \"$.email\"]\n")),
            vec!["L007 /e $.a"],
        ),
        // L008: two paths pseudonymize the same value.
        (
            endpoint(&format!("{OBJ}    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$.email\", \"$..email\"]\n")),
            vec!["L008 /e $.email"],
        ),
    ];
    for (yaml, expected) in table {
        assert_eq!(codes(&report(&yaml)), expected, "rules:\n{yaml}");
    }
}

#[test]
fn a_conditional_transform_does_not_protect_and_the_message_says_why() {
    let yaml = endpoint(&format!(
        "{OBJ}    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$[?(@.id == 'x')].email\"]\n"
    ));
    let report = report(&yaml);
    assert_eq!(codes(&report), ["L001 /e $.email"]);
    assert!(
        report.findings[0].message.contains("only conditionally"),
        "{:?}",
        report.findings[0]
    );
}

#[test]
fn acknowledgements_accept_findings_and_stale_ones_are_findings() {
    let config = "acknowledge:\n  - code: L001\n    endpoint: /e\n    path: $.email\n    reason: a shared mailbox\n  - code: L002\n    endpoint: /e\n    path: $.gone\n    reason: old\n";
    let report = report_with(&endpoint(OBJ), config, &[]);
    assert_eq!(codes(&report), ["L009 /e $.gone"]);
    assert_eq!(report.acknowledged.len(), 1);
    assert_eq!(report.acknowledged[0].reason, "a shared mailbox");
    let email = report.endpoints[0]
        .leaves
        .iter()
        .find(|l| l.path.to_string() == "$.email")
        .unwrap();
    assert!(email.acknowledged && email.may_pass_raw());
}

#[test]
fn personal_names_from_the_lint_file_are_checked_too() {
    let yaml = endpoint(OBJ);
    assert_eq!(
        codes(&report_with(&yaml, "personalNames: ['^id$']", &[])),
        ["L001 /e $.id", "L001 /e $.email", "L001 /e $.a.id"]
    );
}

#[test]
fn paths_must_match_something_in_the_examples_of_their_endpoint() {
    let yaml = endpoint(&format!(
        "{OBJ}    transforms:\n      - !<pseudonymize>\n        jsonPaths: [\"$.email\"]\n      - !<redact>\n        jsonPaths: [\"$.a.id\", \"$.ghost\"]\n"
    ));
    let examples = [
        ("/e", r#"{"email": "a@b.com", "a": null}"#),
        ("/other", r#"{}"#),
        ("/e", "not json"),
    ];
    let report = report_with(&yaml, "", &examples);
    // `$.ghost` is dead (L002), which already says it cannot match an example.
    assert_eq!(codes(&report), ["L002 /e $.ghost", "L005 /e $.a.id"]);
    assert_eq!(report.endpoints[0].examples, Some(1));
    assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
    assert!(report.notes[0].contains("example1") && report.notes[1].contains("example2"));
}
