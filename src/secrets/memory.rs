//! In-memory [`SecretStore`] for tests and the demo: same semantics as SSM, no I/O.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use super::{Parameter, SecretError, SecretStore};

/// A store held in a mutex-protected map. Clone-free; share it behind an `Arc`.
#[derive(Default)]
pub struct MemoryStore {
    parameters: Mutex<HashMap<String, Parameter>>,
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
        }
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
            last_modified: SystemTime::now(),
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
            last_modified: SystemTime::now(),
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
