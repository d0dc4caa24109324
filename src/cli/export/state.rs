//! The resume state in the output directory: `export-state.json`, a snapshot, plus
//! `export-state.journal`, one appended line per committed page.
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
//! Cost: one short line per page, not the whole state (which is megabytes at 100,000
//! listings). A record holds the listing's whole state, so replay is "the last record of a
//! listing wins" and applying a record twice changes nothing. Only the last line can be
//! torn (a record is fsynced before the next one is written, and a failed write is cut off
//! again); a torn or unreadable last line is a record that never made it, and is dropped.
//! Compaction writes the snapshot atomically (tmp file, fsync, rename, directory fsync) and
//! only then empties the journal: a crash in between replays records the snapshot already
//! holds. It runs when a run opens the state (resume), when it ends, and whenever the
//! journal outgrows twice the snapshot.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(super) const STATE_FILE: &str = "export-state.json";
pub(super) const JOURNAL_FILE: &str = "export-state.journal";

/// The journal is compacted once it exceeds the larger of this and twice the snapshot.
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

/// The snapshot's content.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ExportState {
    /// The proxy base URL the export runs against.
    pub base: String,
    pub endpoints: BTreeMap<String, EndpointState>,
}

/// One journal line.
#[derive(Deserialize)]
struct Record {
    key: String,
    entry: EndpointState,
}

/// One journal line, for writing.
#[derive(Serialize)]
struct RecordRef<'a> {
    key: &'a str,
    entry: &'a EndpointState,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StateError {
    let path = path.to_owned();
    move |source| StateError::Io {
        action,
        path,
        source,
    }
}

impl ExportState {
    /// The snapshot in `dir`, or `None` when there is none yet.
    pub(super) fn load(dir: &Path) -> Result<Option<Self>, StateError> {
        let path = dir.join(STATE_FILE);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io("read", &path)(source)),
        };
        serde_json::from_reader(std::io::BufReader::with_capacity(64 << 10, file))
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path,
                reason: e.to_string(),
            })
    }

    /// Writes the snapshot atomically (a reader, or a restart, sees the old or the new
    /// file); returns its size.
    pub(super) fn save(&self, dir: &Path) -> Result<u64, StateError> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let file = File::create(&tmp).map_err(io("create", &tmp))?;
        // Streamed: at 100,000 listings the snapshot is megabytes, and a whole copy in
        // memory per compaction would stay in the allocator's hands afterwards.
        let mut writer = std::io::BufWriter::with_capacity(64 << 10, file);
        serde_json::to_writer(&mut writer, self).map_err(|e| match e.io_error_kind() {
            Some(kind) => io("write", &tmp)(std::io::Error::from(kind)),
            None => StateError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            },
        })?;
        let file = writer
            .into_inner()
            .map_err(|e| io("write", &tmp)(e.into_error()))?;
        file.sync_all().map_err(io("sync", &tmp))?;
        let size = file.metadata().map_err(io("size", &tmp))?.len();
        std::fs::rename(&tmp, &path).map_err(io("replace", &path))?;
        sync_dir(dir);
        Ok(size)
    }
}

/// Makes a rename durable; not every platform lets a directory be synced.
fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Applies the journal `bytes` to `state`, record by record; returns how many were applied.
/// The last non-blank line may be torn (dropped); any other unreadable line is an error.
pub(super) fn replay(state: &mut ExportState, bytes: &[u8]) -> Result<usize, String> {
    let blank = |line: &[u8]| line.iter().all(|b| b.is_ascii_whitespace() || *b == 0);
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.iter().rposition(|line| !blank(line));
    let mut applied = 0;
    for (index, line) in lines.iter().enumerate() {
        if blank(line) {
            continue;
        }
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => {
                state.endpoints.insert(record.key, record.entry);
                applied += 1;
            }
            Err(_) if Some(index) == last => {}
            Err(e) => return Err(format!("journal line {}: {e}", index + 1)),
        }
    }
    Ok(applied)
}

