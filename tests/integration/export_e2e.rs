//! `export --all` (the real binary) through `serve` (the real binary) over a slow,
//! rate-limiting wiremock Confluence: every item lands exactly once, and a run killed with
//! SIGKILL midway (the state is a snapshot plus an append-only journal) resumes to
//! byte-identical output.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use crate::export_support::*;

fn export_command(base: &str, out: &Path, json: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pseudoproxy"));
    command
        .args([
            "export",
            "--all",
            "--base",
            base,
            "--cloud-id",
            CLOUD,
            "--limit",
            "2",
        ])
        .args(["--concurrency", "4", "--max-wait", "0.1", "--out"])
        .arg(out)
        .args(json.then_some("--json"))
        .env_remove("PSEUDOPROXY_AUTH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn run_export(base: &str, out: &Path, json: bool) -> Output {
    let mut command = export_command(base, out, json);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// The exported files by name; asserts the expected set and every line exactly once.
fn check_outputs(out: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    let mut expected: Vec<String> = ["spaces", "tasks", "content-search", "group"]
        .map(String::from)
        .to_vec();
    expected.extend([3001, 3003, 3005].map(|id| format!("pages-{id}-versions")));
    expected.extend([3002, 3004, 3006].map(|id| format!("blogposts-{id}-versions")));
    expected.extend(GROUPS.map(|g| format!("group-{g}-membersByGroupId")));
    for key in &expected {
        let text = files
            .get(key)
            .unwrap_or_else(|| panic!("no {key}.ndjson in {:?}", files.keys()));
        let lines: Vec<&str> = text.lines().collect();
        let unique: std::collections::HashSet<&&str> = lines.iter().collect();
        assert_eq!(lines.len(), 6, "{key}: 3 pages × 2 items, got:\n{text}");
        assert_eq!(unique.len(), 6, "{key}: a line is duplicated:\n{text}");
        for line in &lines {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{key}: {e}: {line}"));
        }
    }
    let sites = &files["accessible-resources"];
    assert_eq!(sites.lines().count(), 1, "{sites}");
    assert_eq!(files.len(), expected.len() + 1, "{:?}", files.keys());
    files
}

/// (pages, retries) recorded in the state: the journal's records (one line per page, the
/// listing's whole state; the last one of a listing wins; a torn last line is a page not
/// recorded yet).
fn state_pages(out: &Path) -> (u64, u64) {
    let mut endpoints = serde_json::Map::new();
    let journal = std::fs::read_to_string(out.join("export-state.journal")).unwrap_or_default();
    for line in journal.lines() {
        if let Ok(record) = serde_json::from_str::<Value>(line) {
            let key = record["key"].as_str().unwrap().to_owned();
            endpoints.insert(key, record["entry"].clone());
        }
    }
    let sum = |field: &str| endpoints.values().map(|e| e[field].as_u64().unwrap()).sum();
    (sum("pages"), sum("retries"))
}

fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("no JSON summary ({e}): {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_all_writes_every_item_once_and_resumes_after_sigkill() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Confluence::new(Duration::from_millis(150)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (_serve, base) = spawn_serve(&server.uri(), dir.path()).await;

    // One uninterrupted run.
    let first = dir.path().join("first");
    let output = run_export(&base, &first, true).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "export failed:\n{}\n{stderr}",
        String::from_utf8_lossy(&output.stdout)
    );
    let clean = summary(&output);
    assert_eq!(clean["outcome"], "complete");
    let complete = check_outputs(&first);
    let (pages, retries) = state_pages(&first);
    assert_eq!(pages, 16 * 3 + 1, "16 listings of 3 pages and the sites");
    assert_eq!(clean["totals"]["pages"], pages);
    assert!(
        retries >= 16,
        "every second page was throttled once: {retries} retries"
    );
    assert!(
        clean["totals"]["refused"].as_u64().unwrap() >= 16,
        "every refusal is counted: {clean:#}"
    );
    assert_eq!(clean["totals"]["failed"], 0, "a 429 never fails a listing");
    assert!(
        !stderr.contains("status 429"),
        "no line per refusal on stderr: {stderr}"
    );

    // A run killed midway (SIGKILL, after the state shows progress), then resumed.
    let second = dir.path().join("second");
    let mut child = KillOnDrop(export_command(&base, &second, false).spawn().unwrap());
    let started = Instant::now();
    while state_pages(&second).0 < 4 {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        assert!(
            child.0.try_wait().unwrap().is_none(),
            "export ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    let (killed_at, _) = state_pages(&second);
    assert!(
        killed_at < pages,
        "killed midway: {killed_at} of {pages} pages"
    );
    let output = run_export(&base, &second, true).await;
    assert!(
        output.status.success(),
        "resume failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let resumed = summary(&output);
    assert!(
        resumed["totals"]["requests"].as_u64().unwrap()
            < clean["totals"]["requests"].as_u64().unwrap(),
        "the resumed run did not start over: {resumed:#}"
    );
    assert_eq!(
        check_outputs(&second),
        complete,
        "resumed output differs from a clean run"
    );
    assert_eq!(state_pages(&second).0, pages);

    // A third run finds everything done, fetches nothing, and says so in a few lines.
    let output = run_export(&base, &second, false).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("17 listings were already done"), "{stdout}");
    assert!(stdout.lines().count() < 25, "no line per listing: {stdout}");
    assert!(
        stdout.ends_with("complete: 17 of 17 listings done\n"),
        "{stdout}"
    );
    assert_eq!(check_outputs(&second), complete);
}
