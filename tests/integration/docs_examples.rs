//! Executes every example of docs/rules.md: an `<!-- example: url=… -->` marker followed
//! by three fenced blocks — the rules (yaml), the upstream body (json), and the exact
//! compact output (json). The documentation therefore cannot drift from the behaviour.

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules;
use pseudoproxy::sanitize::sanitize;

struct DocExample {
    line: usize,
    url: String,
    blocks: Vec<String>,
}

fn examples(markdown: &str) -> Vec<DocExample> {
    let mut found: Vec<DocExample> = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if let Some(rest) = line.trim().strip_prefix("<!-- example: url=") {
            let url = rest.trim_end_matches("-->").trim().to_owned();
            found.push(DocExample {
                line: n + 1,
                url,
                blocks: Vec::new(),
            });
            continue;
        }
        let Some(current) = found.last_mut() else {
            continue;
        };
        if current.blocks.len() < 3 && line.starts_with("```") && line.len() > 3 {
            let mut block = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                block.push_str(inner);
                block.push('\n');
            }
            current.blocks.push(block);
        }
    }
    found
}

#[test]
fn every_rules_reference_example_produces_its_documented_output() {
    let path = crate::support::root().join("docs").join("rules.md");
    let markdown = std::fs::read_to_string(&path).expect("docs/rules.md");
    let examples = examples(&markdown);
    assert!(
        examples.len() >= 10,
        "docs/rules.md should hold at least 10 executed examples, found {}",
        examples.len()
    );
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: "salt".into(),
        encryption_key: Some("secret".into()),
        ..PseudonymConfig::default()
    });
    let mut failures = Vec::new();
    for example in &examples {
        assert_eq!(
            example.blocks.len(),
            3,
            "docs/rules.md:{}: an example needs rules, input and output blocks",
            example.line
        );
        let name = format!("docs/rules.md:{}", example.line);
        let rules = rules::from_str(&example.blocks[0], &name).unwrap_or_else(|d| panic!("{d}"));
        let (path, query) = example
            .url
            .split_once('?')
            .map_or((example.url.as_str(), None), |(p, q)| (p, Some(q)));
        let matched = rules
            .gate("GET", path, query)
            .unwrap_or_else(|b| panic!("{name}: blocked: {}", b.reason));
        let actual = sanitize(&rules, matched.endpoint, &pseudonymizer, &example.blocks[1])
            .map(|s| s.body)
            .unwrap_or_else(|e| format!("SANITIZATION_FAILED: {e}"));
        let expected = example.blocks[2].trim_end();
        if actual != expected {
            failures.push(format!(
                "{name}\n  expected: {expected}\n  actual:   {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
