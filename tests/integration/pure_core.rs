//! The pure core (rules, sanitize — link protection and error bodies included —,
//! pseudonym, jsonpath, lint, the JSON writer and the percent codec) imports no I/O crate,
//! so it stays fast to test, easy to fuzz, and cannot reach the network or the disk by
//! accident.

use std::path::Path;

const PURE: &[&str] = &[
    "rules",
    "sanitize",
    "pseudonym",
    "jsonpath",
    "lint",
    "jackson.rs",
    "percent.rs",
];
const IO_CRATES: &[&str] = &[
    "tokio",
    "reqwest",
    "axum",
    "hyper",
    "lambda_http",
    "lambda_runtime",
    "aws_",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test_file(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "tests")
        || path.file_name().is_some_and(|n| n == "tests.rs")
}

#[test]
fn pure_modules_import_no_io_crate() {
    let src = crate::support::root().join("src");
    let mut offenders = Vec::new();
    for module in PURE {
        let mut files = Vec::new();
        let path = src.join(module);
        if path.is_file() {
            files.push(path);
        } else {
            rust_files(&path, &mut files);
        }
        assert!(!files.is_empty(), "module {module} has no files");
        if *module == "sanitize" {
            // Link protection and error-body rewriting are part of the checked core.
            for part in ["links.rs", "error_body.rs"] {
                assert!(files.iter().any(|f| f.ends_with(part)), "sanitize/{part}");
            }
        }
        // Test-only files may read fixtures.
        for file in files.into_iter().filter(|f| !is_test_file(f)) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for krate in IO_CRATES {
                    if code.contains(&format!("{krate}::"))
                        || code.contains(&format!("use {krate}"))
                    {
                        offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
                // std's file system, network sockets, environment and processes are I/O too.
                for io in [
                    "std::fs",
                    "std::env",
                    "std::process",
                    "TcpStream",
                    "TcpListener",
                    "UdpSocket",
                ] {
                    let allowed = io == "std::fs" && file.ends_with("rules/mod.rs");
                    if code.contains(io) && !allowed {
                        offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "I/O in the pure core:\n{}",
        offenders.join("\n")
    );
}
