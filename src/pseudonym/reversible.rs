//! Reversible bytes (docs/rules.md, "Pseudonyms") and their decryption.
//!
//! Reversible bytes = `SHA-256(canonical ‖ salt)` (32 bytes) ‖ AES-256-CBC/PKCS#7 of the
//! UTF-8 original, with IV = the first 16 hash bytes. The AES key is
//! PBKDF2-HMAC-SHA256(password = encryption key, salt = this scheme's salt, 65 536 rounds).
//!
//! Invariants: the key is derived at most once per scheme, on first use (so start-up and
//! configurations without reversible tokens never pay the 65 536 rounds), never printed (no `Debug` on key
//! material), and no error carries key material or plaintext.

use std::sync::{Arc, OnceLock};

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha2::Sha256;

use super::PseudonymError;
use super::error::TokenProblem;
use super::hash::{HASH_LEN, constant_time_eq, salted_sha256};

const PBKDF2_ROUNDS: u32 = 65_536;
const AES_BLOCK: usize = 16;
const IV_LEN: usize = 16;

type Encryptor = cbc::Encryptor<Aes256>;
type Decryptor = cbc::Decryptor<Aes256>;

/// A derived AES-256 key. Deliberately neither `Debug` nor `Display`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AesKey([u8; 32]);

impl AesKey {
    /// PBKDF2-HMAC-SHA256 with the parameters Psoxy uses (65 536 rounds, 256-bit key).
    pub(crate) fn derive(password: &str, salt: &str) -> AesKey {
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password.as_bytes(),
            salt.as_bytes(),
            PBKDF2_ROUNDS,
            &mut key,
        );
        AesKey(key)
    }
}

/// One salt plus an optional password: the main scheme, the IP scheme or the
/// email-domain scheme. Clones share the lazily derived key.
#[derive(Clone)]
pub(crate) struct Scheme {
    salt: String,
    password: Option<String>,
    key: Arc<OnceLock<AesKey>>,
}

impl Scheme {
    pub(crate) fn new(salt: String, password: Option<String>) -> Scheme {
        Scheme {
            salt,
            password,
            key: Arc::default(),
        }
    }

    pub(crate) fn has_key(&self) -> bool {
        self.password.is_some()
    }

    /// The AES key, derived on first use.
    fn key(&self) -> Result<&AesKey, PseudonymError> {
        let password = self
            .password
            .as_deref()
            .ok_or(PseudonymError::MissingEncryptionKey)?;
        Ok(self
            .key
            .get_or_init(|| AesKey::derive(password, &self.salt)))
    }

    /// The deterministic hash of an already canonical value.
    pub(crate) fn hash(&self, canonical: &str) -> [u8; HASH_LEN] {
        salted_sha256(canonical, &self.salt)
    }

    /// Hash of `canonical` followed by the ciphertext of `original`.
    pub(crate) fn reversible(
        &self,
        canonical: &str,
        original: &str,
    ) -> Result<Vec<u8>, PseudonymError> {
        let key = self.key()?;
        let hash = self.hash(canonical);
        let plain = original.as_bytes();
        // PKCS#7 always adds 1..=16 bytes, so the buffer needs room for one more block.
        let padded_len = (plain.len() / AES_BLOCK + 1) * AES_BLOCK;
        let mut out = Vec::with_capacity(HASH_LEN + padded_len);
        out.extend_from_slice(&hash);
        out.extend_from_slice(plain);
        out.resize(HASH_LEN + padded_len, 0);
        let cipher = Encryptor::new(&key.0.into(), iv_of(&hash).into());
        cipher
            .encrypt_padded_mut::<Pkcs7>(&mut out[HASH_LEN..], plain.len())
            .map_err(|_| PseudonymError::InvalidToken(TokenProblem::Cipher))?;
        Ok(out)
    }

