//! What a run did, for a person (text) and for scripts (`--json`): listings grouped by kind
//! (spaces, tasks, content search, page versions, group members…) with their counts of
//! listings, items, pages, bytes, refusals and failed requests; the failed listings in full;
//! every listing only with `--verbose`; how the run ended and its exit code. Pure: the
//! reports in, text or JSON out. The size of the text does not grow with the number of
//! listings that went well.

use std::time::Duration;

use serde::Serialize;

use super::durations::human;

/// The requests of this run: every one sent, every refusal (flow control), every failure
/// (timeouts included, and the final answer that failed a listing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tally {
    pub requests: u64,
    pub refused: u64,
    pub errors: u64,
    pub timeouts: u64,
}

/// One thing that happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    Sent,
    Refused,
    Failed,
    TimedOut,
}

impl Tally {
    pub(super) fn note(&mut self, event: Event) {
        match event {
            Event::Sent => self.requests += 1,
            Event::Refused => self.refused += 1,
            Event::Failed => self.errors += 1,
            Event::TimedOut => {
                self.errors += 1;
                self.timeouts += 1;
            }
        }
    }
}

/// Why a run stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StopReason {
    /// SIGINT (Ctrl-C).
    Interrupted,
    /// SIGTERM.
    Terminated,
    /// `--max-wait-total` would be exceeded by the next wait for the rate limit.
    WaitBudgetSpent,
}

impl StopReason {
    /// 130 and 143 as a shell reports a process killed by SIGINT and SIGTERM; 4 for the
    /// wait budget. A re-run resumes in every case.
    pub(super) fn exit_code(self) -> u8 {
        match self {
            StopReason::Interrupted => 130,
            StopReason::Terminated => 143,
            StopReason::WaitBudgetSpent => 4,
        }
    }

    /// The `outcome` of the JSON summary.
    pub(super) fn label(self) -> &'static str {
        match self {
            StopReason::Interrupted => "interrupted",
            StopReason::Terminated => "terminated",
            StopReason::WaitBudgetSpent => "wait-budget-spent",
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            StopReason::Interrupted => "stopped by SIGINT (Ctrl-C)",
            StopReason::Terminated => "stopped by SIGTERM",
            StopReason::WaitBudgetSpent => {
                "stopped: waiting longer for the rate limit would exceed --max-wait-total"
            }
        }
    }
}

/// Why a listing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// One line: `403 BLOCKED_BY_RULES: the rules do not allow …`.
    pub reason: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    /// The page that failed (path and query at the proxy).
    pub at: Option<String>,
    /// Whether re-running the same command may succeed (transient failures).
    pub retry_may_help: bool,
}

/// How a listing ended in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ListingOutcome {
    Done {
        resumed: bool,
    },
    AlreadyDone,
    Failed(Failure),
    /// The run stopped first; a re-run continues it.
    Unfinished,
}

/// One listing: its outcome, its totals so far (this run and earlier ones), the requests
/// of this run.
#[derive(Debug, Clone)]
pub(super) struct ListingReport {
    pub key: String,
    pub kind: String,
    pub outcome: ListingOutcome,
    pub pages: u64,
    pub items: u64,
    pub bytes: u64,
    pub tally: Tally,
    /// Ids handed to dependent listings although this listing did not finish (partial).
    pub ids_used: Option<usize>,
}

/// A kind of listing that was not exported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Skipped {
    pub kind: String,
    pub reason: String,
}

/// Facts about the whole run.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunFacts {
    pub elapsed: Duration,
    /// Time spent paused by the source's rate limit.
    pub waited: Duration,
    pub stop: Option<StopReason>,
}

/// Counts over a set of listings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Counts {
    pub listings: u64,
    /// Done, in this run or before.
    pub done: u64,
    /// Of `done`: finished before this run.
    pub already_done: u64,
    pub failed: u64,
    pub unfinished: u64,
    pub items: u64,
    pub pages: u64,
    pub bytes: u64,
    pub requests: u64,
    pub refused: u64,
    pub errors: u64,
    pub timeouts: u64,
}

