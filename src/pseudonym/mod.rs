//! Psoxy v0.4 pseudonyms (docs/rules.md, "Pseudonyms"), byte-identical to Psoxy's.
//!
//! PURE: no I/O. [`Pseudonymizer`] holds the salts and the PBKDF2-derived keys (derived once,
//! in [`Pseudonymizer::new`]) for three schemes — main, IP and email domain — and computes
//! pseudonyms, reversible tokens, IP hashes and the salt fingerprint, and reverses `p~`
//! tokens.
//!
//! Invariants: `hash` is `base64url(SHA-256(canonical ‖ salt))`, 43 characters; a value is
//! hashed as an email only when the whole string is one RFC 2822 mailbox ([`email`]);
//! nothing here prints or returns a salt or key (`Debug` included), and errors never carry
//! plaintext.

mod config;
pub(crate) mod email;
mod error;
mod hash;
mod identity;
pub(crate) mod ip;
mod reverse;
mod reversible;
mod seal;
pub mod url;

pub use config::{EmailCanonicalization, EmailDomainHandling, PseudonymConfig};
pub use error::{PseudonymError, TokenProblem};
pub use hash::constant_time_eq;
pub use identity::Pseudonym;
pub use seal::SEALED_PREFIX;

/// Compiles the email grammar now (a few milliseconds, once per process) instead of on
/// the first email a request pseudonymizes; start-up runs it off the request path.
pub fn warm_up_email_grammar() {
    email::warm_up();
}

use hash::{from_url_safe, url_safe};
use reversible::Scheme;

/// Computes and reverses pseudonyms for one configuration.
#[derive(Clone)]
pub struct Pseudonymizer {
    main: Scheme,
    ip: Scheme,
    domains: Scheme,
    email_canonicalization: EmailCanonicalization,
    email_domain_handling: EmailDomainHandling,
    salt_fingerprint: String,
    sealer: seal::Sealer,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("has_encryption_key", &self.main.has_key())
            .field("email_canonicalization", &self.email_canonicalization)
            .field("email_domain_handling", &self.email_domain_handling)
            .finish_non_exhaustive()
    }
}

impl Pseudonymizer {
    /// Cheap: each AES key (65 536 PBKDF2 rounds) is derived on first use; a scheme whose
    /// salt and password equal the main ones shares the main key.
    pub fn new(config: PseudonymConfig) -> Pseudonymizer {
        let main = Scheme::new(config.salt.clone(), config.encryption_key.clone());
        let ip = Self::sub_scheme(
            &config,
            &main,
            config.salt_ip.as_deref(),
            config.encryption_key_ip.as_deref(),
        );
        let domains = Self::sub_scheme(
            &config,
            &main,
            config.salt_email_domains.as_deref(),
            config.encryption_key_email_domains.as_deref(),
        );
        Pseudonymizer {
            salt_fingerprint: hash::salt_fingerprint(&config.salt),
            sealer: seal::Sealer::new(&config.salt),
            main,
            ip,
            domains,
            email_canonicalization: config.email_canonicalization,
            email_domain_handling: config.email_domain_handling,
        }
    }

    /// A scheme with its own optional salt and password, each falling back to the main one.
    /// As in Psoxy, the PBKDF2 salt is the scheme's own salt.
    fn sub_scheme(
        config: &PseudonymConfig,
        main: &Scheme,
        salt: Option<&str>,
        password: Option<&str>,
    ) -> Scheme {
        let salt = salt.unwrap_or(&config.salt);
        let password = password.or(config.encryption_key.as_deref());
        if salt == config.salt && password == config.encryption_key.as_deref() {
            return main.clone();
        }
        Scheme::new(salt.to_string(), password.map(str::to_owned))
    }

    /// The pseudonym of `text` (a JSON string, or a number as Java prints it); `None` for
    /// a blank string. Errors only when a key is needed (reversible requested, or
    /// `EMAIL_DOMAIN_HANDLING=ENCRYPT` for an email) and none is configured.
    pub fn pseudonymize(
        &self,
        text: &str,
        reversible: bool,
    ) -> Result<Option<Pseudonym>, PseudonymError> {
        if is_java_blank(text) {
            return Ok(None);
        }
        let (canonical, domain) = match email::parse_mailbox(text) {
            Some(mailbox) => (
                email::canonicalize(&mailbox, self.email_canonicalization),
                self.render_domain(mailbox.domain)?,
            ),
            None => (text.to_string(), None),
        };
        // Hashed as Java encodes the string (a lone surrogate as `?`).
        let (canonical, text) = (
            crate::jackson::input::java_utf8(&canonical).into_owned(),
            crate::jackson::input::java_utf8(text),
        );
        let text = text.as_ref();
        let reversible = match reversible {
            true => Some(format!(
                "p~{}",
                url_safe(&self.main.reversible(&canonical, text)?)
            )),
            false => None,
        };
        Ok(Some(Pseudonym {
            hash: url_safe(&self.main.hash(&canonical)),
            domain,
            reversible,
        }))
    }