    /// Decrypts reversible bytes back to the original: skip the 32 hash bytes, IV =
    /// the first 16 of them. The hash is checked by the caller ([`Scheme::verify`]).
    pub(crate) fn reverse(&self, bytes: &[u8]) -> Result<(String, [u8; HASH_LEN]), PseudonymError> {
        let key = self.key()?;
        let cipher_len = bytes.len().saturating_sub(HASH_LEN);
        if bytes.len() < HASH_LEN + AES_BLOCK || !cipher_len.is_multiple_of(AES_BLOCK) {
            return Err(PseudonymError::InvalidToken(TokenProblem::Length));
        }
        let (hash, ciphertext) = bytes.split_at(HASH_LEN);
        let mut buffer = ciphertext.to_vec();
        let cipher = Decryptor::new(&key.0.into(), iv_of(hash).into());
        let plain = cipher
            .decrypt_padded_mut::<Pkcs7>(&mut buffer)
            .map_err(|_| PseudonymError::InvalidToken(TokenProblem::Cipher))?;
        let original = String::from_utf8(plain.to_vec())
            .map_err(|_| PseudonymError::InvalidToken(TokenProblem::NotUtf8))?;
        let hash = hash
            .first_chunk::<HASH_LEN>()
            .copied()
            .ok_or(PseudonymError::InvalidToken(TokenProblem::Length))?;
        Ok((original, hash))
    }

    /// Whether `hash` (a token's first 32 bytes) is the hash of one of `canonicals`,
    /// compared in constant time. Psoxy does not check this; without it the IV is the
    /// caller's to choose, and "bad padding" versus "decrypted" is a padding oracle that
    /// recovers any original and forges tokens.
    pub(crate) fn verify(&self, hash: &[u8; HASH_LEN], canonicals: &[&str]) -> bool {
        canonicals.iter().fold(false, |found, c| {
            found | constant_time_eq(&self.hash(c), hash)
        })
    }
}

fn iv_of(hash: &[u8]) -> &[u8; IV_LEN] {
    hash.first_chunk::<IV_LEN>().unwrap_or(&[0; IV_LEN])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn scheme() -> Scheme {
        Scheme::new("salt".into(), Some("secret".into()))
    }

    #[test]
    fn key_matches_an_independent_pbkdf2() {
        // python3 -c "import hashlib;print(hashlib.pbkdf2_hmac('sha256',b'secret',b'salt',65536,32).hex())"
        let expected = "7a687b1daaf63cbface7cd89bcb4ae546a1292ec83ffcdf55cb7af7d4fe5618d";
        let key = AesKey::derive("secret", "salt");
        let hex: String = key.0.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn reversible_is_hash_then_whole_blocks() {
        for original in ["", "a", "0123456789abcde", "0123456789abcdef", "é☃"] {
            let bytes = scheme().reversible(original, original).unwrap();
            assert_eq!(&bytes[..HASH_LEN], &scheme().hash(original), "{original:?}");
            let cipher_len = bytes.len() - HASH_LEN;
            assert!(
                cipher_len > original.len() && cipher_len.is_multiple_of(AES_BLOCK),
                "{original:?}"
            );
            assert_eq!(scheme().reverse(&bytes).unwrap().0, original);
        }
    }

    #[test]
    fn hash_uses_canonical_but_ciphertext_keeps_original() {
        let bytes = scheme()
            .reversible("alice@acme.com", "Alice@ACME.com")
            .unwrap();
        assert_eq!(&bytes[..HASH_LEN], &scheme().hash("alice@acme.com"));
        assert_eq!(scheme().reverse(&bytes).unwrap().0, "Alice@ACME.com");
    }

    #[test]
    fn reverse_rejects_bad_lengths_and_wrong_keys() {
        let bytes = scheme().reversible("x", "x").unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("hash only", bytes[..HASH_LEN].to_vec()),
            ("partial block", bytes[..bytes.len() - 1].to_vec()),
            ("empty", Vec::new()),
        ];
        for (what, input) in cases {
            let err = scheme().reverse(&input).unwrap_err();
            assert!(
                matches!(err, PseudonymError::InvalidToken(TokenProblem::Length)),
                "{what}: {err:?}"
            );
        }
        let other = Scheme::new("salt".into(), Some("other".into()));
        assert!(matches!(
            other.reverse(&bytes),
            Err(PseudonymError::InvalidToken(_))
        ));
    }

    #[test]
    fn no_key_means_missing_key_error() {
        let keyless = Scheme::new("salt".into(), None);
        assert!(matches!(
            keyless.reversible("x", "x"),
            Err(PseudonymError::MissingEncryptionKey)
        ));
        assert!(matches!(
            keyless.reverse(&[0; 48]),
            Err(PseudonymError::MissingEncryptionKey)
        ));
    }
}
