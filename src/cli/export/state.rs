//! The resume state: `export-state.json` in the output directory.
//!
//! Per endpoint (keyed by its NDJSON file stem): the first URL, the next URL still to fetch,
//! and the committed byte offset of its NDJSON file. Invariant (what makes resume exact):
//! the state is written — atomically, tmp file + fsync + rename — only AFTER the page's
//! lines were appended and fsynced; so the NDJSON file is always at least as long as
//! `committed_bytes`, and bytes beyond it belong to a page whose state was never recorded.
//! On restart the file is truncated back to `committed_bytes` and that page is fetched
//! again: a kill at any instant neither duplicates nor loses a line.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(super) const STATE_FILE: &str = "export-state.json";

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
}

/// Progress of one endpoint.
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

#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct ExportState {
    /// The proxy base URL the export runs against.
    pub base: String,
    pub endpoints: BTreeMap<String, EndpointState>,
}

impl ExportState {
    /// The state in `dir`, or an empty one when there is none yet.
    pub(super) fn load(dir: &Path) -> Result<Option<Self>, StateError> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StateError::Corrupt {
                path,
                reason: e.to_string(),
            })
    }

    /// Writes the state atomically: a reader (or a restart) sees the old or the new file.
    pub(super) fn save(&self, dir: &Path) -> Result<(), StateError> {
        let path = dir.join(STATE_FILE);
        let tmp = dir.join(format!("{STATE_FILE}.tmp"));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| StateError::Io {
                action,
                path,
                source,
            }
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| StateError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let mut file = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
        file.write_all(&text).map_err(io("write", &tmp))?;
        file.sync_all().map_err(io("sync", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("replace", &path))?;
        // Make the rename itself durable; not every platform lets a directory be synced.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ExportState::load(dir.path()).unwrap().is_none());
        let mut state = ExportState {
            base: "http://127.0.0.1:8080".into(),
            ..Default::default()
        };
        let mut spaces = EndpointState::new("/wiki/api/v2/spaces?limit=100");
        spaces.next = Some("/wiki/api/v2/spaces?cursor=x".into());
        spaces.committed_bytes = 42;
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
}
