//! Pseudonymization secrets and options for CLI commands: flags, else environment.
//!
//! Secret values are read from flags or `PSOXY_*` variables and never echoed.

use clap::Args;

use super::CliError;
use crate::config::names;
use crate::pseudonym::{PseudonymConfig, Pseudonymizer};

/// Secrets and options shared by the commands that pseudonymize.
#[derive(Debug, Args)]
pub struct PseudonymArgs {
    /// Salt for pseudonyms (or env PSOXY_SALT).
    #[arg(long, env = names::PSOXY_SALT, hide_env_values = true)]
    pub salt: Option<String>,
    /// Password for reversible tokens (or env PSOXY_ENCRYPTION_KEY).
    #[arg(long, env = names::PSOXY_ENCRYPTION_KEY, hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// STRICT (default) or IGNORE_DOTS.
    #[arg(long, env = names::EMAIL_CANONICALIZATION)]
    pub email_canonicalization: Option<String>,
    /// PRESERVE (default), REDACT, TOKENIZE or ENCRYPT.
    #[arg(long, env = names::EMAIL_DOMAIN_HANDLING)]
    pub email_domain_handling: Option<String>,
}

impl PseudonymArgs {
    /// Build the pseudonymizer; the optional IP and domain secrets come from the
    /// environment (`SALT_IP`, `ENCRYPTION_KEY_IP`, `SALT_EMAIL_DOMAINS`,
    /// `ENCRYPTION_KEY_EMAIL_DOMAINS`) and fall back to the main ones.
    pub fn pseudonymizer(&self) -> Result<Pseudonymizer, CliError> {
        let salt =
            self.salt.clone().filter(|s| !s.is_empty()).ok_or_else(|| {
                CliError::Usage("missing salt: pass --salt or set PSOXY_SALT".into())
            })?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Ok(Pseudonymizer::new(PseudonymConfig {
            salt,
            encryption_key: self.encryption_key.clone().filter(|k| !k.is_empty()),
            salt_ip: env(names::SALT_IP),
            encryption_key_ip: env(names::ENCRYPTION_KEY_IP),
            salt_email_domains: env(names::SALT_EMAIL_DOMAINS),
            encryption_key_email_domains: env(names::ENCRYPTION_KEY_EMAIL_DOMAINS),
            email_canonicalization: parse_setting(
                &self.email_canonicalization,
                names::EMAIL_CANONICALIZATION,
            )?
            .unwrap_or_default(),
            email_domain_handling: parse_setting(
                &self.email_domain_handling,
                names::EMAIL_DOMAIN_HANDLING,
            )?
            .unwrap_or_default(),
        }))
    }
}

/// Parse an optional setting; the error names the setting, never its value.
fn parse_setting<T: std::str::FromStr>(
    value: &Option<String>,
    name: &str,
) -> Result<Option<T>, CliError> {
    value
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| CliError::Usage(format!("invalid {name}")))
}
