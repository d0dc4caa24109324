//! Secret and parameter stores behind one trait (docs/configuration.md).
//!
//! I/O EDGE. [`SecretStore`] is the seam between the proxy and where its salt, keys,
//! OAuth client secret and rotating tokens live: AWS SSM Parameter Store (or Secrets
//! Manager, `SECRETS_STORE=AWS_SECRETS_MANAGER`) on Lambda, a
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
mod secrets_manager;
mod ssm;

use std::time::SystemTime;

pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "bench-hooks")]
pub use meter::{RoundTrips, round_trips};
pub use secrets_manager::SecretsManagerStore;
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

/// Error codes AWS services use for "slow down".
const THROTTLING_CODES: [&str; 5] = [
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "TooManyUpdates",
];

/// Classifies an AWS service error by error code and HTTP status (SSM and Secrets Manager
/// share the classes).
fn classify_code(name: String, code: &str, status: u16) -> SecretError {
    if code.starts_with("AccessDenied") {
        SecretError::AccessDenied { name }
    } else if THROTTLING_CODES.contains(&code) || status >= 500 || status == 429 {
        SecretError::Transient {
            name,
            reason: format!("{code} (HTTP {status})"),
        }
    } else {
        SecretError::Failed {
            name,
            reason: format!("{code} (HTTP {status})"),
        }
    }
}

/// Classifies an SDK failure that is not a service answer (timeouts, connections).
fn classify_failure<E>(
    name: &str,
    error: &aws_sdk_ssm::error::SdkError<E, aws_sdk_ssm::config::http::HttpResponse>,
) -> SecretError {
    use aws_sdk_ssm::error::SdkError;
    let transient = |reason: &str| SecretError::Transient {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    match error {
        SdkError::TimeoutError(_) => transient("timed out"),
        SdkError::DispatchFailure(d) if d.is_user() => SecretError::Failed {
            name: name.to_owned(),
            reason: "request could not be sent (client configuration)".into(),
        },
        SdkError::DispatchFailure(_) => transient("connection failed"),
        SdkError::ResponseError(_) => transient("unreadable response"),
        _ => SecretError::Failed {
            name: name.to_owned(),
            reason: "request could not be built".into(),
        },
    }
}

/// The AWS SDK configuration every store client uses: the default chain (credentials,
/// region, `AWS_ENDPOINT_URL` and per-service overrides), `region` when given, and bounded
/// waits — a hung call must become a Transient error well inside the request's own time
/// budget, never a hang.
pub async fn aws_config(region: Option<&str>) -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .operation_attempt_timeout(std::time::Duration::from_secs(5))
        .operation_timeout(std::time::Duration::from_secs(12))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}
