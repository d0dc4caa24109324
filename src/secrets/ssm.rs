//! [`SsmStore`]: AWS Systems Manager Parameter Store, the store on Lambda.
//!
//! Configuration comes from aws-config's default chain, which natively honours
//! `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_SSM` (so tests point it at moto on loopback).
//! Writes are `SecureString`, encrypted with the key in `PSOXY_KMS_KEY_ID` when set, else
//! the account's default `aws/ssm` key.
//!
//! Invariants: reads always decrypt; errors carry the parameter name and the AWS error
//! code or failure class only — AWS messages can quote request values, so they are never
//! copied; `AccessDenied` → [`SecretError::AccessDenied`]; throttling, timeouts,
//! connection failures and 5xx → [`SecretError::Transient`]; everything else `Failed`.
//!
//! Batch reads: [`SecretStore::get_many`] asks `GetParameters` for up to ten names per
//! call, all batches at once. IAM denies a whole batch when one of its names is denied
//! (and deployments that grant exact names leave optional names ungranted), so a denied
//! batch is asked again name by name — concurrently, giving each name `get`'s own answer.
//! A cold start therefore waits for at most two round trips in sequence, never one per name.
//!
//! With the `bench-hooks` feature every SDK operation is metered (`secrets::meter`) so
//! the startup measurement can tell network time from our own.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::SystemTime;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::config::http::HttpResponse;
use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssm::types::ParameterType;

use super::meter::metered;
use super::{Parameter, SecretError, SecretStore};

/// `GetParameters` accepts at most this many names per call.
const GET_PARAMETERS_MAX: usize = 10;

/// A parameter store backed by SSM.
#[derive(Clone)]
pub struct SsmStore {
    client: Client,
    kms_key_id: Option<String>,
}

impl std::fmt::Debug for SsmStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsmStore")
            .field("kms_key_id", &self.kms_key_id)
            .finish_non_exhaustive()
    }
}

impl SsmStore {
    /// A store using `client`; writes are encrypted with `kms_key_id` when given.
    pub fn new(client: Client, kms_key_id: Option<String>) -> SsmStore {
        SsmStore { client, kms_key_id }
    }

    /// A store configured from the AWS default chain (credentials, region, endpoint
    /// overrides); writes are encrypted with `kms_key_id` when given.
    pub async fn connect(kms_key_id: Option<String>) -> SsmStore {
        SsmStore::new(Client::new(&super::aws_config(None).await), kms_key_id)
    }

    /// Up to [`GET_PARAMETERS_MAX`] names in one `GetParameters` call.
    async fn get_batch(&self, names: &[String]) -> Vec<Result<Option<Parameter>, SecretError>> {
        let request = self
            .client
            .get_parameters()
            .set_names(Some(names.to_vec()))
            .with_decryption(true)
            .send();
        let output = match metered(request).await {
            Ok(output) => output,
            Err(e) if matches!(classify("", &e), SecretError::AccessDenied { .. }) => {
                return join_all(names.iter().map(|name| self.get(name)).collect()).await;
            }
            Err(e) => return names.iter().map(|name| Err(classify(name, &e))).collect(),
        };
        // Names SSM does not know come back in `invalid_parameters`: absent, as for `get`.
        let found: HashMap<String, Parameter> = output
            .parameters
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| Some((p.name.clone()?, parameter(p)?)))
            .collect();
        names
            .iter()
            .map(|name| Ok(found.get(name).cloned()))
            .collect()
    }

    async fn put_parameter(
        &self,
        name: &str,
        value: &str,
        overwrite: bool,
    ) -> Result<i64, PutError> {
        let output = self
            .client
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(ParameterType::SecureString)
            .set_key_id(self.kms_key_id.clone())
            .overwrite(overwrite)
            .send();
        let output = metered(output).await;
        match output {
            Ok(output) => Ok(output.version()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_already_exists()) =>
            {
                Err(PutError::AlreadyExists)
            }
            Err(e) => Err(PutError::Other(classify(name, &e))),
        }
    }
}

enum PutError {
    AlreadyExists,
    Other(SecretError),
}

impl From<PutError> for SecretError {
    fn from(e: PutError) -> SecretError {
        match e {
            PutError::Other(e) => e,
            // Only reachable with overwrite=true, which SSM never answers this way.
            PutError::AlreadyExists => SecretError::Failed {
                name: String::new(),
                reason: "unexpected ParameterAlreadyExists".into(),
            },
        }
    }
}

#[async_trait::async_trait]
impl SecretStore for SsmStore {
    async fn get(&self, name: &str) -> Result<Option<Parameter>, SecretError> {
        let request = self
            .client
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send();
        let output = match metered(request).await {
            Ok(output) => output,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_not_found()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(classify(name, &e)),
        };
        Ok(output.parameter.and_then(parameter))
    }

    async fn get_many(&self, names: &[String]) -> Vec<Result<Option<Parameter>, SecretError>> {
        let batches = names.chunks(GET_PARAMETERS_MAX);
        let batches = join_all(batches.map(|batch| self.get_batch(batch)).collect()).await;
        batches.into_iter().flatten().collect()
    }

    async fn put(&self, name: &str, value: &str) -> Result<i64, SecretError> {
        Ok(self.put_parameter(name, value, true).await?)
    }

    async fn create_if_absent(&self, name: &str, value: &str) -> Result<bool, SecretError> {
        match self.put_parameter(name, value, false).await {
            Ok(_) => Ok(true),
            Err(PutError::AlreadyExists) => Ok(false),
            Err(PutError::Other(e)) => Err(e),
        }
    }

    async fn delete(&self, name: &str) -> Result<(), SecretError> {
        match metered(self.client.delete_parameter().name(name).send()).await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_parameter_not_found()) =>
            {
                Ok(())
            }
            Err(e) => Err(classify(name, &e)),
        }
    }
}

/// Awaits all `futures` concurrently (on this task: no spawning, so borrowing is fine),
/// returning their outputs in order. For the few dozen SSM reads of a cold start.
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut all_done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Our view of an SDK parameter; `None` without a value.
fn parameter(parameter: aws_sdk_ssm::types::Parameter) -> Option<Parameter> {
    let last_modified = parameter
        .last_modified_date
        .and_then(|d| SystemTime::try_from(d).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Some(Parameter {
        value: parameter.value?,
        version: parameter.version,
        last_modified,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_error_codes_map_to_classes() {
        let cases = [
            ("AccessDeniedException", 400, "denied"),
            ("ThrottlingException", 400, "transient"),
            ("TooManyUpdates", 400, "transient"),
            ("InternalServerError", 500, "transient"),
            ("ServiceUnavailable", 503, "transient"),
            ("SomethingElse", 429, "transient"),
            ("ValidationException", 400, "failed"),
            ("InvalidKeyId", 400, "failed"),
            ("ParameterLimitExceeded", 400, "failed"),
        ];
        for (code, status, expected) in cases {
            let got = match super::super::classify_code("P".into(), code, status) {
                SecretError::AccessDenied { .. } => "denied",
                SecretError::Transient { .. } => "transient",
                SecretError::Failed { .. } => "failed",
            };
            assert_eq!(got, expected, "{code} {status}");
        }
    }
}
