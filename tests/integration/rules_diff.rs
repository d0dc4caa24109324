//! `pseudoproxy rules diff` end to end on copies of the shipped rules.

use crate::support::{root, run_cli, stdout};

/// The shipped rules with `edit` applied, in a temp dir (the guard keeps it alive).
fn edited(edit: impl Fn(String) -> String) -> (tempfile::TempDir, String) {
    let text = std::fs::read_to_string(root().join("rules/confluence.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.yaml");
    let new = edit(text.clone());
    assert_ne!(new, text, "the edit changed nothing");
    std::fs::write(&path, new).unwrap();
    (dir, path.display().to_string())
}

fn diff(new: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["rules", "diff", "rules/confluence.yaml", new];
    args.extend_from_slice(extra);
    let out = run_cli(&args, &[], "", &root());
    (out.status.code(), stdout(&out))
}

const MEMBERS: &str = "/ex/confluence/{cloudId}/wiki/rest/api/group/{groupId}/membersByGroupId";

#[test]
fn the_same_rules_change_nothing() {
    let (code, text) = diff("rules/confluence.yaml", &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("nothing is exposed that was not before"),
        "{text}"
    );
    assert!(!text.contains("EXPOSED ("), "{text}");
}

#[test]
fn removing_a_pseudonymize_exposes_the_leaf_and_changes_the_examples() {
    let (_dir, new) = edited(|t| t.replacen("          - \"$.results[*].email\"\n", "", 1));
    let (code, text) = diff(&new, &["--examples", "example-api-responses/examples.yaml"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "{MEMBERS}  $.results[*].email  pseudonymized -> raw (more exposed)"
        )),
        "{text}"
    );
    // The example outputs now carry the raw addresses.
    assert!(
        text.contains("differs   /ex/confluence/acme-cloud-id/wiki/rest/api/group/"),
        "{text}"
    );
    assert!(
        text.contains("Ana.Souza+wiki@Acme-Widgets.example"),
        "{text}"
    );
    assert!(
        text.contains("same      /ex/confluence/acme-cloud-id/wiki/api/v2/tasks"),
        "{text}"
    );
    assert!(text.contains("EXPOSES"), "{text}");
}

#[test]
fn reversible_pseudonyms_change_but_expose_nothing() {
    let (_dir, new) = edited(|t| {
        t.replacen(
            "          - \"$.results[*].completedBy\"\n",
            "          - \"$.results[*].completedBy\"\n        includeReversible: true\n",
            1,
        )
    });
    let (code, text) = diff(&new, &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("PSEUDONYMS THAT CHANGE (3)"), "{text}");
    assert!(
        text.contains("$.results[*].assignedTo  pseudonymize -> pseudonymize (reversible)"),
        "{text}"
    );
}

#[test]
fn allowing_a_query_parameter_widens_requests() {
    let (_dir, new) = edited(|t| {
        t.replacen(
            "      - include-blank-tasks\n",
            "      - include-blank-tasks\n      - body-format\n",
            1,
        )
    });
    let (code, text) = diff(&new, &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("query parameters now allowed: body-format (wider)"),
        "{text}"
    );
}
