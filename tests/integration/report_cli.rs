//! `pseudoproxy rules report` end to end: the page for the shipped rules (a section per
//! endpoint, every golden example), planted markup shown as text, no secret on the page, a
//! change that exposes one more field at the top, and the exit codes.

use std::path::Path;

use serde_json::Value;

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};

use crate::support::{copy_tree, root, run_cli, stderr, stdout};

const MEMBERS: &str = "/ex/confluence/{cloudId}/wiki/rest/api/group/{groupId}/membersByGroupId";
const PLANTED_SCRIPT: &str = "<script>window.__planted=1</script>";
const PLANTED_IMG: &str = "\"><img src=x onerror=alert(1)>";

/// `rules report ARGS --out DIR/report.html` from the project root, at a fixed date: the
/// exit code, stdout and stderr, and the page (empty when none was written).
fn report(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let out = dir.join("report.html");
    let out_arg = out.display().to_string();
    let mut all = vec!["rules", "report"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", out_arg.as_str()]);
    let run = run_cli(&all, &[("SOURCE_DATE_EPOCH", "1704067200")], "", &root());
    let page = std::fs::read_to_string(&out).unwrap_or_default();
    (
        run.status.code(),
        format!("{}{}", stdout(&run), stderr(&run)),
        page,
    )
}

/// The endpoints of the shipped rules, as `rules lint` lists them.
fn shipped_endpoints() -> Vec<String> {
    let out = run_cli(
        &[
            "rules",
            "lint",
            "rules/confluence.yaml",
            "--no-examples",
            "--format",
            "json",
        ],
        &[],
        "",
        &root(),
    );
    let lint: Value = serde_json::from_str(&stdout(&out)).unwrap();
    lint["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["endpoint"].as_str().unwrap().to_owned())
        .collect()
}

/// Text as the page writes it inside an attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn fingerprint(salt: &str) -> String {
    Pseudonymizer::new(PseudonymConfig {
        salt: salt.into(),
        ..PseudonymConfig::default()
    })
    .salt_fingerprint()
}

#[test]
fn the_shipped_rules_have_a_section_per_endpoint_and_every_golden_example() {
    let dir = tempfile::tempdir().unwrap();
    let (code, output, page) = report(
        &[
            "rules/confluence.yaml",
            "--examples",
            "example-api-responses/examples.yaml",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{output}");
    let endpoints = shipped_endpoints();
    assert_eq!(endpoints.len(), 12);
    assert_eq!(
        page.matches("<section class=\"endpoint\"").count(),
        endpoints.len()
    );
    for (index, label) in endpoints.iter().enumerate() {
        let section = format!(
            "<section class=\"endpoint\" id=\"endpoint-{index}\" data-endpoint=\"{}\">",
            attribute(label)
        );
        assert!(page.contains(&section), "no section {section}");
    }
    // Every example of the manifest, each matching its golden output (as `rules test`).
    let manifest =
        std::fs::read_to_string(root().join("example-api-responses/examples.yaml")).unwrap();
    let examples = manifest.matches("\n  - url: ").count();
    assert_eq!(page.matches("<details class=\"example\"").count(), examples);
    assert_eq!(page.matches("matches its golden output").count(), examples);
    // The header: rules SHA, date, version, the test salt's fingerprint (never the salt).
    let rules = pseudoproxy::rules::load(&root().join("rules/confluence.yaml")).unwrap();
    let salt_fingerprint = fingerprint("salt");
    for needle in [
        rules.sha1_hex.as_str(),
        "2024-01-01T00:00:00Z",
        env!("CARGO_PKG_VERSION"),
        salt_fingerprint.as_str(),
        "X-Psoxy-PII-Salt-Sha256",
        "<code>rules/confluence.lint.yaml</code>",
    ] {
        assert!(page.contains(needle), "no {needle} on the page");
    }
    // What a reader sees in the first example: a name turned into a digest, an account id
    // into a pseudonym, an icon dropped.
    for needle in [
        "<span class=\"v f-digested\" title=\"digested\">&quot;Engineering Handbook&quot;</span>",
        "<span class=\"v f-pseudonymized\" title=\"pseudonymized\">&quot;557058:2f1c9e7a-",
        "<span class=\"k\">&quot;icon&quot;</span>: {",
        "<span class=\"v f-dropped\" title=\"dropped\">&quot;/wiki/download/attachments/98306/",
    ] {
        assert!(page.contains(needle), "no {needle} on the page");
    }
    assert!(page.contains("the linter finds nothing open, 2 acknowledged"));
    assert!(!page.contains("<section id=\"change\""));
    assert!(!page.to_lowercase().contains("<script"));
}

#[test]
fn planted_markup_in_an_example_is_text_and_the_secrets_stay_off_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples");
    copy_tree(&root().join("example-api-responses"), &examples);
    let original = examples.join("original").join("spaces-page1.json");
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&original).unwrap()).unwrap();
    doc["results"][0]["name"] = Value::from(PLANTED_SCRIPT);
    doc["results"][0][PLANTED_IMG] = Value::from(PLANTED_IMG);
    std::fs::write(&original, doc.to_string()).unwrap();
    let manifest_path = examples.join("examples.yaml");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let secret = manifest
        .replacen("\nsalt: salt ", "\nsalt: zq-salt-0f3a ", 1)
        .replacen(
            "\nencryptionKey: secret\n",
            "\nencryptionKey: zq-key-0f3a\n",
            1,
        );
    assert!(secret.contains("zq-salt-0f3a") && secret.contains("zq-key-0f3a"));
    std::fs::write(&manifest_path, secret).unwrap();

    let manifest_arg = manifest_path.display().to_string();
    let (code, output, page) = report(
        &["rules/confluence.yaml", "--examples", manifest_arg.as_str()],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{output}");
    for needle in [
        "&lt;script&gt;window.__planted=1&lt;/script&gt;",
        "&lt;img src=x onerror=alert(1)&gt;",
    ] {
        assert!(page.contains(needle), "{needle} is not on the page");
    }
    let lower = page.to_lowercase();
    for markup in ["<script", "<img", "onerror=\"", "javascript:"] {
        assert!(!lower.contains(markup), "the page holds `{markup}`");
    }
    assert!(!page.contains("zq-salt-0f3a") && !page.contains("zq-key-0f3a"));
    assert!(page.contains(&fingerprint("zq-salt-0f3a")));
}

#[test]
fn a_change_that_exposes_one_more_field_is_at_the_top() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("rules/confluence.yaml")).unwrap();
    let anchor = "        _links:\n          $ref: \"#/definitions/V1PageLinks\"\n    \
                  transforms:\n      - !<pseudonymize>\n        jsonPaths:\n          - \
                  \"$.results[*].accountId\"\n          - \"$.results[*].email\"\n";
    assert_eq!(
        text.matches(anchor).count(),
        1,
        "the members endpoint changed"
    );
    let exposing = text.replacen(
        anchor,
        &format!("        managerEmail:\n          type: string\n{anchor}"),
        1,
    );
    let rules = dir.path().join("exposing.yaml");
    std::fs::write(&rules, exposing).unwrap();
    let rules_arg = rules.display().to_string();
    let (code, output, page) = report(
        &[
            rules_arg.as_str(),
            "--against",
            "rules/confluence.yaml",
            "--lint-file",
            "rules/confluence.lint.yaml",
            "--examples",
            "example-api-responses/examples.yaml",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("EXPOSES"), "{output}");
    let change = page
        .find("<section id=\"change\" class=\"change exposes\">")
        .unwrap();
    let overview = page.find("<section id=\"overview\">").unwrap();
    let first_endpoint = page.find("<section class=\"endpoint\"").unwrap();
    assert!(change < overview && overview < first_endpoint);
    let section = &page[change..overview];
    assert!(section.contains("This change exposes data the old rules did not."));
    let exposed = &section[section.find("id=\"change-exposed\"").unwrap()..];
    let exposed = &exposed[..exposed.find("</table>").unwrap()];
    assert_eq!(
        exposed.matches("<tr class=\"exposed\">").count(),
        1,
        "{exposed}"
    );
    let row = format!(
        "<tr class=\"exposed\"><td><code>{MEMBERS}</code></td><td><code>$.managerEmail</code>\
         </td><td><span class=\"chip f-absent\">absent</span></td><td><span class=\"chip \
         f-raw\">kept raw</span></td></tr>"
    );
    assert!(exposed.contains(&row), "{exposed}");
    // Nothing else changed: no field protected, no pseudonym, no example output.
    for absent in [
        "id=\"change-protected\"",
        "id=\"change-pseudonyms\"",
        "id=\"change-examples\"",
    ] {
        assert!(!section.contains(absent), "{absent}");
    }
}

#[test]
fn exit_codes_and_no_page_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let invalid = dir.path().join("invalid.yaml");
    std::fs::write(
        &invalid,
        "endpoints:\n  - pathTemplate: /x\n    bogusKey: 1\n",
    )
    .unwrap();
    let invalid = invalid.display().to_string();
    let invalid = invalid.as_str();
    let table: [(&[&str], i32); 4] = [
        (&["tests/data/no-such-rules.yaml"], 2),
        (&[invalid], 3),
        (
            &[
                "rules/confluence.yaml",
                "--examples",
                "no-such-manifest.yaml",
            ],
            2,
        ),
        (&["rules/confluence.yaml", "--against", invalid], 3),
    ];
    for (args, expected) in table {
        let (code, output, page) = report(args, dir.path());
        assert_eq!(code, Some(expected), "{args:?}: {output}");
        assert!(page.is_empty(), "{args:?} wrote a page");
    }
    // Without --out: a usage error from the argument parser.
    let out = run_cli(
        &["rules", "report", "rules/confluence.yaml"],
        &[],
        "",
        &root(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
