//! Every golden example of `example-api-responses/` takes the fast path (it never gives
//! up on them), and the fast path's output is the reference's, byte for byte.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::super::{Depth, LinkProtection, sanitize_fast, sanitize_reference};
use super::pseudonymizer;
use crate::rules;

#[derive(Deserialize)]
struct Manifest {
    rules: PathBuf,
    examples: Vec<Example>,
}

#[derive(Deserialize)]
struct Example {
    url: String,
    original: PathBuf,
}

#[test]
fn golden_examples_take_the_fast_path_and_match_the_reference() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("example-api-responses");
    let read = |p: &Path| std::fs::read_to_string(dir.join(p)).unwrap();
    let manifest: Manifest = serde_saphyr::from_str(&read(Path::new("examples.yaml"))).unwrap();
    let rules = rules::load(&dir.join(&manifest.rules)).unwrap();
    let mut failures = Vec::new();
    for example in &manifest.examples {
        let (path, query) = match example.url.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (example.url.as_str(), None),
        };
        let endpoint = rules.gate("GET", path, query).unwrap().endpoint;
        let body = read(&example.original);
        let reference = sanitize_reference(
            &rules,
            endpoint,
            pseudonymizer(),
            &body,
            &LinkProtection::none(),
            Depth::Serde,
        )
        .unwrap();
        match sanitize_fast(
            &rules,
            endpoint,
            pseudonymizer(),
            &body,
            &LinkProtection::none(),
        ) {
            Ok(fast) if fast.body == reference.body && fast.report == reference.report => {}
            Ok(_) => failures.push(format!("{}: differs", example.original.display())),
            Err(_) => failures.push(format!("{}: fast path gave up", example.original.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
