//! The pseudonym layer's one error type.
//!
//! Invariant: no variant carries key material, salts, plaintext or token text — a message
//! may end up in a response body or a log line.

/// Why a `p~` token could not be turned back into its original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not of the form `p~<base64url>` with an optional `@domain`.
    Shape,
    /// The body is not base64url.
    Base64,
    /// Too short, or the ciphertext is not whole AES blocks.
    Length,
    /// Decryption or its padding failed (wrong key, or a tampered or foreign token).
    Cipher,
    /// The decrypted bytes are not UTF-8.
    NotUtf8,
    /// The original does not hash back to the token's hash: a forged or altered token.
    Forged,
}

impl std::fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenProblem::Shape => "not a p~ token",
            TokenProblem::Base64 => "token body is not base64url",
            TokenProblem::Length => "token has the wrong length",
            TokenProblem::Cipher => "token does not decrypt with the configured key",
            TokenProblem::NotUtf8 => "token decrypts to bytes that are not UTF-8",
            TokenProblem::Forged => "token's original does not hash to its hash",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymError {
    /// A reversible token (or an encrypted domain or IP) was requested without a key.
    #[error(
        "reversible pseudonyms need an encryption key (PSOXY_ENCRYPTION_KEY), and none is configured"
    )]
    MissingEncryptionKey,
    /// A `p~` token could not be reversed.
    #[error("invalid reversible token: {0}")]
    InvalidToken(TokenProblem),
    /// A configuration value (e.g. `EMAIL_DOMAIN_HANDLING`) is not one of the known names.
    #[error("{setting} must be one of {expected}")]
    InvalidSetting {
        setting: &'static str,
        expected: &'static str,
    },
}
