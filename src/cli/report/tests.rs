//! Unit tests of the report: tables of small rules and examples → fates, rows and page
//! content (escaping, sections, the change at the top, no secret, nothing external).

use serde_json::{Value, json};

use super::build::{self, ExampleInput, Examples, Inputs};
use super::fate::Aligned;
use super::html;
use super::model::{Cell, ExampleOutcome, Fate, Report, Row};
use crate::lint::{LintConfig, lint};
use crate::pseudonym::{PseudonymConfig, Pseudonymizer};
use crate::rules::{self, RuleSet};

const RULES: &str = r#"
endpoints:
  - pathTemplate: /people
    allowedQueryParams: [limit, cql]
    queryParamSchemas:
      limit: { type: integer }
      cql:
        format: cql
        cql:
          fields:
            type:
              operators: [ "=", "in" ]
              values: { enum: [ page, blogpost ] }
          orderBy: [ id ]
    responseSchema:
      type: object
      properties:
        results:
          type: array
          items:
            type: object
            properties:
              id: { type: string }
              name: { type: string }
              email: { type: string }
              manager: { type: string }
              note: { type: string }
    transforms:
      - !<pseudonymize>
        jsonPaths: [ "$.results[*].email" ]
      - !<pseudonymize>
        jsonPaths: [ "$.results[*].manager" ]
        includeReversible: true
      - !<textDigest>
        jsonPaths: [ "$.results[*].name" ]
      - !<redact>
        jsonPaths: [ "$.results[*].note" ]
  - pathTemplate: /sites
    allowedQueryParams: []
    responseSchema:
      type: array
      items:
        type: object
        properties:
          url: { type: string }
"#;

const SALT: &str = "zq-test-salt-5521";
const KEY: &str = "zq-test-key-5521";
const PLANTED_SCRIPT: &str = "<script>window.__planted=1</script>";
const PLANTED_IMG: &str = "\"><img src=x onerror=alert(1)>";

fn load(yaml: &str) -> RuleSet {
    rules::from_str(yaml, "test.yaml").unwrap_or_else(|d| panic!("{d}"))
}

/// One person; `hostile` adds a member whose key is markup.
fn person(name: &str, hostile: bool) -> Value {
    let mut doc = json!({"results": [{
        "id": "1",
        "name": name,
        "email": "ana@acme.example",
        "manager": "kenji@acme.example",
        "note": "private",
        "avatar": "https://acme.example/ana.png"
    }]});
    if hostile {
        doc["results"][0][PLANTED_IMG] = json!("x");
    }
    doc
}

/// Three examples: one per endpoint, and one the gate refuses.
fn examples(name: &str, hostile: bool) -> Examples {
    let example = |url: &str, body: Value| ExampleInput {
        method: "GET".into(),
        url: url.into(),
        label: format!("{url}.json"),
        original: body.to_string(),
        expected: Err("no golden file in this test".into()),
    };
    Examples {
        origin: "examples.yaml".into(),
        salt: SALT.into(),
        encryption_key: Some(KEY.into()),
        examples: vec![
            example("/people?limit=1", person(name, hostile)),
            example("/sites", json!([{"url": "https://acme.example"}])),
            example("/people?secret=1", person(name, hostile)),
        ],
    }
}

fn report(rules: &RuleSet, examples: Option<&Examples>, against: Option<&RuleSet>) -> Report {
    let config = LintConfig::default();
    build::build(&Inputs {
        rules_origin: "rules/test.yaml".into(),
        rules,
        lint_file: None,
        lint_config: &config,
        examples,
        against: against.map(|old| ("rules/old.yaml".to_owned(), old)),
        generated: "2024-01-01T00:00:00Z".into(),
        version: "0.0.0-test".into(),
    })
}

/// `key: text[fate],` of one side of a row; `·` when the side is empty.
fn side(cell: Option<&Cell>) -> String {
    let Some(cell) = cell else {
        return "·".into();
    };
    format!(
        "{}{}{}{}",
        cell.key
            .as_deref()
            .map(|k| format!("{k}: "))
            .unwrap_or_default(),
        cell.text,
        cell.fate
            .map(|f| format!("[{}]", f.label()))
            .unwrap_or_default(),
        if cell.comma { "," } else { "" }
    )
}

fn lines(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} | {}",
                r.depth,
                side(r.left.as_ref()),
                side(r.right.as_ref())
            )
        })
        .collect()
}