/// The state of a run: the snapshot and the journal, written as pages are committed.
pub(super) struct StateStore {
    dir: PathBuf,
    state: ExportState,
    journal: File,
    journal_path: PathBuf,
    journal_bytes: u64,
    snapshot_bytes: u64,
    /// Set when a failed write could not be cut off: nothing more may be appended.
    broken: Option<String>,
}

impl StateStore {
    /// Loads the snapshot and replays the journal in `dir`, then compacts them.
    pub(super) fn open(dir: &Path, base: &str) -> Result<Self, StateError> {
        let mut state = ExportState::load(dir)?.unwrap_or_default();
        let journal_path = dir.join(JOURNAL_FILE);
        let bytes = match std::fs::read(&journal_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(io("read", &journal_path)(source)),
        };
        replay(&mut state, &bytes).map_err(|reason| StateError::Corrupt {
            path: journal_path.clone(),
            reason,
        })?;
        state.base = base.to_owned();
        let journal = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&journal_path)
            .map_err(io("open", &journal_path))?;
        let mut store = StateStore {
            dir: dir.to_owned(),
            state,
            journal,
            journal_path,
            journal_bytes: bytes.len() as u64,
            snapshot_bytes: 0,
            broken: None,
        };
        store.compact()?;
        Ok(store)
    }

    pub(super) fn get(&self, key: &str) -> Option<&EndpointState> {
        self.state.endpoints.get(key)
    }

    /// Items and pages recorded so far, all listings together.
    pub(super) fn totals(&self) -> (u64, u64) {
        self.state
            .endpoints
            .values()
            .fold((0, 0), |(items, pages), e| {
                (items + e.items, pages + e.pages)
            })
    }

    /// Records a listing's new state durably (after its NDJSON lines are on disk).
    pub(super) fn record(&mut self, key: &str, entry: &EndpointState) -> Result<(), StateError> {
        if let Some(reason) = &self.broken {
            return Err(StateError::Broken(reason.clone()));
        }
        let mut line =
            serde_json::to_vec(&RecordRef { key, entry }).map_err(|e| StateError::Corrupt {
                path: self.journal_path.clone(),
                reason: e.to_string(),
            })?;
        line.push(b'\n');
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
        self.state.endpoints.insert(key.to_owned(), entry.clone());
        if self.journal_bytes > COMPACT_AT_LEAST.max(2 * self.snapshot_bytes) {
            self.compact()?;
        }
        Ok(())
    }

    /// Writes the snapshot, then empties the journal.
    pub(super) fn compact(&mut self) -> Result<(), StateError> {
        if let Some(reason) = &self.broken {
            return Err(StateError::Broken(reason.clone()));
        }
        self.snapshot_bytes = self.state.save(&self.dir)?;
        if self.journal_bytes > 0 {
            self.journal
                .set_len(0)
                .map_err(io("empty", &self.journal_path))?;
            self.journal
                .sync_all()
                .map_err(io("sync", &self.journal_path))?;
            self.journal_bytes = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ExportState::load(dir.path()).unwrap().is_none());
        let mut state = ExportState {
            base: "http://127.0.0.1:8080".into(),
            ..Default::default()
        };
        let spaces = entry(Some("/wiki/api/v2/spaces?cursor=x"), 42, 1);
        state.endpoints.insert("spaces".into(), spaces.clone());
        state.save(dir.path()).unwrap();
        state.save(dir.path()).unwrap();
        let loaded = ExportState::load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.endpoints["spaces"], spaces);
        assert!(!dir.path().join("export-state.json.tmp").exists());
    }

    #[test]
    fn a_corrupt_state_is_an_error_not_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        let err = ExportState::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("delete it to start over"), "{err}");
    }

    #[test]
    fn pages_append_to_the_journal_and_reopening_compacts_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::open(dir.path(), "http://b").unwrap();
        let snapshot = std::fs::read(dir.path().join(STATE_FILE)).unwrap();
        for page in 1..=3 {
            let next = format!("/wiki/api/v2/spaces?cursor={page}");
            store
                .record("spaces", &entry(Some(&next), page * 10, page))
                .unwrap();
        }
        store.record("tasks", &entry(None, 5, 1)).unwrap();
        // The snapshot was not rewritten per page; the journal has one line per page.
        assert_eq!(
            std::fs::read(dir.path().join(STATE_FILE)).unwrap(),
            snapshot
        );
        let journal = std::fs::read_to_string(dir.path().join(JOURNAL_FILE)).unwrap();
        assert_eq!(journal.lines().count(), 4);
        drop(store);

        let store = StateStore::open(dir.path(), "http://b").unwrap();
        assert_eq!(
            store.get("spaces"),
            Some(&entry(Some("/wiki/api/v2/spaces?cursor=3"), 30, 3))
        );
        assert!(store.get("tasks").unwrap().done());
        assert_eq!(store.totals(), (8, 4));
        let journal = std::fs::read(dir.path().join(JOURNAL_FILE)).unwrap();
        assert!(journal.is_empty(), "compacted on open");
        let snapshot = ExportState::load(dir.path()).unwrap().unwrap();
        assert_eq!(snapshot.endpoints.len(), 2);
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_an_earlier_bad_one_is_an_error() {
        let good = |pages: u64| {
            let e = entry(Some("/n"), pages * 10, pages);
            let mut line = serde_json::to_vec(&RecordRef {
                key: "spaces",
                entry: &e,
            })
            .unwrap();
            line.push(b'\n');
            line
        };
        let mut bytes = [good(1), good(2)].concat();
        let torn = good(3);
        bytes.extend_from_slice(&torn[..torn.len() / 2]);
        let mut state = ExportState::default();
        assert_eq!(replay(&mut state, &bytes), Ok(2));
        assert_eq!(state.endpoints["spaces"].pages, 2);

        // A crash can also leave zeros where the last record should be.
        let mut zeroed = [good(1), good(2)].concat();
        zeroed.extend_from_slice(&[0u8; 40]);
        let mut state = ExportState::default();
        assert_eq!(replay(&mut state, &zeroed), Ok(2));

        let mut middle = [good(1)].concat();
        middle.extend_from_slice(b"{\"key\": broken\n");
        middle.extend_from_slice(&good(2));
        let err = replay(&mut ExportState::default(), &middle).unwrap_err();
        assert!(err.contains("line 2"), "{err}");

        // Replaying records the snapshot already holds changes nothing.
        let mut state = ExportState::default();
        let both = [good(1), good(2)].concat();
        replay(&mut state, &both).unwrap();
        replay(&mut state, &both).unwrap();
        assert_eq!(state.endpoints["spaces"].pages, 2);
    }

    #[test]
    fn a_journal_torn_by_a_crash_resumes_from_the_last_whole_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = StateStore::open(dir.path(), "http://b").unwrap();
        store.record("spaces", &entry(Some("/p2"), 10, 1)).unwrap();
        drop(store);
        let path = dir.path().join(JOURNAL_FILE);
        let mut journal = OpenOptions::new().append(true).open(&path).unwrap();
        journal
            .write_all(b"{\"key\":\"spaces\",\"entry\":{\"url\"")
            .unwrap();
        drop(journal);
        let mut store = StateStore::open(dir.path(), "http://b").unwrap();
        assert_eq!(store.get("spaces").unwrap().pages, 1);
        // New records after a torn tail are readable on the next open.
        store.record("spaces", &entry(Some("/p3"), 20, 2)).unwrap();
        drop(store);
        let store = StateStore::open(dir.path(), "http://b").unwrap();
        assert_eq!(store.get("spaces").unwrap().pages, 2);
    }
}
