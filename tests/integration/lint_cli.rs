//! `pseudoproxy rules lint` end to end: the shipped rules lint clean (with their lint file
//! and examples), both output formats, and the exit codes.

use serde_json::Value;

use crate::support::{data, root, run_cli, stderr, stdout};

fn lint(args: &[&str]) -> std::process::Output {
    let mut all = vec!["rules", "lint"];
    all.extend_from_slice(args);
    run_cli(&all, &[], "", &root())
}

#[test]
fn the_shipped_rules_lint_clean() {
    let out = lint(&["rules/confluence.yaml"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("12 endpoints") && text.contains("0 finding(s), 2 acknowledged"),
        "{text}"
    );
    // One table per endpoint, with the examples that were used.
    assert_eq!(text.matches("  LEAF ").count(), 12, "{text}");
    assert!(!text.contains("(no example responses)"), "{text}");
    for row in [
        [
            "$.results[*].history.createdBy.email",
            "pseudonymized",
            "#1 pseudonymize $..email",
        ],
        [
            "$.results[*].ancestors[*].title",
            "digested",
            "#2 textDigest",
        ],
        ["$[*].name", "raw (acknowledged: name)", ""],
    ] {
        assert!(
            text.lines()
                .any(|l| row.iter().all(|cell| l.contains(cell))),
            "no row with {row:?} in\n{text}"
        );
    }
}

#[test]
fn the_json_report_has_every_leaf_and_no_finding() {
    let out = lint(&["rules/confluence.yaml", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert_eq!(report["acknowledged"].as_array().unwrap().len(), 2);
    assert!(
        report["lint_file"]
            .as_str()
            .unwrap()
            .ends_with("confluence.lint.yaml")
    );
    let members = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["endpoint"]
                .as_str()
                .unwrap()
                .ends_with("membersByGroupId")
        })
        .unwrap();
    assert_eq!(members["examples"], 2);
    let email = members["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["path"] == "$.results[*].email")
        .unwrap();
    assert_eq!(email["class"], "pseudonymized");
    assert_eq!(email["personal"], "email");
    assert_eq!(email["applied"][0]["kind"], "pseudonymize");
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let bad_lint_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        bad_lint_file.path(),
        "acknowledge: [{code: L001, endpoint: /x}]\n",
    )
    .unwrap();
    let one = data("one-endpoint.yaml");
    let table: Vec<(Vec<String>, i32, &str)> = vec![
        // Findings: the test endpoint allows every query parameter.
        (
            vec![one.display().to_string(), "--no-examples".into()],
            1,
            "L004 any-query-param",
        ),
        (
            vec![data("three-mistakes.yaml").display().to_string()],
            3,
            "",
        ),
        (vec!["no/such/rules.yaml".into()], 2, ""),
        (
            vec![
                one.display().to_string(),
                "--lint-file".into(),
                bad_lint_file.path().display().to_string(),
            ],
            3,
            "",
        ),
        (
            vec![one.display().to_string(), "--format".into(), "xml".into()],
            2,
            "",
        ),
    ];
    for (args, code, needle) in table {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = lint(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\n{}\n{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains(needle), "{args:?}: {}", stdout(&out));
    }
}

/// docs/privacy.md shows the linter's report for the shipped rules; it must be current.
#[test]
fn docs_privacy_carries_the_current_report() {
    let doc = std::fs::read_to_string(root().join("docs").join("privacy.md")).unwrap();
    let block = doc
        .split("<!-- lint-report:begin -->\n```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- lint-report:end -->").next())
        .expect("docs/privacy.md has the lint-report markers");
    let out = lint(&["rules/confluence.yaml"]);
    assert!(
        block == stdout(&out),
        "docs/privacy.md is out of date; paste the output of \
         `pseudoproxy rules lint rules/confluence.yaml` between its lint-report markers"
    );
}

/// `rules lint F --psoxy P --format markdown` for the shipped rules and facts file.
fn psoxy_fields(facts: &str) -> std::process::Output {
    lint(&[
        "rules/confluence.yaml",
        "--psoxy",
        facts,
        "--format",
        "markdown",
    ])
}

/// Every leaf of the shipped rules is in rules/psoxy-treatment.yaml, and every field Psoxy
/// passes that the shipped rules drop says why there (issue 15).
#[test]
fn the_shipped_rules_and_psoxy_facts_agree() {
    let out = psoxy_fields("rules/psoxy-treatment.yaml");
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", stderr(&out));
    assert!(!text.contains("## Problems"), "{text}");
    assert_eq!(
        text.matches("| field | pseudoproxy | Psoxy | note |")
            .count(),
        12,
        "{text}"
    );
    for start in [
        "| `$.results[*].body.atlas_doc_format.value` | digested | digested |",
        "| `$.results[*].history.previousVersion.by.accountId` | pseudonymized | pseudonymized |",
        "| `$.results[*].email` | pseudonymized | pseudonymized |",
        "| `$.results[*].key` | kept; reversible where `$.results[?(@.type == 'personal')].key` \
         matches | kept |",
        "| `$[*].name` | kept | dropped |",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(start)),
            "no row starting {start:?} in\n{text}"
        );
    }
    let username = text
        .lines()
        .find(|l| l.starts_with("| `$.results[*].username` |"))
        .unwrap_or_else(|| panic!("no username row in\n{text}"));
    assert!(
        username.starts_with("| `$.results[*].username` | dropped | kept |")
            && username.contains("**Not passed here:**"),
        "{username}"
    );

    // The other formats carry the comparison too.
    let out = lint(&[
        "rules/confluence.yaml",
        "--psoxy",
        "rules/psoxy-treatment.yaml",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\nPSOXY (rules/psoxy-treatment.yaml): 0 problem(s)\n"),
        "{}",
        stdout(&out)
    );
    let out = lint(&[
        "rules/confluence.yaml",
        "--psoxy",
        "rules/psoxy-treatment.yaml",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["psoxy"]["problems"], Value::Array(vec![]));
    assert_eq!(report["psoxy"]["endpoints"].as_array().unwrap().len(), 12);

    // Markdown is the comparison: without the facts file there is nothing to print.
    let out = lint(&["rules/confluence.yaml", "--format", "markdown"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// docs/psoxy-fields.md shows the comparison for the shipped rules; it must be current.
#[test]
fn docs_psoxy_fields_carries_the_current_table() {
    let doc = std::fs::read_to_string(root().join("docs").join("psoxy-fields.md")).unwrap();
    let block = doc
        .split("<!-- psoxy-fields:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- psoxy-fields:end -->").next())
        .expect("docs/psoxy-fields.md has the psoxy-fields markers");
    let out = psoxy_fields("rules/psoxy-treatment.yaml");
    assert!(
        block == stdout(&out),
        "docs/psoxy-fields.md is out of date; paste the output of `pseudoproxy rules lint \
         rules/confluence.yaml --psoxy rules/psoxy-treatment.yaml --format markdown` between \
         its psoxy-fields markers"
    );
}

/// A field Psoxy keeps and the shipped rules drop, its `reason` removed from a copy of the
/// facts file: the command fails and names the file and the field.
#[test]
fn a_dropped_field_psoxy_keeps_needs_a_reason() {
    let facts = std::fs::read_to_string(root().join("rules/psoxy-treatment.yaml")).unwrap();
    // Psoxy keeps a group member's legacy `username` raw; the shipped rules drop it.
    let field = "\"$.results[*].username\":";
    assert_eq!(facts.matches(field).count(), 1, "the test edits one field");
    let mut kept = Vec::new();
    let mut in_field = false;
    let mut removed = false;
    for line in facts.lines() {
        let item = line.trim_start();
        if item.starts_with("\"$") {
            in_field = item == field;
        }
        if in_field && !removed && item.starts_with("reason:") {
            removed = true;
            continue;
        }
        kept.push(line);
    }
    assert!(removed, "no reason under {field}");
    let copy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(copy.path(), kept.join("\n") + "\n").unwrap();
    let path = copy.path().display().to_string();

    let out = psoxy_fields(&path);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    // Each problem is a list item that starts with the file it is about.
    let item = format!("- {path}: ");
    let problems: Vec<&str> = text.lines().filter(|l| l.starts_with(&item)).collect();
    assert_eq!(problems.len(), 1, "{text}");
    for needle in [
        "dropped-without-reason",
        "membersByGroupId",
        "`$.results[*].username`",
    ] {
        assert!(problems[0].contains(needle), "{needle}: {}", problems[0]);
    }
    assert!(
        stderr(&out).contains(&format!("{path}: 1 problem(s)")),
        "{}",
        stderr(&out)
    );
}