    /// The domain suffix under the configured handling (`None` under `REDACT`).
    fn render_domain(&self, domain: &str) -> Result<Option<String>, PseudonymError> {
        Ok(match self.email_domain_handling {
            EmailDomainHandling::Preserve => Some(domain.to_string()),
            EmailDomainHandling::Redact => None,
            EmailDomainHandling::Tokenize => {
                Some(format!("h~{}", url_safe(&self.domains.hash(domain))))
            }
            EmailDomainHandling::Encrypt => Some(format!(
                "e~{}",
                url_safe(&self.domains.reversible(domain, domain)?)
            )),
        })
    }

    /// `tokenize` without a regex: `p~` + base64url(reversible bytes of the whole value), hashed
    /// as is (no email canonicalization) and with no domain handling.
    pub fn tokenize(&self, text: &str) -> Result<String, PseudonymError> {
        Ok(format!(
            "p~{}",
            url_safe(&self.main.reversible(text, text)?)
        ))
    }

    /// `hashIp`: `t~` + base64url(SHA-256(canonical ip ‖ ip salt)); `None` when `ip`
    /// is not an IP address.
    pub fn hash_ip(&self, ip: &str) -> Option<String> {
        ip::canonicalize(ip).map(|canonical| format!("t~{}", url_safe(&self.ip.hash(&canonical))))
    }

    /// `encryptIp`: `p~` + reversible bytes of the canonical IP under the IP scheme;
    /// `Ok(None)` when `ip` is not an IP address.
    pub fn encrypt_ip(&self, ip: &str) -> Result<Option<String>, PseudonymError> {
        let Some(canonical) = ip::canonicalize(ip) else {
            return Ok(None);
        };
        Ok(Some(format!(
            "p~{}",
            url_safe(&self.ip.reversible(&canonical, &canonical)?)
        )))
    }

    /// The original behind one `p~…` token, which may carry an `@domain` suffix.
    pub fn reverse(&self, token: &str) -> Result<String, PseudonymError> {
        match reverse::token_at(token, 0) {
            Some(found) if found.end == token.len() => self.decrypt_body(found.body),
            _ => Err(PseudonymError::InvalidToken(TokenProblem::Shape)),
        }
    }

    /// `text` with every `p~` token (and its `@domain` suffix) replaced by its
    /// original. Any token that does not decrypt fails the whole call.
    pub fn reverse_all(&self, text: &str) -> Result<String, PseudonymError> {
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for found in reverse::find_tokens(text) {
            out.push_str(text.get(copied..found.start).unwrap_or(""));
            out.push_str(&self.decrypt_body(found.body)?);
            copied = found.end;
        }
        out.push_str(text.get(copied..).unwrap_or(""));
        Ok(out)
    }

    /// The original of a token body, accepted only when it hashes back to the token's
    /// hash: as a plain value (`tokenize`, `encryptIp`), or in its email canonical form
    /// (`pseudonymize` with `includeReversible`). Every failure is the same kind of error
    /// to the caller (one 409), whatever step failed.
    fn decrypt_body(&self, body: &str) -> Result<String, PseudonymError> {
        let bytes =
            from_url_safe(body).ok_or(PseudonymError::InvalidToken(TokenProblem::Base64))?;
        let (original, hash) = self.main.reverse(&bytes)?;
        let canonical = email::parse_mailbox(&original)
            .map(|mailbox| email::canonicalize(&mailbox, self.email_canonicalization));
        let candidates: Vec<&str> = std::iter::once(original.as_str())
            .chain(canonical.as_deref())
            .collect();
        match self.main.verify(&hash, &candidates) {
            true => Ok(original),
            false => Err(PseudonymError::InvalidToken(TokenProblem::Forged)),
        }
    }

    /// `text` sealed: an opaque `c~` token the caller can hand back but neither read nor
    /// forge (pagination cursors; docs/rules.md, "Sealed cursors").
    pub fn seal(&self, text: &str) -> String {
        self.sealer.seal(text)
    }

    /// The value inside a sealed `c~` token; the same error for every invalid token.
    pub fn unseal(&self, token: &str) -> Result<String, PseudonymError> {
        self.sealer.unseal(token)
    }

    /// The `X-Psoxy-PII-Salt-Sha256` value (docs/rules.md, "Pseudonyms").
    pub fn salt_fingerprint(&self) -> String {
        self.salt_fingerprint.clone()
    }

    /// Whether reversible pseudonyms can be produced.
    pub fn has_encryption_key(&self) -> bool {
        self.main.has_key()
    }
}

/// Java's `StringUtils.isBlank`: empty or only characters `Character.isWhitespace` accepts
/// (which, unlike Rust's `char::is_whitespace`, excludes the no-break spaces and U+0085).
pub fn is_java_blank(text: &str) -> bool {
    text.chars().all(is_java_whitespace)
}

/// Java's `Character.isWhitespace`.
pub fn is_java_whitespace(c: char) -> bool {
    matches!(c,
        '\t'..='\r' | '\u{1c}'..='\u{20}' | '\u{1680}' | '\u{2000}'..='\u{2006}' | '\u{2008}'..='\u{200a}'
        | '\u{2028}' | '\u{2029}' | '\u{205f}' | '\u{3000}')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
