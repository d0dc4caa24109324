//! Runs the floor or the sanitizer on a generated content-search response, for profilers
//! and instruction counters (`valgrind --tool=callgrind`, `perf record`), whose counts do
//! not depend on what else the machine is doing.
//!
//! `sanitize_work (floor|sanitize) RESULTS [REPEAT]` — the generation and rules loading
//! happen before the measured loop; run `floor` and `sanitize` with the same arguments and
//! compare the instruction counts of `work` (callgrind's `--toggle-collect=*work*`).

#[path = "../benches/support/content_search.rs"]
mod content_search;

use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;

use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use pseudoproxy::rules;
use pseudoproxy::sanitize;

const SEARCH_PATH: &str = "/ex/confluence/acme-cloud-id/wiki/rest/api/content/search";
const SEARCH_QUERY: &str = "cql=type+in+%28page%2Cblogpost%29&limit=250";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(Ok(count))) = (args.get(1), args.get(2).map(|a| a.parse::<usize>()))
    else {
        eprintln!("usage: sanitize_work (floor|sanitize) RESULTS [REPEAT]");
        return ExitCode::from(2);
    };
    let repeat = args
        .get(3)
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let body = match content_search::Generator::from_examples(root) {
        Ok(g) => g.response(count),
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
            "sanitize" => work_sanitize(&rules, &pseudonymizer, black_box(&body)),
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
fn work_sanitize(rules: &rules::RuleSet, p: &Pseudonymizer, body: &str) -> usize {
    let Ok(matched) = rules.gate("GET", SEARCH_PATH, Some(SEARCH_QUERY)) else {
        return 0;
    };
    sanitize::sanitize(rules, matched.endpoint, p, body).map_or(0, |s| s.body.len())
}