#[test]
fn rows_pair_each_value_with_what_leaves() {
    let rules = load(
        "endpoints:\n  - pathTemplate: /x\n    responseSchema:\n      type: object\n      \
         properties:\n        id: { type: string }\n        email: { type: string }\n        \
         n: { type: boolean }\n    transforms:\n      - !<pseudonymize>\n        \
         jsonPaths: [ \"$.email\" ]\n",
    );
    let linted = lint(&rules, &LintConfig::default(), None);
    let original = json!({"id": "1", "avatar": {"u": "a"}, "email": "e", "n": null});
    let filtered = json!({"id": "1", "email": "e", "n": false});
    let sanitized = json!({"id": "1", "email": "t~abc", "n": false});
    let mut aligned = Aligned::default();
    aligned.add(
        &linted.endpoints[0],
        Some(&original),
        Some(&filtered),
        Some(&sanitized),
    );
    assert_eq!(
        lines(&aligned.rows),
        [
            "0 { | {",
            r#"1 "id": "1"[kept raw], | "id": "1"[kept raw],"#,
            r#"1 "avatar": { | ·"#,
            r#"2 "u": "a"[dropped] | ·"#,
            "1 }, | ·",
            r#"1 "email": "e"[pseudonymized], | "email": "t~abc"[pseudonymized],"#,
            r#"1 "n": null[rewritten] | "n": false[rewritten]"#,
            "0 } | }",
        ]
    );
    assert_eq!(
        aligned.tally(),
        [
            (Fate::Dropped, 1),
            (Fate::Pseudonymized, 1),
            (Fate::KeptRaw, 1),
            (Fate::Rewritten, 1)
        ]
    );
}

