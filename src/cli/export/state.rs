//! The resume state in the output directory: `export-state.journal`, one appended line
//! per committed page.
//!
//! Per listing (keyed by its NDJSON file stem): the first URL, the next URL still to fetch,
//! and the committed byte length of its NDJSON file.
//!
//! Invariant (what makes resume exact): a listing's new state is appended to the journal
//! and fsynced only AFTER the page's lines were appended to its NDJSON file and fsynced. So
//! the NDJSON file is always at least as long as the recorded `committed_bytes`, and bytes
//! beyond it belong to a page whose record never made it; on restart the file is cut back
//! to `committed_bytes` and that page is fetched again. A kill at any instant neither
//! duplicates nor loses a line.
//!
//! Cost: one short line per page, never the whole state. A record holds the listing's
//! whole state, so replay is "the last record of a listing wins" and applying a record
//! twice changes nothing. Only the last line can be torn (a record is fsynced before the
//! next one is written, and a failed write is cut off again); a torn or unreadable last
//! line is a record that never made it, and is dropped.
//!
//! Memory does not grow with the tenant. A run holds the state of the listings it is
//! exporting (at most one per worker) and, when it resumes, what earlier runs recorded,
//! each listing's handed out once ([`StateStore::take`]) and then forgotten. What a run
//! records goes to disk only. That works because a record that ends a listing's part in
//! a run is marked `last` (the page that finished it, or [`StateStore::settle`] for a
//! listing that failed or was stopped): compaction during a run keeps marked lines, drops
//! every other (superseded page records), and appends the listings in flight, reading the
//! old journal line by line. Opening replays everything (last record wins) and rewrites
//! the journal with one marked line per listing. Both compactions write a temporary file,
//! fsync it and rename it over the journal: a crash leaves the old or the new journal,
//! and both replay to the same state.
//!
//! Directories written by earlier versions also have `export-state.json`, a snapshot; it
//! is read under the journal once and removed after the first compaction.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(super) const JOURNAL_FILE: &str = "export-state.journal";
/// The snapshot earlier versions kept beside the journal.
pub(super) const LEGACY_SNAPSHOT: &str = "export-state.json";

/// A run compacts the journal once it exceeds the larger of this and twice its size after
/// the last compaction (so the total rewriting stays proportional to the journal).
const COMPACT_AT_LEAST: u64 = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub(super) enum StateError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid export state ({reason}); delete it to start over")]
    Corrupt { path: PathBuf, reason: String },
    #[error("the export state can no longer be written ({0}); re-run to resume")]
    Broken(String),
}

/// Progress of one listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EndpointState {
    /// The first page's path and query; a different value means a different export.
    pub url: String,
    /// The next page to fetch; `None` once the last page is committed.
    pub next: Option<String>,
    /// Length of the NDJSON file covering every committed page.
    pub committed_bytes: u64,
    pub pages: u64,
    pub items: u64,
    /// Refused and failed requests of the committed pages, all runs together.
    #[serde(default)]
    pub retries: u64,
}

impl EndpointState {
    pub(super) fn new(url: &str) -> Self {
        EndpointState {
            url: url.to_owned(),
            next: Some(url.to_owned()),
            committed_bytes: 0,
            pages: 0,
            items: 0,
            retries: 0,
        }
    }

    pub(super) fn done(&self) -> bool {
        self.next.is_none()
    }
}

/// The snapshot earlier versions wrote (read once, see the module docs).
#[derive(Deserialize)]
struct LegacySnapshot {
    endpoints: HashMap<String, EndpointState>,
}

/// One journal line.
#[derive(Deserialize)]
struct Record {
    key: String,
    entry: EndpointState,
}

/// What compaction reads of a line: which listing, and whether it is the listing's last
/// record of a run (the entry itself is skipped, not parsed).
#[derive(Deserialize)]
struct RecordHead<'a> {
    #[serde(borrow)]
    key: std::borrow::Cow<'a, str>,
    #[serde(default)]
    last: bool,
}

/// One journal line, for writing.
#[derive(Serialize)]
struct RecordRef<'a> {
    key: &'a str,
    entry: &'a EndpointState,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    last: bool,
}

impl RecordRef<'_> {
    fn line(&self) -> Vec<u8> {
        // A struct of strings and integers always serializes.
        let mut line = serde_json::to_vec(self).unwrap_or_default();
        line.push(b'\n');
        line
    }
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.to_owned();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

/// Makes a rename durable; not every platform lets a directory be synced.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

fn blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace() || *b == 0)
}