impl Counts {
    fn add(&mut self, report: &ListingReport) {
        self.listings += 1;
        match &report.outcome {
            ListingOutcome::Done { .. } => self.done += 1,
            ListingOutcome::AlreadyDone => {
                self.done += 1;
                self.already_done += 1;
            }
            ListingOutcome::Failed(_) => self.failed += 1,
            ListingOutcome::Unfinished => self.unfinished += 1,
        }
        self.items += report.items;
        self.pages += report.pages;
        self.bytes += report.bytes;
        self.requests += report.tally.requests;
        self.refused += report.tally.refused;
        self.errors += report.tally.errors;
        self.timeouts += report.tally.timeouts;
    }
}

/// The listings of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KindRow {
    pub kind: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// A listing of this kind failed after handing some of its ids to dependent listings.
    pub partial: bool,
}

/// A failed listing, in full.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FailedListing {
    pub listing: String,
    pub kind: String,
    pub reason: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub at: Option<String>,
    pub retry_may_help: bool,
    pub partial: bool,
    pub ids_used: Option<usize>,
    pub pages: u64,
    pub items: u64,
}

/// One listing (`--verbose`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListingRow {
    pub listing: String,
    pub kind: String,
    pub status: String,
    pub pages: u64,
    pub items: u64,
    pub bytes: u64,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The whole summary; `--json` prints it as is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Summary {
    /// `complete`, `failed`, `interrupted`, `terminated` or `wait-budget-spent`.
    pub outcome: &'static str,
    pub exit_code: u8,
    pub elapsed_seconds: f64,
    pub waited_seconds: f64,
    pub totals: Counts,
    pub kinds: Vec<KindRow>,
    pub failed: Vec<FailedListing>,
    pub skipped: Vec<Skipped>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listings: Option<Vec<ListingRow>>,
    #[serde(skip)]
    stop: Option<StopReason>,
}

/// Groups `reports` by kind, sorted by kind.
#[cfg(test)]
pub(super) fn by_kind(reports: &[ListingReport]) -> Vec<KindRow> {
    let mut ledger = Ledger::new(false);
    for report in reports {
        ledger.add(report);
    }
    ledger.kinds.into_values().collect()
}

fn is_partial(report: &ListingReport) -> bool {
    matches!(report.outcome, ListingOutcome::Failed(_)) && report.ids_used.is_some()
}

/// The summary's figures, folded in one listing at a time as each ends: a run of 100,000
/// listings keeps per-kind counts and its failures, not a report per listing (one row per
/// listing is kept only for `--verbose`, which prints them all).
#[derive(Debug, Default)]
pub(super) struct Ledger {
    totals: Counts,
    kinds: std::collections::BTreeMap<String, KindRow>,
    failed: Vec<FailedListing>,
    listings: Option<Vec<ListingRow>>,
}

impl Ledger {
    pub(super) fn new(verbose: bool) -> Self {
        Ledger {
            listings: verbose.then(Vec::new),
            ..Ledger::default()
        }
    }

    pub(super) fn add(&mut self, report: &ListingReport) {
        self.totals.add(report);
        let row = self
            .kinds
            .entry(report.kind.clone())
            .or_insert_with(|| KindRow {
                kind: report.kind.clone(),
                counts: Counts::default(),
                partial: false,
            });
        row.counts.add(report);
        row.partial |= is_partial(report);
        if let ListingOutcome::Failed(failure) = &report.outcome {
            self.failed.push(FailedListing {
                listing: report.key.clone(),
                kind: report.kind.clone(),
                reason: failure.reason.clone(),
                status: failure.status,
                code: failure.code.clone(),
                at: failure.at.clone(),
                retry_may_help: failure.retry_may_help,
                partial: report.ids_used.is_some(),
                ids_used: report.ids_used,
                pages: report.pages,
                items: report.items,
            });
        }
        if let Some(listings) = &mut self.listings {
            listings.push(ListingRow {
                listing: report.key.clone(),
                kind: report.kind.clone(),
                status: status_text(&report.outcome),
                pages: report.pages,
                items: report.items,
                bytes: report.bytes,
                tally: report.tally,
            });
        }
    }

