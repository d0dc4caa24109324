//! Configuration errors. They name the setting and say what is wrong with it, never
//! echoing its value (which may be a secret or a customer's rules).

use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The parameter store failed (transient ones are worth a retry: 503, not 500).
    #[error(transparent)]
    Store(#[from] SecretError),
    /// A setting is present but cannot be used.
    #[error("setting {setting} is invalid: {reason}")]
    Invalid { setting: String, reason: String },
}

impl ConfigError {
    pub fn invalid(setting: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            setting: setting.to_owned(),
            reason: reason.into(),
        }
    }

    /// True when retrying later may succeed (a transient store failure).
    pub fn is_transient(&self) -> bool {
        matches!(self, ConfigError::Store(e) if e.is_transient())
    }
}