#[test]
fn each_value_of_an_example_gets_what_the_sanitizer_did_to_it() {
    let rules = load(RULES);
    let set = examples("Ana Souza", false);
    let page = report(&rules, Some(&set), None);
    let people = &page.endpoints[0];
    let ExampleOutcome::Shown { rows, .. } = &people.examples[0].outcome else {
        panic!("not shown: {:?}", people.examples[0].outcome);
    };
    let fate_of = |key: &str| {
        rows.iter()
            .filter_map(|r| r.left.as_ref())
            .find(|c| c.key.as_deref() == Some(key))
            .and_then(|c| c.fate)
    };
    let table = [
        (r#""id""#, Fate::KeptRaw),
        (r#""name""#, Fate::Digested),
        (r#""email""#, Fate::Pseudonymized),
        (r#""manager""#, Fate::Reversible),
        (r#""note""#, Fate::Redacted),
        (r#""avatar""#, Fate::Dropped),
    ];
    for (key, fate) in table {
        assert_eq!(fate_of(key), Some(fate), "{key}");
    }
    // The right side is the sanitizer's output: the redacted and dropped keys are absent.
    let right_keys: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.right.as_ref()?.key.as_deref())
        .collect();
    assert_eq!(
        right_keys,
        [
            r#""results""#,
            r#""id""#,
            r#""name""#,
            r#""email""#,
            r#""manager""#
        ]
    );
}

#[test]
fn field_tables_classify_every_leaf_and_show_reversible_pseudonyms() {
    let rules = load(RULES);
    let page = report(&rules, None, None);
    let rows: Vec<(String, Fate)> = page.endpoints[0]
        .fields
        .iter()
        .map(|f| (f.path.clone(), f.fate))
        .collect();
    let expected = [
        ("$.results[*].id", Fate::KeptRaw),
        ("$.results[*].name", Fate::Digested),
        ("$.results[*].email", Fate::Pseudonymized),
        ("$.results[*].manager", Fate::Reversible),
        ("$.results[*].note", Fate::Redacted),
    ];
    let expected: Vec<(String, Fate)> = expected
        .iter()
        .map(|(p, f)| ((*p).to_owned(), *f))
        .collect();
    assert_eq!(rows, expected);
    // The /sites url is kept raw and looks personal: an open L001 on its row.
    let url = &page.endpoints[1].fields[0];
    assert_eq!(url.fate, Fate::KeptRaw);
    assert!(
        url.findings
            .iter()
            .any(|f| f.code.starts_with("L001") && f.reason.is_none()),
        "{url:?}"
    );
}

#[test]
fn planted_markup_in_an_example_is_text_on_the_page() {
    let rules = load(RULES);
    let name = format!("{PLANTED_SCRIPT}{PLANTED_IMG}");
    let set = examples(&name, true);
    let page = html::render(&report(&rules, Some(&set), None));
    for needle in [
        "&lt;script&gt;window.__planted=1&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(page.contains(needle), "{needle} is not on the page");
    }
    let lower = page.to_lowercase();
    for markup in ["<script", "<img", "onerror=\"", "<iframe", "javascript:"] {
        assert!(!lower.contains(markup), "the page holds `{markup}`");
    }
}

#[test]
fn every_endpoint_has_its_section_and_refused_examples_say_so() {
    let rules = load(RULES);
    let set = examples("Ana Souza", false);
    let page = html::render(&report(&rules, Some(&set), None));
    assert_eq!(page.matches("<section class=\"endpoint\"").count(), 2);
    for (index, label) in [(0, "/people"), (1, "/sites")] {
        let section = format!(
            "<section class=\"endpoint\" id=\"endpoint-{index}\" data-endpoint=\"{label}\">"
        );
        assert!(page.contains(&section), "{section}");
    }
    // The request shape: parameters, the CQL grammar, an empty query list.
    for needle in [
        "<code>limit</code>",
        "CQL field",
        "one of page, blogpost",
        "order by <code>id</code>",
        "no query parameter",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    // `?secret=1` is not an allowed parameter: the gate refuses it, nothing leaves.
    assert!(page.contains("id=\"stray-examples\""));
    assert!(page.contains("BLOCKED_BY_RULES: query parameter `secret` not allowed"));
}

#[test]
fn a_change_that_exposes_one_more_field_is_at_the_top() {
    let old = load(RULES);
    let new = load(&RULES.replacen(
        "              note: { type: string }\n",
        "              note: { type: string }\n              phone: { type: string }\n",
        1,
    ));
    let set = examples("Ana Souza", false);
    let model = report(&new, Some(&set), Some(&old));
    let change = model.change.as_ref().unwrap();
    assert!(change.exposes);
    let exposed: Vec<(&str, &str)> = change
        .exposed
        .iter()
        .map(|d| (d.endpoint.as_str(), d.path.as_str()))
        .collect();
    assert_eq!(exposed, [("/people", "$.results[*].phone")]);
    assert!(change.protected.is_empty() && change.pseudonyms.is_empty());
    let page = html::render(&model);
    let change_at = page.find("<section id=\"change\"").unwrap();
    let first_endpoint = page.find("<section class=\"endpoint\"").unwrap();
    let overview = page.find("<section id=\"overview\"").unwrap();
    assert!(change_at < overview && overview < first_endpoint);
    let exposed_table = &page[page.find("id=\"change-exposed\"").unwrap()..first_endpoint];
    let exposed_table = &exposed_table[..exposed_table.find("</table>").unwrap()];
    assert_eq!(exposed_table.matches("<tr class=\"exposed\">").count(), 1);
    assert!(exposed_table.contains("<code>$.results[*].phone</code>"));
    assert!(page.contains("This change exposes data the old rules did not."));

    // The same rules against themselves: nothing to show but the verdict.
    let same = html::render(&report(&old, None, Some(&old)));
    assert!(same.contains("Nothing is exposed that was not before."));
    assert!(!same.contains("id=\"change-exposed\""));
}

#[test]
fn the_page_holds_no_secret_and_loads_nothing() {
    let rules = load(RULES);
    let set = examples("Ana Souza", false);
    let page = html::render(&report(&rules, Some(&set), None));
    assert!(!page.contains(SALT) && !page.contains(KEY));
    let fingerprint = Pseudonymizer::new(PseudonymConfig {
        salt: SALT.into(),
        ..PseudonymConfig::default()
    })
    .salt_fingerprint();
    assert!(page.contains(&fingerprint));
    assert!(page.contains("2024-01-01T00:00:00Z") && page.contains("0.0.0-test"));
    assert!(page.contains(&rules.sha1_hex));
    // Self-contained: no script, no external stylesheet, image or font; links stay on the page.
    for external in [
        "<script", "<link", " src=", "@import", "url(", "<iframe", "<object",
    ] {
        assert!(!page.contains(external), "the page holds `{external}`");
    }
    for (at, _) in page.match_indices("href=\"") {
        assert!(page[at + 6..].starts_with('#'), "{}", &page[at..at + 40]);
    }
    assert!(page.contains("Content-Security-Policy"));
}
