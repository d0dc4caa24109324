//! `export --all` (the real binary) left alone against a generated tenant of thousands of
//! items ([`Tenant`]): a tight rate limit refuses but never fails a listing; a proxy that
//! stops answering is a timeout and the run completes when it answers again; v1
//! `next=true` links are followed; SIGTERM stops cleanly and a re-run resumes exactly once;
//! the grouped summary matches the tenant's truth and names the proxy's reason.
//!
//! The exporter talks to the stand-in directly (it speaks the proxy's side: bearer token,
//! `X-Psoxy-Error`), so these tests exercise the exporter's own behaviour, independent of
//! `serve`'s rules and of its own retries; `export_e2e` runs the path through `serve`.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::export_support::*;

fn export_command(base: &str, out: &Path, limit: u32, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pseudoproxy"));
    command
        .args(["export", "--all", "--base", base, "--cloud-id", CLOUD])
        .args(["--token", TOKEN, "--limit", &limit.to_string(), "--out"])
        .arg(out)
        .args(extra)
        .env_remove("PSEUDOPROXY_AUTH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// The `--json` summary of a run.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON summary ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Every listing of the tenant has its file, with every item exactly once; no other file.
fn check_exactly_once(out: &Path, shape: &TenantShape) {
    let listings = shape.listings();
    for listing in &listings {
        let path = out.join(format!("{}.ndjson", listing.key));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lines: Vec<&str> = text.lines().collect();
        let unique: HashSet<&&str> = lines.iter().collect();
        assert_eq!(
            lines.len() as u64,
            listing.items,
            "{}: item count",
            listing.key
        );
        assert_eq!(
            unique.len(),
            lines.len(),
            "{}: a duplicated line",
            listing.key
        );
        for line in &lines {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|e| panic!("{}: {e}: {line}", listing.key));
        }
    }
    let files = std::fs::read_dir(out)
        .unwrap()
        .filter(|e| {
            let path = e.as_ref().unwrap().path();
            path.extension().is_some_and(|x| x == "ndjson")
        })
        .count();
    assert_eq!(files, listings.len(), "one file per listing");
}

/// The summary's kinds against the tenant's truth: listings, items and pages.
fn check_kinds(summary: &Value, shape: &TenantShape, limit: u32) {
    let truth = shape.kinds(limit);
    let kinds = summary["kinds"].as_array().unwrap();
    for (kind, (listings, items, pages)) in &truth {
        let row = kinds
            .iter()
            .find(|k| k["kind"] == *kind)
            .unwrap_or_else(|| panic!("no kind {kind} in {summary:#}"));
        assert_eq!(row["listings"], *listings, "{kind}: listings");
        assert_eq!(row["items"], *items, "{kind}: items");
        assert_eq!(row["pages"], *pages, "{kind}: pages");
    }
    assert_eq!(kinds.len(), truth.len(), "{summary:#}");
}

fn log_of(log: &Arc<Mutex<TenantLog>>) -> std::sync::MutexGuard<'_, TenantLog> {
    log.lock().unwrap()
}

/// Lines in the state journal: one per committed page since the last compaction.
fn journal_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("export-state.journal"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// (a) A burst limit of 2 requests per second with 8 workers: refusals happen, are counted,
/// and end no listing; every item lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tight_rate_limit_refuses_but_never_fails_a_listing() {
    let shape = TenantShape {
        spaces: 1000,
        tasks: 750,
        pages: 2,
        blogposts: 1,
        groups: 1,
        members: 250,
        versions: 3,
    };
    let mut tenant = Tenant::new(shape);
    tenant.rate = Some(RateLimit {
        burst: 2,
        burst_window: Duration::from_secs(1),
        quota: 30,
        quota_window: Duration::from_secs(10),
    });
    let (server, log) = tenant.start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let extra = ["--concurrency", "8", "--max-wait", "5", "--json"];
    let output = run(export_command(&server.uri(), &out, 250, &extra)).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let summary = summary(&output);
    assert_eq!(summary["outcome"], "complete");
    let totals = &summary["totals"];
    assert_eq!(totals["failed"], 0, "{summary:#}");
    check_kinds(&summary, &shape, 250);
    check_exactly_once(&out, &shape);
    let log = log_of(&log);
    assert!(log.refused >= 1, "the limit was never reached");
    assert_eq!(totals["refused"], log.refused, "every refusal counted");
    assert_eq!(totals["requests"], log.seen.len() as u64);
    assert_eq!(totals["errors"], 0);
    let pages = totals["pages"].as_u64().unwrap();
    assert!(
        log.refused <= pages,
        "refusals stay rare: {} for {pages} pages",
        log.refused
    );
}

