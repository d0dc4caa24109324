//! In-memory [`SecretStore`] for tests and the demo: same semantics as SSM, no I/O.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{Parameter, SecretError, SecretStore};
use crate::clock::Clock;

/// A store held in a mutex-protected map. Clone-free; share it behind an `Arc`.
#[derive(Default)]
pub struct MemoryStore {
    parameters: Mutex<HashMap<String, Parameter>>,
    /// The store's own clock for `last_modified` (tests model a store whose time differs
    /// from an instance's); the system clock when absent.
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.parameters.lock().map(|p| p.len()).unwrap_or_default();
        f.debug_struct("MemoryStore")
            .field("parameters", &count)
            .finish()
    }
}

impl MemoryStore {
    /// A store holding `values` (name → value), each at version 1.
    pub fn with(values: &[(&str, &str)]) -> MemoryStore {
        let now = SystemTime::now();
        let parameters = values
            .iter()
            .map(|(n, v)| {
                (
                    (*n).to_owned(),
                    Parameter {
                        value: (*v).to_owned(),
                        version: 1,
                        last_modified: now,
                    },
                )
            })
            .collect();
        MemoryStore {
            parameters: Mutex::new(parameters),
            clock: None,
        }
    }

    /// An empty store whose `last_modified` times come from `clock` (the store's time,
    /// as SSM's `LastModifiedDate` comes from AWS, not from the writer).
    pub fn with_clock(clock: Arc<dyn Clock>) -> MemoryStore {
        MemoryStore {
            parameters: Mutex::default(),
            clock: Some(clock),
        }
    }

    fn now(&self) -> SystemTime {
        self.clock
            .as_ref()
            .map_or_else(SystemTime::now, |c| c.now())
    }

    fn lock(
        &self,
        name: &str,
    ) -> Result<std::sync::MutexGuard<'_, HashMap<String, Parameter>>, SecretError> {
        self.parameters.lock().map_err(|_| SecretError::Failed {
            name: name.to_owned(),
            reason: "store lock poisoned".into(),
        })
    }
}

#[async_trait::async_trait]
impl SecretStore for MemoryStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        Ok(self.lock(name)?.get(name).cloned())
    }

    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        let mut parameters = self.lock(name)?;
        let version = parameters.get(name).map_or(1, |p| p.version + 1);
        let parameter = Parameter {
            value: value.to_owned(),
            version,
            last_modified: self.now(),
        };
        parameters.insert(name.to_owned(), parameter);
        Ok(version)
    }

    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        let mut parameters = self.lock(name)?;
        if parameters.contains_key(name) {
            return Ok(false);
        }
        let parameter = Parameter {
            value: value.to_owned(),
            version: 1,
            last_modified: self.now(),
        };
        parameters.insert(name.to_owned(), parameter);
        Ok(true)
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.lock(name)?.remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn create_if_absent_wins_once_and_versions_increase() {
        let store = MemoryStore::default();
        assert!(store.create_if_absent("lock", "a").await.unwrap());
        assert!(!store.create_if_absent("lock", "b").await.unwrap());
        assert_eq!(store.get("lock").await.unwrap().unwrap().value, "a");
        assert_eq!(store.put("lock", "c").await.unwrap(), 2);
        store.delete("lock").await.unwrap();
        store.delete("lock").await.unwrap();
        assert!(store.get("lock").await.unwrap().is_none());
    }

    #[test]
    fn debug_never_shows_values() {
        let store = MemoryStore::with(&[("PSOXY_SALT", "very-secret")]);
        assert!(!format!("{store:?}").contains("very-secret"));
        let p = Parameter {
            value: "very-secret".into(),
            version: 1,
            last_modified: SystemTime::now(),
        };
        assert!(!format!("{p:?}").contains("very-secret"));
    }
}
