//! Tests of the public pseudonym API. Expected values come from the rules contract's
//! known-answer table or were computed independently with Python (`hashlib`,
//! `cryptography`), never by this code.

mod behaviour;
mod known_answers;
mod properties;
mod psoxy_emails;

use std::sync::LazyLock;

use super::{EmailCanonicalization, EmailDomainHandling, PseudonymConfig, Pseudonymizer};

/// Salt `salt`, key `secret`: the contract's known-answer configuration.
pub(super) static REFERENCE: LazyLock<Pseudonymizer> =
    LazyLock::new(|| Pseudonymizer::new(reference_config()));

pub(super) fn reference_config() -> PseudonymConfig {
    PseudonymConfig {
        salt: "salt".into(),
        encryption_key: Some("secret".into()),
        ..PseudonymConfig::default()
    }
}

pub(super) fn with_email_options(
    canonicalization: EmailCanonicalization,
    domains: EmailDomainHandling,
) -> Pseudonymizer {
    Pseudonymizer::new(PseudonymConfig {
        email_canonicalization: canonicalization,
        email_domain_handling: domains,
        ..reference_config()
    })
}

/// `URL_SAFE_TOKEN` of `text` under `p`.
pub(super) fn token(p: &Pseudonymizer, text: &str, reversible: bool) -> String {
    p.pseudonymize(text, reversible)
        .unwrap()
        .unwrap()
        .url_safe_token()
}