/// Applies the journal in `reader` to `state`, record by record, reading line by line;
/// returns how many were applied. The last non-blank line may be torn (dropped); any
/// other unreadable line is an error.
pub(super) fn replay(
    state: &mut HashMap<String, EndpointState>,
    reader: impl BufRead,
) -> Result<usize, String> {
    let mut applied = 0;
    // An unreadable line is an error only if a readable one follows it.
    let mut unreadable: Option<String> = None;
    for (index, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("journal line {}: {e}", index + 1))?;
        if blank(&line) {
            continue;
        }
        if let Some(error) = unreadable.take() {
            return Err(error);
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => {
                state.insert(record.key, record.entry);
                applied += 1;
            }
            Err(e) => unreadable = Some(format!("journal line {}: {e}", index + 1)),
        }
    }
    Ok(applied)
}

/// The state of a run: what earlier runs recorded (handed out once), the listings in
/// flight, and the journal every page is appended to.
pub(super) struct StateStore {
    dir: PathBuf,
    journal: File,
    journal_path: PathBuf,
    journal_bytes: u64,
    /// The journal's size after its last compaction.
    compacted_bytes: u64,
    /// Recorded by earlier runs and not yet taken by this one.
    earlier: HashMap<String, EndpointState>,
    /// Listings that recorded a page in this run and have not settled: their latest state.
    in_flight: HashMap<String, EndpointState>,
    /// Items and pages earlier runs recorded, all listings together.
    earlier_totals: (u64, u64),
    /// Set when a failed write could not be cut off: nothing more may be appended.
    broken: Option<String>,
}

impl StateStore {
    /// Loads what earlier runs recorded in `dir` and rewrites the journal with one line
    /// per listing.
    pub(super) fn open(dir: &Path) -> Result<Self, StateError> {
        let mut earlier = load_legacy(dir)?;
        let journal_path = dir.join(JOURNAL_FILE);
        match File::open(&journal_path) {
            Ok(file) => {
                replay(&mut earlier, BufReader::with_capacity(64 << 10, file)).map_err(
                    |reason| StateError::Corrupt {
                        path: journal_path.clone(),
                        reason,
                    },
                )?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(io("read", &journal_path)(source)),
        }
        let earlier_totals = earlier.values().fold((0, 0), |(items, pages), e| {
            (items + e.items, pages + e.pages)
        });
        let (journal, bytes) =
            replace_journal(dir, &journal_path, |out| write_records(out, &earlier, true))?;
        let legacy = dir.join(LEGACY_SNAPSHOT);
        if legacy.exists() {
            std::fs::remove_file(&legacy).map_err(io("remove", &legacy))?;
            sync_dir(dir);
        }
        Ok(StateStore {
            dir: dir.to_owned(),
            journal,
            journal_path,
            journal_bytes: bytes,
            compacted_bytes: bytes,
            earlier,
            in_flight: HashMap::new(),
            earlier_totals,
            broken: None,
        })
    }

    /// What earlier runs recorded for `key`, once: a run exports each listing once, and
    /// what it records from then on is on disk only.
    pub(super) fn take(&mut self, key: &str) -> Option<EndpointState> {
        self.earlier.remove(key)
    }

    /// Items and pages earlier runs recorded, all listings together.
    pub(super) fn earlier_totals(&self) -> (u64, u64) {
        self.earlier_totals
    }

    /// Records a listing's new state durably (after its NDJSON lines are on disk).
    pub(super) fn record(&mut self, key: &str, entry: &EndpointState) -> Result<(), StateError> {
        // The page that finishes a listing is its last record.
        self.append(key, entry, entry.done())?;
        match entry.done() {
            true => self.in_flight.remove(key),
            false => self.in_flight.insert(key.to_owned(), entry.clone()),
        };
        if self.journal_bytes > COMPACT_AT_LEAST.max(2 * self.compacted_bytes) {
            self.compact()?;
        }
        Ok(())
    }

    /// Ends a listing's part in this run (failed or stopped before its last page): its
    /// latest state becomes a marked line, which compaction keeps. A listing that recorded
    /// nothing in this run, or finished, has nothing to settle.
    pub(super) fn settle(&mut self, key: &str) -> Result<(), StateError> {
        let Some(entry) = self.in_flight.get(key) else {
            return Ok(());
        };
        let entry = entry.clone();
        // On failure it stays in flight, so a compaction still writes it.
        self.append(key, &entry, true)?;
        self.in_flight.remove(key);
        Ok(())
    }

    fn append(&mut self, key: &str, entry: &EndpointState, last: bool) -> Result<(), StateError> {
        if let Some(reason) = &self.broken {
            return Err(StateError::Broken(reason.clone()));
        }
        let line = RecordRef { key, entry, last }.line();
        let written = self
            .journal
            .write_all(&line)
            .and_then(|()| self.journal.sync_data());
        if let Err(source) = written {
            // Cut a partial line off, so the next record starts on a line of its own.
            if let Err(cut) = self.journal.set_len(self.journal_bytes) {
                self.broken = Some(cut.to_string());
            }
            return Err(io("append to", &self.journal_path)(source));
        }
        self.journal_bytes += line.len() as u64;
        Ok(())
    }

    /// Rewrites the journal without superseded records, reading it line by line: marked
    /// lines of listings not in flight stay, in order, and the listings in flight follow.
    pub(super) fn compact(&mut self) -> Result<(), StateError> {
        if let Some(reason) = &self.broken {
            return Err(StateError::Broken(reason.clone()));
        }
        let old = File::open(&self.journal_path).map_err(io("read", &self.journal_path))?;
        let (in_flight, journal_path) = (&self.in_flight, &self.journal_path);
        let (journal, bytes) = replace_journal(&self.dir, journal_path, |out| {
            for line in BufReader::with_capacity(64 << 10, old).split(b'\n') {
                let line = line.map_err(io("read", journal_path))?;
                let keep = match serde_json::from_slice::<RecordHead>(&line) {
                    Ok(head) => head.last && !in_flight.contains_key(head.key.as_ref()),
                    // Only a write that failed and could not be cut leaves one, and then
                    // the store is broken; it never ends a listing's part.
                    Err(_) => false,
                };
                if keep {
                    out.write_all(&line)?;
                    out.write_all(b"\n")?;
                }
            }
            write_records(out, in_flight, false)
        })?;
        self.journal = journal;
        self.journal_bytes = bytes;
        self.compacted_bytes = bytes;
        Ok(())
    }
}

/// One journal line per listing of `states`, each marked `last` or not.
fn write_records(
    out: &mut impl Write,
    states: &HashMap<String, EndpointState>,
    last: bool,
) -> Result<(), FillError> {
    for (key, entry) in states {
        out.write_all(&RecordRef { key, entry, last }.line())?;
    }
    Ok(())
}

/// The snapshot an earlier version left in `dir`, or nothing.
fn load_legacy(dir: &Path) -> Result<HashMap<String, EndpointState>, StateError> {
    let path = dir.join(LEGACY_SNAPSHOT);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(source) => return Err(io("read", &path)(source)),
    };
    serde_json::from_reader::<_, LegacySnapshot>(BufReader::with_capacity(64 << 10, file))
        .map(|snapshot| snapshot.endpoints)
        .map_err(|e| StateError::Corrupt {
            path,
            reason: e.to_string(),
        })
}

