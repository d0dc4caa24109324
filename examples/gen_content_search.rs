//! Writes a generated v1 content-search response with N results to stdout (compact JSON),
//! the same bodies the benchmarks use. For the memory measurement of
//! `scripts/bench-memory.sh`: `cargo run --release --example gen_content_search -- 2500`.

#[path = "../benches/support/content_search.rs"]
mod content_search;

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let count = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: gen_content_search COUNT");
            return ExitCode::from(2);
        }
    };
    let generator =
        match content_search::Generator::from_examples(Path::new(env!("CARGO_MANIFEST_DIR"))) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        };
    let body = generator.response(count);
    if let Err(e) = std::io::stdout().lock().write_all(body.as_bytes()) {
        eprintln!("cannot write: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
