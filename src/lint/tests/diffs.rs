//! `rules diff`: exposures, drops, pseudonym changes and request changes between files.

use super::load;
use crate::lint::diff::diff;

const BASE: &str = r#"
endpoints:
  - pathTemplate: /e
    allowedQueryParams: [limit]
    responseSchema:
      type: object
      properties:
        id: { type: string }
        email: { type: string }
        title: { type: string }
    transforms:
      - !<pseudonymize>
        jsonPaths: ["$.email"]
      - !<textDigest>
        jsonPaths: ["$.title"]
"#;

/// `endpoint path old->new [exposes]` per leaf change, then pseudonym and request lines.
fn summary(old: &str, new: &str) -> (Vec<String>, bool) {
    let d = diff(&load(old), &load(new));
    let label = |c: Option<crate::lint::LeafClass>| c.map_or("absent", |c| c.label());
    let mut lines: Vec<String> = d
        .leaves
        .iter()
        .map(|l| {
            format!(
                "{} {} {}->{}{}",
                l.endpoint,
                l.path,
                label(l.old),
                label(l.new),
                if l.exposes { " EXPOSES" } else { "" }
            )
        })
        .collect();
    lines.extend(
        d.pseudonyms
            .iter()
            .map(|p| format!("pseudonym {} [{}]->[{}]", p.path, p.old, p.new)),
    );
    lines.extend(d.requests.iter().map(|r| {
        format!(
            "request {}{}",
            r.change,
            if r.widens { " WIDER" } else { "" }
        )
    }));
    lines.extend(d.endpoints_added.iter().map(|e| format!("added {e}")));
    lines.extend(d.endpoints_removed.iter().map(|e| format!("removed {e}")));
    (lines, d.exposes())
}

#[test]
fn the_privacy_effect_of_each_change() {
    let table: Vec<(&str, String, Vec<&str>, bool)> = vec![
        ("identical", BASE.to_owned(), vec![], false),
        (
            "pseudonymize removed",
            BASE.replace("[\"$.email\"]", "[\"$.id\"]"),
            vec![
                "/e $.id raw->pseudonymized",
                "/e $.email pseudonymized->raw EXPOSES",
            ],
            true,
        ),
        (
            "a field dropped from the schema",
            BASE.replace("        title: { type: string }\n", "")
                .replace("[\"$.title\"]", "[\"$.email\"]"),
            vec![
                "/e $.email pseudonymized->digested",
                "/e $.title digested->absent",
            ],
            false,
        ),
        (
            "a field added to the schema",
            BASE.replace(
                "        id: { type: string }\n",
                "        id: { type: string }\n        name: { type: string }\n",
            ),
            vec!["/e $.name absent->raw EXPOSES"],
            true,
        ),
        (
            "reversible pseudonyms",
            BASE.replace(
                "        jsonPaths: [\"$.email\"]\n",
                "        jsonPaths: [\"$.email\"]\n        includeReversible: true\n",
            ),
            vec!["pseudonym $.email [pseudonymize]->[pseudonymize (reversible)]"],
            false,
        ),
        (
            "a query parameter allowed",
            BASE.replace("[limit]", "[limit, expand]"),
            vec!["request query parameters now allowed: expand WIDER"],
            true,
        ),
        (
            "every query parameter allowed",
            BASE.replace("    allowedQueryParams: [limit]\n", ""),
            vec!["request allowedQueryParams removed: every query parameter is now allowed WIDER"],
            true,
        ),
        (
            "a query parameter no longer allowed",
            BASE.replace("[limit]", "[]"),
            vec!["request query parameters no longer allowed: limit"],
            false,
        ),
        (
            "an endpoint renamed",
            BASE.replace("/e\n", "/f\n"),
            vec![
                "/f $.id absent->raw EXPOSES",
                "/f $.email absent->pseudonymized EXPOSES",
                "/f $.title absent->digested EXPOSES",
                "request new endpoint: these requests are now allowed WIDER",
                "added /f",
                "removed /e",
            ],
            true,
        ),
    ];
    for (what, new, expected, exposes) in table {
        let (lines, exposed) = summary(BASE, &new);
        assert_eq!(lines, expected, "{what}");
        assert_eq!(exposed, exposes, "{what}");
    }
}