    /// The summary of the listings added, sorted by listing and kind.
    pub(super) fn finish(mut self, skipped: &[Skipped], facts: &RunFacts) -> Summary {
        self.failed.sort_by(|a, b| a.listing.cmp(&b.listing));
        if let Some(listings) = &mut self.listings {
            listings.sort_by(|a, b| a.listing.cmp(&b.listing));
        }
        let (outcome, exit_code) = match facts.stop {
            Some(stop) => (stop.label(), stop.exit_code()),
            None if self.totals.failed > 0 => ("failed", 1),
            None => ("complete", 0),
        };
        let mut skipped = skipped.to_vec();
        skipped.sort_by(|a, b| a.kind.cmp(&b.kind));
        Summary {
            outcome,
            exit_code,
            elapsed_seconds: round_ms(facts.elapsed),
            waited_seconds: round_ms(facts.waited),
            totals: self.totals,
            kinds: self.kinds.into_values().collect(),
            failed: self.failed,
            skipped,
            listings: self.listings,
            stop: facts.stop,
        }
    }
}

/// The summary of `reports` at once (what [`Ledger`] folds one at a time).
#[cfg(test)]
pub(super) fn build(
    reports: &[ListingReport],
    skipped: &[Skipped],
    facts: &RunFacts,
    verbose: bool,
) -> Summary {
    let mut ledger = Ledger::new(verbose);
    for report in reports {
        ledger.add(report);
    }
    ledger.finish(skipped, facts)
}

fn round_ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0).round() / 1000.0
}

fn status_text(outcome: &ListingOutcome) -> String {
    match outcome {
        ListingOutcome::Done { resumed: false } => "done".to_owned(),
        ListingOutcome::Done { resumed: true } => "done (resumed)".to_owned(),
        ListingOutcome::AlreadyDone => "already done".to_owned(),
        ListingOutcome::Failed(failure) => format!("failed: {}", failure.reason),
        ListingOutcome::Unfinished => "not finished".to_owned(),
    }
}

impl Summary {
    /// The last line of the text summary: how the run ended and what to do next.
    pub(super) fn headline(&self) -> String {
        let t = &self.totals;
        let failed_advice = || match self.failed.iter().any(|f| f.retry_may_help) {
            true => "re-run the same command to retry (finished listings are not fetched again)",
            false => "re-running will not help until the causes above are fixed",
        };
        match self.stop {
            Some(stop) => {
                let mut text = format!(
                    "{}: {} of {} listings not finished; re-run the same command to resume",
                    stop.describe(),
                    group_digits(t.unfinished),
                    group_digits(t.listings)
                );
                if t.failed > 0 {
                    text.push_str(&format!(" ({} failed)", group_digits(t.failed)));
                }
                text
            }
            None if t.failed > 0 => format!(
                "failed: {} of {} listings failed; {}",
                group_digits(t.failed),
                group_digits(t.listings),
                failed_advice()
            ),
            None => format!(
                "complete: {} of {} listings done",
                group_digits(t.done),
                group_digits(t.listings)
            ),
        }
    }
}

