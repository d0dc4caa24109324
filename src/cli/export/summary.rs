//! The table printed at the end of an export: one row per endpoint.

use super::progress::human_bytes;

/// How one endpoint ended.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub key: String,
    /// `done`, `already done`, `failed: …`, `skipped: …`.
    pub status: String,
    pub pages: u64,
    pub items: u64,
    pub bytes: u64,
    pub retries: u64,
}

impl Row {
    pub(super) fn failed(&self) -> bool {
        self.status.starts_with("failed")
    }
}

/// Fixed-width text table, rows sorted by key; totals last.
pub(super) fn render(rows: &[Row]) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    let width = rows.iter().map(|r| r.key.len()).max().unwrap_or(0).max(8);
    let mut out = format!(
        "{:<width$}  {:>6}  {:>8}  {:>10}  {:>7}  status\n",
        "endpoint", "pages", "items", "bytes", "retries"
    );
    let line = |key: &str, pages: u64, items: u64, bytes: u64, retries: u64, status: &str| {
        format!(
            "{key:<width$}  {pages:>6}  {items:>8}  {:>10}  {retries:>7}  {status}\n",
            human_bytes(bytes)
        )
    };
    for r in &rows {
        out.push_str(&line(
            &r.key, r.pages, r.items, r.bytes, r.retries, &r.status,
        ));
    }
    let sum = |f: fn(&Row) -> u64| rows.iter().map(f).sum::<u64>();
    let failed = rows.iter().filter(|r| r.failed()).count();
    let status = match failed {
        0 => "ok".to_owned(),
        n => format!("{n} failed"),
    };
    out.push_str(&line(
        "total",
        sum(|r| r.pages),
        sum(|r| r.items),
        sum(|r| r.bytes),
        sum(|r| r.retries),
        &status,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_failures_are_counted() {
        let row = |key: &str, status: &str, items| Row {
            key: key.into(),
            status: status.into(),
            pages: 1,
            items,
            bytes: 2048,
            retries: 1,
        };
        let text = render(&[row("tasks", "done", 3), row("spaces", "failed: 403", 0)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].starts_with("spaces "), "sorted by key: {text}");
        assert!(lines[3].starts_with("total"), "{text}");
        assert!(lines[3].ends_with("1 failed"), "{text}");
        assert!(lines[3].contains("4.0 KiB"), "{text}");
    }
}
