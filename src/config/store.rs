//! Which secret store a process uses, and opening it with the deployment's settings.
//!
//! `secrets` knows how to talk to each store but nothing of configuration; this module
//! reads what choosing and opening one needs from the environment (`SECRETS_STORE` for
//! which AWS store, `PSOXY_KMS_KEY_ID` for the key that encrypts writes), so every front
//! door opens stores the same way.

use std::sync::Arc;

use super::Env;
use super::names::{PSOXY_KMS_KEY_ID, SECRETS_STORE};
use crate::secrets::{SecretStore, SecretsManagerStore, SsmStore};

/// The AWS store a deployment keeps its parameters in (`SECRETS_STORE`, Psoxy's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsStore {
    /// `AWS_SSM_PARAMETER_STORE` (the default).
    ParameterStore,
    /// `AWS_SECRETS_MANAGER`.
    SecretsManager,
}

impl AwsStore {
    /// `SECRETS_STORE` read case-insensitively; unset means Parameter Store. An unknown
    /// value is an error (guessing could write secrets where nobody looks for them).
    pub fn from_env(env: &Env) -> Result<AwsStore, String> {
        match env
            .get(SECRETS_STORE)
            .map(|v| v.trim().to_ascii_uppercase())
        {
            None => Ok(AwsStore::ParameterStore),
            Some(v) if v.is_empty() || v == "AWS_SSM_PARAMETER_STORE" => {
                Ok(AwsStore::ParameterStore)
            }
            Some(v) if v == "AWS_SECRETS_MANAGER" => Ok(AwsStore::SecretsManager),
            Some(_) => Err(format!(
                "{SECRETS_STORE} must be AWS_SSM_PARAMETER_STORE or AWS_SECRETS_MANAGER"
            )),
        }
    }

    /// The store, opened from the AWS default chain (honouring `AWS_ENDPOINT_URL` and the
    /// per-service overrides), writes encrypted with `PSOXY_KMS_KEY_ID` when set.
    pub async fn open(self, env: &Env) -> Arc<dyn SecretStore> {
        self.open_with(env.get(PSOXY_KMS_KEY_ID).map(str::to_owned), None)
            .await
    }

    /// The store with an explicit KMS key and region (the CLI's `--kms-key-id`,
    /// `--region`); `None` leaves each to the AWS default chain.
    pub async fn open_with(
        self,
        kms: Option<String>,
        region: Option<&str>,
    ) -> Arc<dyn SecretStore> {
        let config = crate::secrets::aws_config(region).await;
        match self {
            AwsStore::ParameterStore => {
                Arc::new(SsmStore::new(aws_sdk_ssm::Client::new(&config), kms))
            }
            AwsStore::SecretsManager => Arc::new(SecretsManagerStore::new(
                aws_sdk_secretsmanager::Client::new(&config),
                kms,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_store_values_are_psoxys_case_insensitive() {
        let store = |value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = value.map(|v| (SECRETS_STORE, v)).into_iter().collect();
            AwsStore::from_env(&Env::from_pairs(&pairs))
        };
        assert_eq!(store(None), Ok(AwsStore::ParameterStore));
        assert_eq!(
            store(Some("aws_ssm_parameter_store")),
            Ok(AwsStore::ParameterStore)
        );
        assert_eq!(
            store(Some("AWS_SECRETS_MANAGER")),
            Ok(AwsStore::SecretsManager)
        );
        assert_eq!(
            store(Some("Aws_Secrets_Manager ")),
            Ok(AwsStore::SecretsManager)
        );
        assert!(store(Some("vault")).is_err());
    }
}