/// (b) The proxy stops answering for 3 s mid-run: requests time out after 1 s, are retried
/// like a 504, and the run completes once it answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_stops_answering_is_a_timeout_and_the_run_completes() {
    let shape = TenantShape {
        spaces: 1200,
        tasks: 800,
        pages: 2,
        blogposts: 1,
        groups: 1,
        members: 10,
        versions: 2,
    };
    let mut tenant = Tenant::new(shape);
    tenant.silence = Some((6, Duration::from_secs(3)));
    let (server, log) = tenant.start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let extra = ["--request-timeout", "1", "--max-wait", "2", "--json"];
    let started = Instant::now();
    let output = run(export_command(&server.uri(), &out, 100, &extra)).await;
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    // A silent request is answered only after 60 s: without the timeout the run would
    // still be waiting.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    let summary = summary(&output);
    let totals = &summary["totals"];
    let hung = log_of(&log).hung;
    assert!(hung >= 1, "the proxy was silent for no request");
    assert_eq!(totals["timeouts"], hung, "every silent request timed out");
    assert_eq!(totals["errors"], hung);
    assert_eq!(totals["failed"], 0);
    check_kinds(&summary, &shape, 100);
    check_exactly_once(&out, &shape);
}

/// (c) Groups, group members and the content search page with Confluence's v1 links
/// (`next=true&start=…`, `next=true&cursor=…` plus the original query): every page is
/// fetched once, none skipped or repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_next_true_links_are_followed_to_the_end() {
    let shape = TenantShape {
        spaces: 3,
        tasks: 3,
        pages: 4,
        blogposts: 3,
        groups: 5,
        members: 5,
        versions: 1,
    };
    let (server, log) = Tenant::new(shape).start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = run(export_command(&server.uri(), &out, 2, &["--json"])).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let summary = summary(&output);
    check_kinds(&summary, &shape, 2);
    check_exactly_once(&out, &shape);
    let log = log_of(&log);
    let pages: u64 = shape.kinds(2).values().map(|(_, _, pages)| pages).sum();
    assert_eq!(log.seen.len() as u64, pages, "one request per page");
    let unique: HashSet<&String> = log.seen.iter().collect();
    assert_eq!(unique.len(), log.seen.len(), "no page fetched twice");
    let seen = |needle: &str| log.seen.iter().filter(|s| s.contains(needle)).count();
    assert_eq!(seen("/rest/api/group?next=true&limit=2&start="), 2);
    assert_eq!(seen("/membersByGroupId?next=true&limit=2&start="), 5 * 2);
    let search = seen("/rest/api/content/search?next=true&cursor=c");
    assert_eq!(search, 3, "{:#?}", log.seen);
    assert!(
        log.seen
            .iter()
            .filter(|s| s.contains("next=true&cursor="))
            .all(|s| s.contains("&cql=") && s.contains("&expand=")),
        "the original query rides along: {:#?}",
        log.seen
    );
}

