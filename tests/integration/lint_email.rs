//! The must-show: a copy of the Confluence rules without the pseudonymize of `email`
//! fails `rules lint`, naming every email leaf, and fails the canary test logic.

use pseudoproxy::lint::{LintConfig, lint};
use pseudoproxy::rules;

use crate::canary::{Oracle, check_rules, seeded_runner};
use crate::support::{root, run_cli, stdout};

/// The two JSONPaths that pseudonymize emails in the shipped rules.
const EMAIL_PATHS: [&str; 2] = [
    "          - \"$..email\"\n",
    "          - \"$.results[*].email\"\n",
];

/// The shipped rules and lint file, copied with the email paths removed.
fn rules_without_email_pseudonyms() -> (tempfile::TempDir, std::path::PathBuf) {
    let mut text = std::fs::read_to_string(root().join("rules/confluence.yaml")).unwrap();
    for path in EMAIL_PATHS {
        assert_eq!(
            text.matches(path).count(),
            1,
            "the shipped rules changed: {path}"
        );
        text = text.replace(path, "");
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("confluence.yaml");
    std::fs::write(&copy, text).unwrap();
    std::fs::copy(
        root().join("rules/confluence.lint.yaml"),
        dir.path().join("confluence.lint.yaml"),
    )
    .unwrap();
    (dir, copy)
}

#[test]
fn lint_fails_naming_every_email_leaf() {
    let (_dir, copy) = rules_without_email_pseudonyms();
    let out = run_cli(&["rules", "lint", copy.to_str().unwrap()], &[], "", &root());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let section = text
        .split("\nFINDINGS (")
        .nth(1)
        .and_then(|rest| rest.split("\nACKNOWLEDGED (").next())
        .unwrap_or_else(|| panic!("no FINDINGS section in\n{text}"));
    let findings: Vec<&str> = section.lines().filter(|l| l.starts_with("L0")).collect();
    let search = "/ex/confluence/{cloudId}/wiki/rest/api/content/search";
    let members = "/ex/confluence/{cloudId}/wiki/rest/api/group/{groupId}/membersByGroupId";
    let expected = [
        format!("{search}  $.results[*].history.createdBy.email"),
        format!("{search}  $.results[*].history.lastUpdated.by.email"),
        format!("{search}  $.results[*].history.previousVersion.by.email"),
        format!("{search}  $.results[*].history.contributors.publishers.users[*].email"),
        format!("{search}  $.results[*].version.by.email"),
        format!("{members}  $.results[*].email"),
    ];
    let expected: Vec<String> = expected
        .iter()
        .map(|e| format!("L001 personal-kept-raw  {e}"))
        .collect();
    assert_eq!(findings, expected, "\n{text}");
    assert!(text.contains("`$.results[*].email` looks like email and is kept raw"));
}

#[test]
fn the_canary_test_fails_on_the_same_copy() {
    let (_dir, copy) = rules_without_email_pseudonyms();
    let rules = rules::load(&copy).unwrap();
    let config_text = std::fs::read_to_string(copy.with_extension("lint.yaml")).unwrap();
    let report = lint(&rules, &LintConfig::from_yaml(&config_text).unwrap(), None);
    let err = check_rules(&rules, &report, Oracle::Privacy, || seeded_runner(64)).unwrap_err();
    assert!(err.contains(".email (raw)"), "{err}");
}
