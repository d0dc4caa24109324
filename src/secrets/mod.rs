//! Secret and parameter stores behind one trait (docs/configuration.md).
//!
//! I/O EDGE. [`SecretStore`] is the seam between the proxy and where its salt, keys,
//! OAuth client secret and rotating tokens live: AWS SSM Parameter Store on Lambda, a
//! local JSON file for `serve` and the CLI, memory for tests. Every implementation has
//! the same semantics, including create-if-absent (the refresh lock relies on it).
//!
//! Invariants: values never appear in `Debug` output, logs or error messages; errors name
//! the parameter, never its value.

mod file;
mod memory;
mod meter;
#[cfg(test)]
pub(crate) mod recording;
mod ssm;

use std::time::SystemTime;

pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "bench-hooks")]
pub use meter::{RoundTrips, round_trips};
pub use ssm::SsmStore;

/// One stored parameter.
#[derive(Clone, PartialEq, Eq)]
pub struct Parameter {
    pub value: String,
    /// Monotonic version (SSM's `Version`); bumped by every write.
    pub version: i64,
    pub last_modified: SystemTime,
}

impl std::fmt::Debug for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameter")
            .field("value", &"<redacted>")
            .field("version", &self.version)
            .field("last_modified", &self.last_modified)
            .finish()
    }
}

/// Why a store operation failed. Names parameters, never values.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The caller may not read or write this parameter (SSM `AccessDenied`). For optional
    /// parameters the configuration layer treats this as absent.
    #[error("access to parameter {name} denied")]
    AccessDenied { name: String },
    /// Throttling, timeouts, connection failures: worth retrying, never a revocation.
    #[error("parameter store unavailable for {name}: {reason}")]
    Transient { name: String, reason: String },
    /// Anything else (malformed store file, unexpected response).
    #[error("parameter store failed for {name}: {reason}")]
    Failed { name: String, reason: String },
}

impl SecretError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SecretError::Transient { .. })
    }
}

/// A parameter store. Names are full names (prefix included).
#[async_trait::async_trait]
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// The parameter, or `None` when it does not exist.
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError>;
    /// Several parameters at once: one result per name, in the order of `names`, each
    /// exactly what [`get`](SecretStore::get) would answer. The default asks one by one;
    /// a store with a batch read overrides it (SSM: `GetParameters`, 10 names per call)
    /// so a cold start costs a few round trips instead of one per name.
    async fn get_many(&self, names: &[String]) -> Vec<Result<Option<Parameter>, SecretError>> {
        let mut results = Vec::with_capacity(names.len());
        for name in names {
            results.push(self.get(name).await);
        }
        results
    }
    /// Create or overwrite (SSM: SecureString, `Overwrite=true`); returns the new version.
    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError>;
    /// Create only if absent (SSM: `Overwrite=false`); `Ok(false)` when it already exists.
    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError>;
    /// Delete; deleting a missing parameter is not an error.
    async fn delete(&self, name: &str) -> Result<(), SecretError>;
}