/// The summary for a person: a table by kind, what this run did, skipped kinds, failed
/// listings in full, every listing with `--verbose`, and the headline last.
pub(super) fn render_text(summary: &Summary) -> String {
    let width = summary
        .kinds
        .iter()
        .map(|k| k.kind.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let mut out = format!(
        "{:<width$}  {:>8}  {:>8}  {:>6}  {:>6}  {:>10}  {:>8}  {:>10}  {:>8}  {:>6}\n",
        "kind",
        "listings",
        "done",
        "failed",
        "left",
        "items",
        "pages",
        "bytes",
        "refused",
        "errors"
    );
    let row = |name: &str, c: &Counts, partial: bool| {
        let failed = match partial {
            true => format!("{}*", group_digits(c.failed)),
            false => group_digits(c.failed),
        };
        format!(
            "{name:<width$}  {:>8}  {:>8}  {failed:>6}  {:>6}  {:>10}  {:>8}  {:>10}  {:>8}  {:>6}\n",
            group_digits(c.listings),
            group_digits(c.done),
            group_digits(c.unfinished),
            group_digits(c.items),
            group_digits(c.pages),
            human_bytes(c.bytes),
            group_digits(c.refused),
            group_digits(c.errors),
        )
    };
    for kind in &summary.kinds {
        out.push_str(&row(&kind.kind, &kind.counts, kind.partial));
    }
    out.push_str(&row("total", &summary.totals, false));
    let t = &summary.totals;
    out.push_str(&format!(
        "\nthis run: {} requests in {}; {} refused by the rate limit ({} waited in all); \
         {} failed requests ({} timed out); {} listings were already done\n",
        group_digits(t.requests),
        human(Duration::from_secs_f64(summary.elapsed_seconds)),
        group_digits(t.refused),
        human(Duration::from_secs_f64(summary.waited_seconds)),
        group_digits(t.errors),
        group_digits(t.timeouts),
        group_digits(t.already_done),
    ));
    if summary.kinds.iter().any(|k| k.partial) {
        out.push_str("* partial: failed after some pages; its ids drove the dependent listings\n");
    }
    for skipped in &summary.skipped {
        out.push_str(&format!("skipped {}: {}\n", skipped.kind, skipped.reason));
    }
    if !summary.failed.is_empty() {
        out.push_str(&format!("\nfailed listings ({}):\n", summary.failed.len()));
        for failed in &summary.failed {
            out.push_str(&failed_text(failed));
        }
    }
    if let Some(listings) = &summary.listings {
        out.push('\n');
        out.push_str(&listings_table(listings));
    }
    out.push('\n');
    out.push_str(&summary.headline());
    out.push('\n');
    out
}

fn failed_text(failed: &FailedListing) -> String {
    let mut text = format!("  {}: {}\n", failed.listing, failed.reason);
    let mut context = match &failed.at {
        Some(at) => format!("    at {at}, after "),
        None => "    after ".to_owned(),
    };
    context.push_str(&format!(
        "{} pages and {} items",
        group_digits(failed.pages),
        group_digits(failed.items)
    ));
    if let Some(ids) = failed.ids_used {
        context.push_str(&format!(
            "; partial: its {} ids drove the dependent listings",
            group_digits(ids as u64)
        ));
    }
    text.push_str(&context);
    text.push('\n');
    text.push_str(match failed.retry_may_help {
        true => "    a re-run retries it\n",
        false => "    a re-run will fail the same way until the cause is fixed\n",
    });
    text
}

fn listings_table(listings: &[ListingRow]) -> String {
    let width = listings
        .iter()
        .map(|l| l.listing.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!(
        "{:<width$}  {:>8}  {:>10}  {:>10}  {:>8}  {:>6}  status\n",
        "listing", "pages", "items", "bytes", "refused", "errors"
    );
    for l in listings {
        out.push_str(&format!(
            "{:<width$}  {:>8}  {:>10}  {:>10}  {:>8}  {:>6}  {}\n",
            l.listing,
            group_digits(l.pages),
            group_digits(l.items),
            human_bytes(l.bytes),
            group_digits(l.tally.refused),
            group_digits(l.tally.errors),
            l.status
        ));
    }
    out
}

/// The summary for scripts.
pub(super) fn render_json(summary: &Summary) -> String {
    // Serializing plain data with string keys cannot fail.
    serde_json::to_string_pretty(summary).unwrap_or_default()
}

/// `1234567` → `1,234,567`.
pub(super) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1536` → `1.5 KiB`.
pub(super) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ => format!("{value:.1} {}", UNITS[unit]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(key: &str, kind: &str, outcome: ListingOutcome, items: u64) -> ListingReport {
        ListingReport {
            key: key.into(),
            kind: kind.into(),
            outcome,
            pages: items.div_ceil(100).max(1),
            items,
            bytes: items * 100,
            tally: Tally {
                requests: 2,
                refused: 1,
                errors: 0,
                timeouts: 0,
            },
            ids_used: None,
        }
    }

    fn blocked() -> Failure {
        Failure {
            reason:
                "403 BLOCKED_BY_RULES: the rules do not allow this path, query parameter or method"
                    .into(),
            status: Some(403),
            code: Some("BLOCKED_BY_RULES".into()),
            at: Some("/wiki/rest/api/group?next=true&limit=100&start=100".into()),
            retry_may_help: false,
        }
    }

    fn facts(stop: Option<StopReason>) -> RunFacts {
        RunFacts {
            elapsed: Duration::from_secs(75),
            waited: Duration::from_secs(12),
            stop,
        }
    }

    fn tenant() -> Vec<ListingReport> {
        let mut reports = vec![
            report(
                "spaces",
                "spaces",
                ListingOutcome::Done { resumed: false },
                250,
            ),
            report("tasks", "tasks", ListingOutcome::AlreadyDone, 40),
        ];
        let mut group = report("group", "group", ListingOutcome::Failed(blocked()), 100);
        group.ids_used = Some(100);
        reports.push(group);
        for i in 0..1000 {
            let outcome = match i {
                0..=899 => ListingOutcome::Done { resumed: false },
                _ => ListingOutcome::Unfinished,
            };
            reports.push(report(
                &format!("pages-{i}-versions"),
                "pages-ID-versions",
                outcome,
                3,
            ));
        }
        reports
    }

    #[test]
    fn listings_are_grouped_by_kind_and_counted() {
        let kinds = by_kind(&tenant());
        let names: Vec<&str> = kinds.iter().map(|k| k.kind.as_str()).collect();
        assert_eq!(names, ["group", "pages-ID-versions", "spaces", "tasks"]);
        let versions = &kinds[1];
        assert_eq!(versions.counts.listings, 1000);
        assert_eq!(versions.counts.done, 900);
        assert_eq!(versions.counts.unfinished, 100);
        assert_eq!(versions.counts.items, 3000);
        assert_eq!(versions.counts.pages, 1000);
        assert_eq!(versions.counts.requests, 2000);
        assert_eq!(versions.counts.refused, 1000);
        assert!(kinds[0].partial && kinds[0].counts.failed == 1);
        assert_eq!(kinds[3].counts.already_done, 1);
        assert!(!kinds[2].partial);
    }

    #[test]
    fn the_outcome_decides_the_exit_code_and_a_stop_wins() {
        let done = vec![report(
            "spaces",
            "spaces",
            ListingOutcome::Done { resumed: true },
            1,
        )];
        let summary = build(&done, &[], &facts(None), false);
        assert_eq!((summary.outcome, summary.exit_code), ("complete", 0));
        assert_eq!(summary.headline(), "complete: 1 of 1 listings done");
        let summary = build(&tenant(), &[], &facts(None), false);
        assert_eq!((summary.outcome, summary.exit_code), ("failed", 1));
        let cases = [
            (StopReason::Interrupted, "interrupted", 130),
            (StopReason::Terminated, "terminated", 143),
            (StopReason::WaitBudgetSpent, "wait-budget-spent", 4),
        ];
        for (stop, label, code) in cases {
            let summary = build(&tenant(), &[], &facts(Some(stop)), false);
            assert_eq!((summary.outcome, summary.exit_code), (label, code));
            assert!(
                summary
                    .headline()
                    .contains("100 of 1,003 listings not finished")
            );
            assert!(
                summary
                    .headline()
                    .contains("re-run the same command to resume")
            );
        }
    }

    #[test]
    fn a_ledger_folded_in_any_order_gives_the_same_summary() {
        let in_order = render_json(&build(&tenant(), &[], &facts(None), true));
        let mut reversed = tenant();
        reversed.reverse();
        let mut ledger = Ledger::new(true);
        for report in &reversed {
            ledger.add(report);
        }
        let folded = render_json(&ledger.finish(&[], &facts(None)));
        assert_eq!(folded, in_order);
        let mut quiet = Ledger::new(false);
        for report in &reversed {
            quiet.add(report);
        }
        assert!(
            quiet.listings.is_none(),
            "one row per listing only with --verbose"
        );
    }

    #[test]
    fn text_is_sized_for_a_person_and_shows_failures_in_full() {
        let skipped = [Skipped {
            kind: "attachments-ID-versions".into(),
            reason: "no exported listing provides these ids".into(),
        }];
        let summary = build(&tenant(), &skipped, &facts(None), false);
        let text = render_text(&summary);
        assert!(text.lines().count() < 20, "{text}");
        assert!(
            !text.contains("pages-7-versions"),
            "no row per listing: {text}"
        );
        assert!(
            text.contains("  group: 403 BLOCKED_BY_RULES: the rules do not allow"),
            "{text}"
        );
        assert!(text.contains("at /wiki/rest/api/group?next=true&limit=100&start=100"));
        assert!(text.contains("partial: its 100 ids drove the dependent listings"));
        assert!(
            text.contains("will fail the same way"),
            "a 403 is not retried: {text}"
        );
        assert!(text.contains("skipped attachments-ID-versions: no exported listing"));
        assert!(
            text.contains("this run: 2,006 requests in 1m 15s; 1,003 refused"),
            "{text}"
        );
        let last = text.lines().last().unwrap_or_default();
        assert!(last.starts_with("failed: 1 of 1,003 listings failed; re-running will not help"));
        let total = text
            .lines()
            .find(|l| l.starts_with("total"))
            .unwrap_or_default();
        assert!(
            total.contains("3,390"),
            "items 250 + 40 + 100 + 3000: {total}"
        );

        let verbose = render_text(&build(&tenant(), &skipped, &facts(None), true));
        assert!(verbose.contains("pages-7-versions"));
        assert!(verbose.contains("already done"));
    }

    #[test]
    fn a_transient_failure_advises_a_re_run() {
        let failure = Failure {
            reason: "gave up after 8 failed attempts; last: status 504".into(),
            status: None,
            code: None,
            at: None,
            retry_may_help: true,
        };
        let reports = [report("tasks", "tasks", ListingOutcome::Failed(failure), 0)];
        let text = render_text(&build(&reports, &[], &facts(None), false));
        assert!(text.contains("a re-run retries it"), "{text}");
        assert!(text.ends_with(
            "re-run the same command to retry (finished listings are not fetched again)\n"
        ));
    }

    #[test]
    fn json_has_totals_kinds_and_failures() {
        let summary = build(&tenant(), &[], &facts(Some(StopReason::Terminated)), false);
        let json: serde_json::Value = serde_json::from_str(&render_json(&summary)).unwrap();
        assert_eq!(json["outcome"], "terminated");
        assert_eq!(json["exitCode"], 143);
        assert_eq!(json["totals"]["listings"], 1003);
        assert_eq!(json["totals"]["alreadyDone"], 1);
        assert_eq!(json["kinds"][1]["kind"], "pages-ID-versions");
        assert_eq!(json["kinds"][1]["unfinished"], 100);
        assert_eq!(json["failed"][0]["code"], "BLOCKED_BY_RULES");
        assert_eq!(json["failed"][0]["partial"], true);
        assert_eq!(json["failed"][0]["retryMayHelp"], false);
        assert!(json.get("listings").is_none(), "only with --verbose");
        assert_eq!(json["waitedSeconds"], 12.0);
    }

    #[test]
    fn byte_counts_read_naturally() {
        for (bytes, text) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1536, "1.5 KiB"),
            (5 << 20, "5.0 MiB"),
        ] {
            assert_eq!(human_bytes(bytes), text);
        }
    }

    #[test]
    fn digits_are_grouped() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1_234_567, "1,234,567"),
        ] {
            assert_eq!(group_digits(n), text);
        }
    }
}
