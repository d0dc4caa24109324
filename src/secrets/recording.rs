//! A store that records how it is read (tests only): which batches
//! ([`SecretStore::get_many`]) and how many single reads, with names it denies and a
//! switch that fails every batch (leaving all reads to the lazy, name-by-name path).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{MemoryStore, Parameter, SecretError, SecretStore};

/// A MemoryStore that records its batches, counts single reads, denies some names, and
/// can be made to fail every batch (which leaves all reads to the lazy path).
#[derive(Debug, Default)]
pub(crate) struct BatchStore {
    inner: MemoryStore,
    denied: HashSet<String>,
    batches_fail: bool,
    batches: Mutex<Vec<usize>>,
    single_reads: AtomicUsize,
}

impl BatchStore {
    pub(crate) fn new(
        values: &[(&str, &str)],
        denied: &[&str],
        batches_fail: bool,
    ) -> std::sync::Arc<BatchStore> {
        std::sync::Arc::new(BatchStore {
            inner: MemoryStore::with(values),
            denied: denied.iter().map(|n| (*n).to_owned()).collect(),
            batches_fail,
            ..Default::default()
        })
    }

    async fn answer(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        if self.denied.contains(name) {
            return Err(SecretError::AccessDenied { name: name.into() });
        }
        self.inner.get(name).await
    }

    pub(crate) fn batches(&self) -> Vec<usize> {
        self.batches.lock().unwrap().clone()
    }

    pub(crate) fn single_reads(&self) -> usize {
        self.single_reads.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl SecretStore for BatchStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        self.single_reads.fetch_add(1, Ordering::SeqCst);
        self.answer(name).await
    }
    async fn get_many(&self, names: &[String]) -> Vec<Result<Option<Parameter>, SecretError>> {
        self.batches.lock().unwrap().push(names.len());
        let mut results = Vec::new();
        for name in names {
            results.push(match self.batches_fail {
                true => Err(SecretError::Transient {
                    name: name.clone(),
                    reason: "throttled".into(),
                }),
                false => self.answer(name).await,
            });
        }
        results
    }
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        self.inner.put(name, value).await
    }
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        self.inner.create_if_absent(name, value).await
    }
    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.inner.delete(name).await
    }
}
