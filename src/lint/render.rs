//! The text form of a [`LintReport`]: a summary line, one table per endpoint (leaf, type,
//! class, the transforms that reach it), then the findings with their fixes, the
//! acknowledged findings with their reasons, and notes about the examples.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Applied, EndpointReport, Finding, LeafClass, LeafReport, LintReport};

/// Render `report` for a terminal (and for docs/privacy.md). `origin` names the rules file.
pub fn render_text(origin: &str, report: &LintReport) -> String {
    let mut out = String::new();
    let leaves: Vec<&LeafReport> = report.endpoints.iter().flat_map(|e| &e.leaves).collect();
    let mut by_class: BTreeMap<LeafClass, usize> = BTreeMap::new();
    for leaf in &leaves {
        *by_class.entry(leaf.class).or_default() += 1;
    }
    let classes: Vec<String> = by_class
        .iter()
        .map(|(class, n)| format!("{n} {}", class.label()))
        .collect();
    let _ = writeln!(
        out,
        "{origin}: {} endpoints, {} leaves ({}); {} finding(s), {} acknowledged",
        report.endpoints.len(),
        leaves.len(),
        classes.join(", "),
        report.findings.len(),
        report.acknowledged.len()
    );
    for endpoint in &report.endpoints {
        out.push('\n');
        endpoint_table(&mut out, endpoint);
    }
    section(&mut out, "FINDINGS", &report.findings, |f| {
        format!("fix: {}", f.fix)
    });
    let acknowledged: Vec<(&Finding, &str)> = report
        .acknowledged
        .iter()
        .map(|a| (&a.finding, a.reason.as_str()))
        .collect();
    if !acknowledged.is_empty() {
        let _ = writeln!(out, "\nACKNOWLEDGED ({})", acknowledged.len());
        for (finding, reason) in acknowledged {
            finding_head(&mut out, finding);
            let _ = writeln!(out, "     reason: {reason}");
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\nNOTES");
        for note in &report.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

fn endpoint_table(out: &mut String, endpoint: &EndpointReport) {
    let examples = match endpoint.examples {
        None => String::new(),
        Some(0) => "  (no example responses)".to_owned(),
        Some(1) => "  (1 example response)".to_owned(),
        Some(n) => format!("  ({n} example responses)"),
    };
    let _ = writeln!(out, "{}{examples}", endpoint.endpoint);
    let rows: Vec<[String; 4]> = endpoint
        .leaves
        .iter()
        .map(|leaf| {
            let path = leaf.path.to_string();
            [
                path.clone(),
                leaf.kinds.clone(),
                class_cell(leaf),
                by_cell(&leaf.applied, &path),
            ]
        })
        .collect();
    let header = ["LEAF", "TYPE", "CLASS", "BY"].map(str::to_owned);
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "  {:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn class_cell(leaf: &LeafReport) -> String {
    let class = leaf.class.label();
    match (&leaf.personal, leaf.class) {
        (Some(what), LeafClass::KeptRaw) if leaf.acknowledged => {
            format!("{class} (acknowledged: {what})")
        }
        (Some(what), LeafClass::KeptRaw) => format!("{class} (L001: {what})"),
        _ if leaf.truncated.is_some() => format!("{class} (recursion cut)"),
        _ => class.to_owned(),
    }
}

/// `#1 pseudonymize; #3 textDigest $..title (conditional)`: the path only when it is not
/// the leaf's own.
fn by_cell(applied: &[Applied], leaf_path: &str) -> String {
    let cells: Vec<String> = applied
        .iter()
        .map(|a| {
            let mut cell = format!("#{} {}", a.transform + 1, a.kind);
            if !a.options.is_empty() {
                let _ = write!(cell, " ({})", a.options);
            }
            if a.path != leaf_path {
                let _ = write!(cell, " {}", a.path);
            }
            if a.on_enclosing {
                cell.push_str(" [enclosing value]");
            }
            if !a.certain {
                cell.push_str(" [conditional]");
            }
            cell
        })
        .collect();
    cells.join("; ")
}

fn section(out: &mut String, title: &str, findings: &[Finding], tail: impl Fn(&Finding) -> String) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title} ({})", findings.len());
    for finding in findings {
        finding_head(out, finding);
        let _ = writeln!(out, "     {}", tail(finding));
    }
}

fn finding_head(out: &mut String, finding: &Finding) {
    let path = finding.path.as_deref().unwrap_or("");
    let _ = writeln!(out, "{}  {}  {path}", finding.code, finding.endpoint);
    let _ = writeln!(out, "     {}", finding.message);
}
