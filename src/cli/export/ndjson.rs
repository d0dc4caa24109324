//! One endpoint's NDJSON output file, appended page by page.
//!
//! Opening truncates the file to the committed offset from the state (dropping a page
//! whose state was never recorded); every append is fsynced before it returns the new
//! offset, so the state can only ever point at bytes that are on disk.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(super) enum NdjsonError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is shorter ({actual} bytes) than the state says was committed ({committed}); \
         it was modified or lost: delete it and the state file to start over"
    )]
    Shrunk {
        path: PathBuf,
        actual: u64,
        committed: u64,
    },
}

pub(super) struct NdjsonFile {
    file: File,
    path: PathBuf,
    offset: u64,
}

impl NdjsonFile {
    /// Opens (creating) `path`, cut back to `committed` bytes.
    pub(super) fn open(path: &Path, committed: u64) -> Result<Self, NdjsonError> {
        let io = |action| {
            let path = path.to_owned();
            move |source| NdjsonError::Io {
                action,
                path,
                source,
            }
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("create the directory of"))?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io("open"))?;
        let actual = file.metadata().map_err(io("inspect"))?.len();
        if actual < committed {
            return Err(NdjsonError::Shrunk {
                path: path.to_owned(),
                actual,
                committed,
            });
        }
        file.set_len(committed).map_err(io("truncate"))?;
        file.seek(SeekFrom::Start(committed)).map_err(io("seek"))?;
        Ok(NdjsonFile {
            file,
            path: path.to_owned(),
            offset: committed,
        })
    }

    /// Appends `bytes` durably; returns the new committed-able offset.
    pub(super) fn append(&mut self, bytes: &[u8]) -> Result<u64, NdjsonError> {
        let io = |action| {
            let path = self.path.clone();
            move |source| NdjsonError::Io {
                action,
                path,
                source,
            }
        };
        self.file.write_all(bytes).map_err(io("write"))?;
        self.file.sync_data().map_err(io("sync"))?;
        self.offset += bytes.len() as u64;
        Ok(self.offset)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reopening_drops_uncommitted_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spaces.ndjson");
        let mut file = NdjsonFile::open(&path, 0).unwrap();
        let committed = file.append(b"{\"id\":1}\n").unwrap();
        file.append(b"{\"id\":2}\n{\"id\":").unwrap(); // a page the state never recorded
        drop(file);
        let mut file = NdjsonFile::open(&path, committed).unwrap();
        file.append(b"{\"id\":2}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"id\":1}\n{\"id\":2}\n"
        );
    }

    #[test]
    fn a_file_shorter_than_committed_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tasks.ndjson");
        std::fs::write(&path, "x\n").unwrap();
        assert!(matches!(
            NdjsonFile::open(&path, 10),
            Err(NdjsonError::Shrunk {
                actual: 2,
                committed: 10,
                ..
            })
        ));
    }
}
