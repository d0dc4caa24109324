//! [`FileStore`]: parameters in a local JSON file, the embedded default for `serve` and
//! the CLI. Same semantics as SSM, create-if-absent included.
//!
//! Format: `{"NAME": {"value": "...", "version": 3, "lastModified": <epoch millis>}}`.
//!
//! Invariants:
//! - The file is only ever replaced whole: a temp file (mode 0600) in the same directory
//!   is written, fsynced and renamed over it, so a reader sees the old or the new file,
//!   never half of one, and the file never exists with looser permissions.
//! - Writers in this process are serialized by a mutex; writers in other processes by an
//!   advisory lock on `<file>.lock`, so read-modify-write never loses an update.
//! - Every `get` re-reads the file: another process may have written it.
//! - A malformed file is a `Failed` error naming the file and the position, never quoting
//!   content.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{Parameter, SecretError, SecretStore};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Stored {
    value: String,
    version: i64,
    last_modified: u64,
}

type Contents = BTreeMap<String, Stored>;

/// A parameter store backed by one JSON file.
pub struct FileStore {
    path: PathBuf,
    writer: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish()
    }
}

impl FileStore {
    /// A store at `path`; the file is created on first write.
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore {
            path: path.into(),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn failed(&self, name: &str, reason: impl std::fmt::Display) -> SecretError {
        SecretError::Failed {
            name: name.to_owned(),
            reason: format!("store file {}: {reason}", self.path.display()),
        }
    }

    fn read(&self, name: &str) -> Result<Contents, SecretError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Contents::new()),
            Err(e) => return Err(self.failed(name, format!("cannot read ({})", e.kind()))),
        };
        // serde's messages can quote the offending value; report the position only.
        serde_json::from_slice(&bytes).map_err(|e| {
            let what = format!("malformed at line {} column {}", e.line(), e.column());
            self.failed(name, what)
        })
    }

    fn write(&self, name: &str, contents: &Contents) -> Result<(), SecretError> {
        let io =
            |step: &str, e: std::io::Error| self.failed(name, format!("{step} ({})", e.kind()));
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let temp = dir.join(format!(
            ".{}.{}.{}.tmp",
            file_name.unwrap_or_default(),
            std::process::id(),
            rand::random::<u64>()
        ));
        let bytes =
            serde_json::to_vec_pretty(contents).map_err(|_| self.failed(name, "cannot encode"))?;
        let result = (|| {
            let mut file = private_file(&temp, true)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)?;
            // Persist the rename itself; best effort (not every filesystem allows it).
            let _ = File::open(&dir).and_then(|d| d.sync_all());
            Ok(())
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result.map_err(|e| io("cannot write", e))
    }

    /// Runs a read-modify-write under both locks.
    async fn update<T>(
        &self,
        name: &str,
        change: impl FnOnce(&mut Contents) -> (T, bool),
    ) -> Result<T, SecretError> {
        let _in_process = self.writer.lock().await;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                self.failed(name, format!("cannot create directory ({})", e.kind()))
            })?;
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        // Blocks this worker while another process writes: writes are a few small
        // syscalls, so the wait is short.
        let lock = private_file(Path::new(&lock_path), false)
            .map_err(|e| self.failed(name, format!("cannot open lock file ({})", e.kind())))?;
        lock.lock()
            .map_err(|e| self.failed(name, format!("cannot lock ({})", e.kind())))?;
        let mut contents = self.read(name)?;
        let (result, changed) = change(&mut contents);
        if changed {
            self.write(name, &contents)?;
        }
        Ok(result)
    }
}

/// Opens (creating with mode 0600) a file only its owner can read.
fn private_file(path: &Path, create_new: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(false);
    }
    options.open(path)
}

fn millis(time: SystemTime) -> u64 {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

fn stored(value: &str, version: i64) -> Stored {
    Stored {
        value: value.to_owned(),
        version,
        last_modified: millis(SystemTime::now()),
    }
}

#[async_trait::async_trait]
impl SecretStore for FileStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        let mut contents = self.read(name)?;
        Ok(contents.remove(name).map(|s| Parameter {
            value: s.value,
            version: s.version,
            last_modified: SystemTime::UNIX_EPOCH + Duration::from_millis(s.last_modified),
        }))
    }

    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        self.update(name, |contents| {
            let version = contents.get(name).map_or(1, |s| s.version + 1);
            contents.insert(name.to_owned(), stored(value, version));
            (version, true)
        })
        .await
    }

    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.update(name, |contents| {
            if contents.contains_key(name) {
                return (false, false);
            }
            contents.insert(name.to_owned(), stored(value, 1));
            (true, true)
        })
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.update(name, |contents| ((), contents.remove(name).is_some()))
            .await
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
