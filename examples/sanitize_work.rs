//! Runs the floor or the sanitizer on a generated content-search response, for profilers
//! and instruction counters (`valgrind --tool=callgrind`, `perf record`), whose counts do
//! not depend on what else the machine is doing.
//!
//! `sanitize_work (floor|sanitize) RESULTS [REPEAT]` sanitizes a generated content-search
//! response; `sanitize_work (floor|sanitize) FILE [REPEAT] URL` a body from a file for the
//! request URL. Generation and rules loading happen before the measured loop; run `floor`
//! and `sanitize` with the same arguments and compare the instruction counts of `work_*`
//! (callgrind's `--toggle-collect='*work_*'`).

#[path = "../benches/support/content_search.rs"]
mod content_search;

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules;
use pseudoproxy::sanitize;

const SEARCH_URL: &str =
    "/ex/confluence/acme-cloud-id/wiki/rest/api/content/search?cql=type+in+%28page%2Cblogpost%29";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(source)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sanitize_work (floor|sanitize) (RESULTS | FILE) [REPEAT] [URL]");
        return ExitCode::from(2);
    };
    let repeat = args
        .get(3)
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(1);
    let url = args.get(4).map_or(SEARCH_URL, String::as_str);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let body = match source.parse::<usize>() {
        Ok(count) => content_search::Generator::from_examples(root).map(|g| g.response(count)),
        Err(_) => std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}")),
    };
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let rules = match rules::load(&root.join("rules/confluence.yaml")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let pseudonymizer = Pseudonymizer::new(PseudonymConfig {
        salt: "salt".into(),
        ..PseudonymConfig::default()
    });
    let mut total = 0;
    for _ in 0..repeat {
        total += match mode.as_str() {
            "floor" => work_floor(black_box(&body)),
            "sanitize" => work_sanitize(&rules, &pseudonymizer, url, black_box(&body)),
            _ => {
                eprintln!("mode must be floor or sanitize");
                return ExitCode::from(2);
            }
        };
    }
    println!(
        "{} bytes in, {} bytes out per run",
        body.len(),
        total / repeat.max(1)
    );
    ExitCode::SUCCESS
}

#[inline(never)]
fn work_floor(body: &str) -> usize {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    serde_json::to_string(&value).map_or(0, |s| s.len())
}

#[inline(never)]
fn work_sanitize(rules: &rules::RuleSet, p: &Pseudonymizer, url: &str, body: &str) -> usize {
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let Ok(matched) = rules.gate("GET", path, query) else {
        eprintln!("{url} is blocked by the rules");
        return 0;
    };
    sanitize::sanitize(rules, matched.endpoint, p, body).map_or(0, |s| s.body.len())
}