/// A compaction that could not read the old journal or write the new one.
enum FillError {
    Read(StateError),
    Write(std::io::Error),
}

impl From<StateError> for FillError {
    fn from(error: StateError) -> Self {
        FillError::Read(error)
    }
}

impl From<std::io::Error> for FillError {
    fn from(error: std::io::Error) -> Self {
        FillError::Write(error)
    }
}

/// Writes what `fill` writes as the new journal atomically (tmp file, fsync, rename,
/// directory fsync); returns it opened for appending, and its size.
fn replace_journal(
    dir: &Path,
    journal_path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<(), FillError>,
) -> Result<(File, u64), StateError> {
    let tmp = dir.join(format!("{JOURNAL_FILE}.tmp"));
    let file = File::create(&tmp).map_err(io("create", &tmp))?;
    let mut writer = BufWriter::with_capacity(64 << 10, file);
    match fill(&mut writer) {
        Ok(()) => {}
        Err(FillError::Read(error)) => return Err(error),
        Err(FillError::Write(source)) => return Err(io("write", &tmp)(source)),
    }
    let file = writer
        .into_inner()
        .map_err(|e| io("write", &tmp)(e.into_error()))?;
    file.sync_all().map_err(io("sync", &tmp))?;
    let bytes = file.metadata().map_err(io("size", &tmp))?.len();
    drop(file);
    // Opened before the rename, so that once the new file is the journal nothing can fail
    // and leave the store appending to the replaced one.
    let journal = OpenOptions::new()
        .append(true)
        .open(&tmp)
        .map_err(io("open", &tmp))?;
    std::fs::rename(&tmp, journal_path).map_err(io("replace", journal_path))?;
    sync_dir(dir);
    Ok((journal, bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(next: Option<&str>, committed: u64, pages: u64) -> EndpointState {
        EndpointState {
            url: "/wiki/api/v2/spaces?limit=2".into(),
            next: next.map(str::to_owned),
            committed_bytes: committed,
            pages,
            items: pages * 2,
            retries: 0,
        }
    }

    fn journal_lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(JOURNAL_FILE))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn pages_append_to_the_journal_and_reopening_compacts_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::open(dir.path()).unwrap();
        assert!(journal_lines(dir.path()).is_empty());
        for page in 1..=3 {
            let next = format!("/wiki/api/v2/spaces?cursor={page}");
            store
                .record("spaces", &entry(Some(&next), page * 10, page))
                .unwrap();
        }
        store.record("tasks", &entry(None, 5, 1)).unwrap();
        // One line per page, nothing rewritten.
        assert_eq!(journal_lines(dir.path()).len(), 4);
        drop(store);

        let mut store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.earlier_totals(), (8, 4));
        assert_eq!(journal_lines(dir.path()).len(), 2, "compacted on open");
        assert_eq!(
            store.take("spaces"),
            Some(entry(Some("/wiki/api/v2/spaces?cursor=3"), 30, 3))
        );
        assert_eq!(store.take("spaces"), None, "handed out once");
        assert!(store.take("tasks").unwrap().done());
        assert!(store.earlier.is_empty());
    }

    #[test]
    fn a_corrupt_journal_is_an_error_not_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE), "{not json\n{\"key\":1}\n").unwrap();
        let err = StateStore::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("delete it to start over"), "{err}");
    }

    #[test]
    fn a_snapshot_from_an_earlier_version_is_read_under_the_journal_then_removed() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = serde_json::json!({
            "base": "http://127.0.0.1:8080",
            "endpoints": {
                "spaces": entry(Some("/p2"), 10, 1),
                "tasks": entry(None, 4, 1),
            }
        });
        std::fs::write(dir.path().join(LEGACY_SNAPSHOT), snapshot.to_string()).unwrap();
        let later = RecordRef {
            key: "spaces",
            entry: &entry(Some("/p3"), 20, 2),
            last: false,
        };
        std::fs::write(dir.path().join(JOURNAL_FILE), later.line()).unwrap();
        let mut store = StateStore::open(dir.path()).unwrap();
        assert!(!dir.path().join(LEGACY_SNAPSHOT).exists());
        assert_eq!(store.take("spaces").unwrap().pages, 2);
        drop(store);
        let mut store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.take("spaces").unwrap().pages, 2);
        assert!(store.take("tasks").unwrap().done());
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_an_earlier_bad_one_is_an_error() {
        let good = |pages: u64| {
            RecordRef {
                key: "spaces",
                entry: &entry(Some("/n"), pages * 10, pages),
                last: false,
            }
            .line()
        };
        let mut bytes = [good(1), good(2)].concat();
        let torn = good(3);
        bytes.extend_from_slice(&torn[..torn.len() / 2]);
        let mut state = HashMap::new();
        assert_eq!(replay(&mut state, &bytes[..]), Ok(2));
        assert_eq!(state["spaces"].pages, 2);

        // A crash can also leave zeros where the last record should be.
        let mut zeroed = [good(1), good(2)].concat();
        zeroed.extend_from_slice(&[0u8; 40]);
        let mut state = HashMap::new();
        assert_eq!(replay(&mut state, &zeroed[..]), Ok(2));

        let mut middle = good(1);
        middle.extend_from_slice(b"{\"key\": broken\n");
        middle.extend_from_slice(&good(2));
        let err = replay(&mut HashMap::new(), &middle[..]).unwrap_err();
        assert!(err.contains("line 2"), "{err}");

        // Replaying records the state already holds changes nothing.
        let mut state = HashMap::new();
        let both = [good(1), good(2)].concat();
        replay(&mut state, &both[..]).unwrap();
        replay(&mut state, &both[..]).unwrap();
        assert_eq!(state["spaces"].pages, 2);
    }

    #[test]
    fn a_journal_torn_by_a_crash_resumes_from_the_last_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::open(dir.path()).unwrap();
        store.record("spaces", &entry(Some("/p2"), 10, 1)).unwrap();
        drop(store);
        let path = dir.path().join(JOURNAL_FILE);
        let mut journal = OpenOptions::new().append(true).open(&path).unwrap();
        journal
            .write_all(b"{\"key\":\"spaces\",\"entry\":{\"url\"")
            .unwrap();
        drop(journal);
        let mut store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.take("spaces").unwrap().pages, 1);
        // New records after a torn tail are readable on the next open.
        store.record("spaces", &entry(Some("/p3"), 20, 2)).unwrap();
        drop(store);
        let mut store = StateStore::open(dir.path()).unwrap();
        assert_eq!(store.take("spaces").unwrap().pages, 2);
    }

    #[test]
    fn a_compacted_run_keeps_one_line_per_settled_listing_and_holds_only_listings_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::open(dir.path()).unwrap();
        for listing in 0..1000u64 {
            let key = format!("pages-{listing}-versions");
            store.take(&key);
            store.record(&key, &entry(Some("/p2"), 10, 1)).unwrap();
            match listing % 10 {
                // A failed listing settles with its next page still to fetch.
                0 => store.settle(&key).unwrap(),
                _ => store.record(&key, &entry(None, 20, 2)).unwrap(),
            }
            store.settle(&key).unwrap();
            assert!(store.in_flight.is_empty());
        }
        store
            .record("in-flight", &entry(Some("/p9"), 80, 8))
            .unwrap();
        assert_eq!(journal_lines(dir.path()).len(), 2001);
        store.compact().unwrap();
        let lines = journal_lines(dir.path());
        assert_eq!(lines.len(), 1001, "one per listing");
        assert!(lines[1000].starts_with("{\"key\":\"in-flight\""));
        drop(store);
        let mut store = StateStore::open(dir.path()).unwrap();
        assert_eq!(
            store.earlier_totals(),
            (2 * (100 + 900 * 2 + 8), 100 + 900 * 2 + 8)
        );
        assert_eq!(
            store.take("pages-10-versions").unwrap().next.unwrap(),
            "/p2"
        );
        assert!(store.take("pages-11-versions").unwrap().done());
        assert_eq!(store.take("in-flight").unwrap().pages, 8);
    }

    /// What a run does to the state, as the runner does it.
    #[derive(Debug, Clone)]
    enum Step {
        /// A page of listing `key` is committed; `last` if it has no next page.
        Page {
            key: u8,
            last: bool,
        },
        /// The listing fails or the run stops it.
        Settle(u8),
        Compact,
        /// The process is killed (no compaction) and a new run opens the state.
        Kill,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0u8..12, prop::bool::weighted(0.2)).prop_map(|(key, last)| Step::Page { key, last }),
            2 => (0u8..12).prop_map(Step::Settle),
            1 => Just(Step::Compact),
            1 => Just(Step::Kill),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the order of pages, settlements, compactions and kills, a new run
        /// hands out exactly the last state recorded for each listing, and a run never
        /// holds more than its listings in flight and what it has not taken yet.
        #[test]
        fn every_run_resumes_from_the_last_recorded_state(steps in prop::collection::vec(step(), 1..80)) {
            let dir = tempfile::tempdir().unwrap();
            let mut store = StateStore::open(dir.path()).unwrap();
            let mut model: HashMap<String, EndpointState> = HashMap::new();
            // Listings this run has started and not ended, and those it has ended.
            let mut running: HashMap<String, EndpointState> = HashMap::new();
            let mut ended = std::collections::HashSet::new();
            for step in steps {
                match step {
                    Step::Page { key, last } => {
                        let key = format!("listing-{key}");
                        if ended.contains(&key) {
                            continue;
                        }
                        let state = match running.remove(&key) {
                            Some(state) => state,
                            None => {
                                let earlier = store.take(&key);
                                prop_assert_eq!(&earlier, &model.get(&key).cloned());
                                match earlier {
                                    Some(state) if state.done() => {
                                        ended.insert(key);
                                        continue;
                                    }
                                    Some(state) => state,
                                    None => EndpointState::new("/first"),
                                }
                            }
                        };
                        let pages = state.pages + 1;
                        let next = (!last).then(|| format!("/page-{pages}"));
                        let state = EndpointState { next, pages, committed_bytes: pages * 7, items: pages, ..state };
                        store.record(&key, &state).unwrap();
                        model.insert(key.clone(), state.clone());
                        match last {
                            true => { ended.insert(key); }
                            false => { running.insert(key, state); }
                        }
                    }
                    Step::Settle(key) => {
                        let key = format!("listing-{key}");
                        if running.remove(&key).is_some() {
                            store.settle(&key).unwrap();
                            ended.insert(key);
                        }
                    }
                    Step::Compact => store.compact().unwrap(),
                    Step::Kill => {
                        drop(store);
                        store = StateStore::open(dir.path()).unwrap();
                        running.clear();
                        ended.clear();
                    }
                }
                prop_assert!(store.in_flight.len() <= running.len());
                prop_assert!(store.in_flight.keys().all(|k| running.contains_key(k)));
            }
            drop(store);
            let mut store = StateStore::open(dir.path()).unwrap();
            for key in 0..12u8 {
                let key = format!("listing-{key}");
                prop_assert_eq!(store.take(&key), model.get(&key).cloned(), "{}", key);
            }
        }
    }
}
