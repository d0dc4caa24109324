//! `rules check` (located diagnostics, exit 3) and `rules test` (golden examples, diffs).

use serde_json::Value;

use crate::support::{copy_tree, data, root, run_cli, stderr, stdout};

#[test]
fn three_mistakes_give_three_located_messages_in_one_run() {
    let file = data("three-mistakes.yaml");
    let out = run_cli(
        &["rules", "check", file.to_str().unwrap()],
        &[],
        "",
        &root(),
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    let err = stderr(&out);
    let located: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("three-mistakes.yaml:") && l.contains("error"))
        .collect();
    assert_eq!(
        located.len(),
        3,
        "expected three located errors, got:\n{err}"
    );
    for (needle, line) in [("allowedQueryParms", 4), ("Missing", 6), ("JSONPath", 9)] {
        assert!(
            located
                .iter()
                .any(|l| l.contains(&format!("three-mistakes.yaml:{line}:")) && l.contains(needle)),
            "no located error on line {line} mentioning {needle}:\n{err}"
        );
    }
}

#[test]
fn the_shipped_rules_are_valid() {
    let file = root().join("rules").join("confluence.yaml");
    let out = run_cli(
        &["rules", "check", file.to_str().unwrap()],
        &[],
        "",
        &root(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok"));
}

/// The opt-in variant keeps group names and nothing else: any other drift from the
/// shipped rules would be an unreviewed change to what leaves.
#[test]
fn the_group_names_variant_differs_from_the_shipped_rules_by_one_leaf() {
    let out = run_cli(
        &[
            "rules",
            "diff",
            "rules/confluence.yaml",
            "rules/confluence-group-names.yaml",
        ],
        &[],
        "",
        &root(),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", stderr(&out));
    let changed: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("  /"))
        .collect();
    assert_eq!(
        changed,
        [
            "  /ex/confluence/{cloudId}/wiki/rest/api/group  $.results[*].name  absent -> raw (more exposed)"
        ],
        "{text}"
    );
    assert!(text.contains("EXPOSED (1)"), "{text}");
}

#[test]
fn the_project_examples_pass_by_default() {
    let out = run_cli(&["rules", "test"], &[], "", &root());
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(" 0 failed"));
}

/// The JSONPath (`$.a[0].b`) and the value of the first string leaf of a document.
fn first_string_leaf(value: &Value, path: String) -> Option<(String, String)> {
    match value {
        Value::String(s) => Some((path, s.clone())),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_string_leaf(v, format!("{path}[{i}]"))),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| first_string_leaf(v, format!("{path}.{k}"))),
        _ => None,
    }
}

#[test]
fn changing_one_expected_value_fails_with_a_diff_naming_the_path() {
    let work = tempfile::tempdir().unwrap();
    copy_tree(&root().join("rules"), &work.path().join("rules"));
    copy_tree(
        &root().join("example-api-responses"),
        &work.path().join("example-api-responses"),
    );
    let manifest = work
        .path()
        .join("example-api-responses")
        .join("examples.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let sanitized = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("sanitized:"))
        .expect("an example")
        .trim();
    let target = work.path().join("example-api-responses").join(sanitized);
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    let (path, _) =
        first_string_leaf(&doc, "$".into()).expect("a string leaf in the expected output");
    let pointer = path
        .trim_start_matches('$')
        .replace(['.', '['], "/")
        .replace(']', "");
    *doc.pointer_mut(&pointer).expect("pointer") = Value::from("CHANGED-BY-TEST");
    std::fs::write(&target, serde_json::to_string_pretty(&doc).unwrap()).unwrap();

    let out = run_cli(
        &["rules", "test", "--examples", manifest.to_str().unwrap()],
        &[],
        "",
        work.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report = stdout(&out);
    assert!(report.contains("FAIL"), "{report}");
    assert!(
        report.contains(&format!("{path}: expected \"CHANGED-BY-TEST\"")),
        "diff must name {path}:\n{report}"
    );
}
