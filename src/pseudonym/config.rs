//! Pseudonymization settings: secrets and the two email options (docs/rules.md, "Pseudonyms").
//!
//! Invariant: `Debug` never prints a salt or key, only whether each is set.

use std::str::FromStr;

use super::PseudonymError;

/// How the local part of an email is canonicalized before hashing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmailCanonicalization {
    /// Lowercase, cut at the first `+` (the default).
    #[default]
    Strict,
    /// As `Strict`, and also drop every `.` of the local part.
    IgnoreDots,
}

impl FromStr for EmailCanonicalization {
    type Err = PseudonymError;

    /// Parses the `EMAIL_CANONICALIZATION` value, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("STRICT") {
            Ok(EmailCanonicalization::Strict)
        } else if s.eq_ignore_ascii_case("IGNORE_DOTS") {
            Ok(EmailCanonicalization::IgnoreDots)
        } else {
            Err(PseudonymError::InvalidSetting {
                setting: "EMAIL_CANONICALIZATION",
                expected: "STRICT or IGNORE_DOTS",
            })
        }
    }
}

/// What follows the `@` of an email pseudonym.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmailDomainHandling {
    /// The domain as written (the default).
    #[default]
    Preserve,
    /// No domain at all.
    Redact,
    /// `h~` + base64url(SHA-256(domain ‖ domain salt)).
    Tokenize,
    /// `e~` + base64url(reversible bytes of the domain, domain key).
    Encrypt,
}

impl FromStr for EmailDomainHandling {
    type Err = PseudonymError;

    /// Parses the `EMAIL_DOMAIN_HANDLING` value, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const CHOICES: [(&str, EmailDomainHandling); 4] = [
            ("PRESERVE", EmailDomainHandling::Preserve),
            ("REDACT", EmailDomainHandling::Redact),
            ("TOKENIZE", EmailDomainHandling::Tokenize),
            ("ENCRYPT", EmailDomainHandling::Encrypt),
        ];
        CHOICES
            .iter()
            .find(|(name, _)| s.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
            .ok_or(PseudonymError::InvalidSetting {
                setting: "EMAIL_DOMAIN_HANDLING",
                expected: "PRESERVE, REDACT, TOKENIZE or ENCRYPT",
            })
    }
}

/// Everything a [`super::Pseudonymizer`] is built from. The optional IP and email-domain
/// secrets fall back to the main salt and key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PseudonymConfig {
    pub salt: String,
    pub encryption_key: Option<String>,
    pub salt_ip: Option<String>,
    pub encryption_key_ip: Option<String>,
    pub salt_email_domains: Option<String>,
    pub encryption_key_email_domains: Option<String>,
    pub email_canonicalization: EmailCanonicalization,
    pub email_domain_handling: EmailDomainHandling,
}

impl std::fmt::Debug for PseudonymConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("PseudonymConfig")
            .field("salt", &"<set>")
            .field("encryption_key", &set(&self.encryption_key))
            .field("salt_ip", &set(&self.salt_ip))
            .field("encryption_key_ip", &set(&self.encryption_key_ip))
            .field("salt_email_domains", &set(&self.salt_email_domains))
            .field(
                "encryption_key_email_domains",
                &set(&self.encryption_key_email_domains),
            )
            .field("email_canonicalization", &self.email_canonicalization)
            .field("email_domain_handling", &self.email_domain_handling)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalization_parses_case_insensitively() {
        let cases = [
            ("STRICT", Some(EmailCanonicalization::Strict)),
            ("strict", Some(EmailCanonicalization::Strict)),
            ("IGNORE_DOTS", Some(EmailCanonicalization::IgnoreDots)),
            ("Ignore_Dots", Some(EmailCanonicalization::IgnoreDots)),
            ("IGNORE-DOTS", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<EmailCanonicalization>().ok(),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            EmailCanonicalization::default(),
            EmailCanonicalization::Strict
        );
    }

    #[test]
    fn domain_handling_parses_case_insensitively() {
        let cases = [
            ("PRESERVE", Some(EmailDomainHandling::Preserve)),
            ("redact", Some(EmailDomainHandling::Redact)),
            ("Tokenize", Some(EmailDomainHandling::Tokenize)),
            ("ENCRYPT", Some(EmailDomainHandling::Encrypt)),
            ("HASH", None),
            (" PRESERVE", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                input.parse::<EmailDomainHandling>().ok(),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            EmailDomainHandling::default(),
            EmailDomainHandling::Preserve
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let config = PseudonymConfig {
            salt: "pepper-salt".into(),
            encryption_key: Some("very-secret-key".into()),
            salt_ip: Some("ip-salt-value".into()),
            ..PseudonymConfig::default()
        };
        let text = format!("{config:?}");
        for secret in ["pepper-salt", "very-secret-key", "ip-salt-value"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("<set>") && text.contains("<unset>"), "{text}");
    }
}
