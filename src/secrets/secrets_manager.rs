//! [`SecretsManagerStore`]: AWS Secrets Manager, the store Psoxy deployments choose with
//! `SECRETS_STORE=AWS_SECRETS_MANAGER`.
//!
//! Every parameter is one secret whose *name* is exactly the full parameter name used with
//! SSM (same instance and shared prefixes), its `SecretString` the value — what Psoxy's
//! Secrets Manager configuration does, so an existing deployment's secrets are found.
//! Configuration comes from aws-config's default chain (honouring `AWS_ENDPOINT_URL` and
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`; tests point it at moto on loopback).
//!
//! Semantics, the same as every [`SecretStore`]:
//! - `get`: `GetSecretValue`; a secret that does not exist, has no value yet (Terraform
//!   creates `CLIENT_ID`, `CLIENT_SECRET`, `REFRESH_TOKEN` empty, for `pseudoproxy auth`
//!   to fill) or is scheduled for deletion is absent. `last_modified` is the current
//!   version's `CreatedDate`, set by AWS (the refresh lock judges staleness by it).
//! - `put`: `PutSecretValue`, or `CreateSecret` when the secret does not exist yet
//!   (encrypted with `PSOXY_KMS_KEY_ID` when set).
//! - `create_if_absent`: `CreateSecret`; `ResourceExistsException` → not created. This is
//!   the refresh lock's test-and-set, as `PutParameter` without overwrite is on SSM.
//! - `delete`: `DeleteSecret` with `ForceDeleteWithoutRecovery` (a released lock must be
//!   creatable again at once, not after a recovery window).
//!
//! Invariants: values never appear in errors or logs; errors carry the secret name and
//! the AWS error code or failure class only (the same classes as SSM).

use std::time::SystemTime;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

use super::meter::metered;
use super::{Parameter, SecretError, SecretStore};

/// A parameter store backed by Secrets Manager.
#[derive(Clone)]
pub struct SecretsManagerStore {
    client: Client,
    kms_key_id: Option<String>,
}

impl std::fmt::Debug for SecretsManagerStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsManagerStore")
            .field("kms_key_id", &self.kms_key_id)
            .finish_non_exhaustive()
    }
}

impl SecretsManagerStore {
    /// A store using `client`; secrets it creates are encrypted with `kms_key_id` when given.
    pub fn new(client: Client, kms_key_id: Option<String>) -> SecretsManagerStore {
        SecretsManagerStore { client, kms_key_id }
    }

    /// A store configured from the AWS default chain.
    pub async fn connect(kms_key_id: Option<String>) -> SecretsManagerStore {
        SecretsManagerStore::new(Client::new(&super::aws_config(None).await), kms_key_id)
    }

    async fn create(&self, name: &str, value: &str) -> Result<Created, SecretError> {
        let request = self
            .client
            .create_secret()
            .name(name)
            .secret_string(value)
            .set_kms_key_id(self.kms_key_id.clone())
            .send();
        match metered(request).await {
            Ok(_) => Ok(Created::Yes),
            Err(e) if code_of(&e) == Some("ResourceExistsException") => Ok(Created::Exists),
            Err(e) => Err(classify(name, &e)),
        }
    }
}

enum Created {
    Yes,
    Exists,
}

/// Whether an error means "no such secret (value)": not found, or scheduled for deletion
/// (`InvalidRequestException` on a deleted secret).
fn is_absent<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match code_of(error) {
        Some("ResourceNotFoundException") => true,
        Some("InvalidRequestException") => error
            .as_service_error()
            .and_then(|e| e.message())
            .is_some_and(|m| m.contains("deleted") || m.contains("deletion")),
        _ => false,
    }
}

fn code_of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    error.as_service_error().and_then(|e| e.code())
}

/// A version stamp from the version's creation time (Secrets Manager versions are UUIDs).
fn version_of(created: SystemTime) -> i64 {
    created
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[async_trait::async_trait]
impl SecretStore for SecretsManagerStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        let request = self.client.get_secret_value().secret_id(name).send();
        let output = match metered(request).await {
            Ok(output) => output,
            Err(e) if is_absent(&e) => return Ok(None),
            Err(e) => return Err(classify(name, &e)),
        };
        let last_modified = output
            .created_date
            .and_then(|d| SystemTime::try_from(d).ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(output.secret_string.map(|value| Parameter {
            value,
            version: version_of(last_modified),
            last_modified,
        }))
    }

    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        for _ in 0..2 {
            let request = self
                .client
                .put_secret_value()
                .secret_id(name)
                .secret_string(value)
                .send();
            match metered(request).await {
                Ok(_) => return Ok(version_of(SystemTime::now())),
                Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {
                    match self.create(name, value).await? {
                        Created::Yes => return Ok(version_of(SystemTime::now())),
                        // Created by someone else meanwhile: put the value on it.
                        Created::Exists => continue,
                    }
                }
                Err(e) => return Err(classify(name, &e)),
            }
        }
        Err(SecretError::Transient {
            name: name.to_owned(),
            reason: "secret created and deleted concurrently".into(),
        })
    }

    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        match self.create(name, value).await? {
            Created::Yes => Ok(true),
            Created::Exists => Ok(false),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        let request = self
            .client
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send();
        match metered(request).await {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(classify(name, &e)),
        }
    }
}

/// Maps an SDK failure to our error classes, keeping only the code (never the message).
fn classify<E: ProvideErrorMetadata>(name: &str, error: &SdkError<E, HttpResponse>) -> SecretError {
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown");
            let status = service.raw().status().as_u16();
            super::classify_code(name.to_owned(), code, status)
        }
        other => super::classify_failure(name, other),
    }
}