/// (d) SIGTERM mid-run: the pages in hand are committed, the summary printed, exit 143; a
/// re-run resumes and ends with every item exactly once, and says so in a few lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_a_rerun_resumes_exactly_once() {
    let shape = TenantShape {
        spaces: 2000,
        tasks: 1000,
        pages: 6,
        blogposts: 4,
        groups: 3,
        members: 60,
        versions: 30,
    };
    let mut tenant = Tenant::new(shape);
    tenant.delay = Duration::from_millis(100);
    let (server, _log) = tenant.start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = KillOnDrop(
        export_command(&server.uri(), &out, 50, &["--json"])
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while journal_lines(&out) < 5 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "ended before SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let waited = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(waited.elapsed() < Duration::from_secs(20), "did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(status.code(), Some(143), "{stdout}");
    let stopped: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stopped["outcome"], "terminated");
    assert!(
        stopped["totals"]["unfinished"].as_u64().unwrap() >= 1,
        "{stopped:#}"
    );
    assert!(stopped["totals"]["pages"].as_u64().unwrap() >= 5);

    // The re-run resumes; its summary is a few lines, not one per listing.
    let output = run(export_command(&server.uri(), &out, 50, &[])).await;
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.lines().count() < 25, "{text}");
    let last = text.lines().last().unwrap_or_default();
    let listings = shape.listings().len();
    assert_eq!(
        last,
        format!("complete: {listings} of {listings} listings done")
    );
    check_exactly_once(&out, &shape);

    // A third run finds everything done and sends nothing.
    let output = run(export_command(&server.uri(), &out, 50, &["--json"])).await;
    let done = summary(&output);
    assert_eq!(done["totals"]["alreadyDone"], listings as u64, "{done:#}");
    assert_eq!(done["totals"]["requests"], 0);
    check_kinds(&done, &shape, 50);
}

/// (e) The proxy refuses page 2 of the groups (`next=true` not allowed by its rules) and
/// answers some requests 502: the summary's counts match the tenant, the failed listing
/// carries the proxy's reason and is partial (its 100 groups' members are exported), and
/// no re-run is advised for a 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grouped_summary_matches_the_tenant_and_names_the_proxys_reason() {
    let shape = TenantShape {
        spaces: 300,
        tasks: 200,
        pages: 3,
        blogposts: 2,
        groups: 150,
        members: 3,
        versions: 2,
    };
    let mut tenant = Tenant::new(shape);
    tenant.block_group_next = true;
    tenant.flaky_every = Some(13);
    let (server, log) = tenant.start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let extra = ["--concurrency", "8", "--json"];
    let output = run(export_command(&server.uri(), &out, 100, &extra)).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let summary = summary(&output);
    assert_eq!(summary["outcome"], "failed");

    // The truth: only the first page of groups arrives, so 100 member listings.
    let mut expected = shape;
    expected.groups = 100;
    let mut truth = expected.kinds(100);
    truth.insert("group", (1, 100, 1));
    let kinds = summary["kinds"].as_array().unwrap();
    for (kind, (listings, items, pages)) in &truth {
        let row = kinds.iter().find(|k| k["kind"] == *kind).unwrap();
        assert_eq!(
            (&row["listings"], &row["items"], &row["pages"]),
            (
                &Value::from(*listings),
                &Value::from(*items),
                &Value::from(*pages)
            ),
            "{kind}"
        );
    }
    let group = kinds.iter().find(|k| k["kind"] == "group").unwrap();
    assert_eq!(
        (&group["failed"], &group["partial"]),
        (&Value::from(1), &Value::from(true))
    );

    let failed = summary["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{summary:#}");
    let group = &failed[0];
    assert_eq!(group["listing"], "group");
    assert_eq!(group["status"], 403);
    assert_eq!(group["code"], "BLOCKED_BY_RULES");
    let reason = group["reason"].as_str().unwrap();
    assert!(reason.contains("the rules do not allow"), "{reason}");
    assert!(reason.contains("`next=`"), "{reason}");
    assert!(group["at"].as_str().unwrap().contains("next=true"));
    assert_eq!(group["retryMayHelp"], false);
    assert_eq!(group["idsUsed"], 100);

    let totals = &summary["totals"];
    {
        let log = log_of(&log);
        assert!(log.failed >= 2, "some 502s and the 403");
        assert_eq!(totals["errors"], log.failed, "every failed request counted");
        assert_eq!(totals["requests"], log.seen.len() as u64);
    }

    // The same run again, for a person: the reason in full, no advice to re-run.
    let before = log_of(&log).seen.len();
    let output = run(export_command(&server.uri(), &out, 100, &[])).await;
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("  group: 403 BLOCKED_BY_RULES: the rules do not allow"),
        "{text}"
    );
    assert!(text.contains("a re-run will fail the same way"), "{text}");
    assert!(!text.contains("re-run the same command"), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.contains("re-running will not help"), "{text}");
    assert!(text.lines().count() < 30, "{text}");
    let sent = log_of(&log).seen.len() - before;
    assert!(
        sent <= 3,
        "only the refused page is asked again: {sent} requests"
    );
}
