//! Which secret store a process uses, and opening it with the deployment's settings.
//!
//! `secrets` knows how to talk to each store but nothing of configuration; this module
//! reads what choosing and opening one needs from the environment (`PSOXY_KMS_KEY_ID`
//! for the key that encrypts writes), so every front door opens stores the same way.

use super::Env;
use super::names::PSOXY_KMS_KEY_ID;
use crate::secrets::SsmStore;

/// SSM Parameter Store from the AWS default chain (honouring `AWS_ENDPOINT_URL[_SSM]`),
/// writes encrypted with `PSOXY_KMS_KEY_ID` when set.
pub(crate) async fn ssm(env: &Env) -> SsmStore {
    SsmStore::connect(env.get(PSOXY_KMS_KEY_ID).map(str::to_owned)).await
}
