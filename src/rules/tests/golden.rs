//! Golden diagnostics: each `invalid/NAME.yaml` must fail to load with exactly the text
//! of `invalid/NAME.expected`. Run with `RULES_BLESS=1` to rewrite the expected files
//! from the current output (then read the diff before committing it).

use super::data_dir;
use crate::rules::from_str;

#[test]
fn invalid_files_render_their_expected_diagnostics() {
    let dir = data_dir().join("invalid");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no golden inputs in {}", dir.display());
    let bless = std::env::var_os("RULES_BLESS").is_some();
    let mut failures = Vec::new();
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(input).unwrap();
        let got = match from_str(&text, &name) {
            Ok(_) => "(loaded without errors)\n".to_owned(),
            Err(diagnostics) => format!("{diagnostics}\n"),
        };
        let expected_path = input.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!("{name}:\n{}", line_diff(&expected, &got)));
        }
    }
    assert!(
        failures.is_empty(),
        "golden mismatches (- expected, + got):\n{}",
        failures.join("\n")
    );
}

/// A small line diff: common prefix and suffix kept as context, the middle shown as
/// removed (`-`) and added (`+`) lines.
fn line_diff(expected: &str, got: &str) -> String {
    let (e, g): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), got.lines().collect());
    let prefix = e.iter().zip(&g).take_while(|(a, b)| a == b).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(g[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = Vec::new();
    out.extend(e[..prefix].iter().map(|l| format!("  {l}")));
    out.extend(e[prefix..e.len() - suffix].iter().map(|l| format!("- {l}")));
    out.extend(g[prefix..g.len() - suffix].iter().map(|l| format!("+ {l}")));
    out.extend(e[e.len() - suffix..].iter().map(|l| format!("  {l}")));
    out.join("\n")
}

#[test]
fn line_diff_marks_the_changed_middle() {
    assert_eq!(line_diff("a\nb\nc", "a\nx\nc"), "  a\n- b\n+ x\n  c");
    assert_eq!(line_diff("a", "a\nb"), "  a\n+ b");
}
