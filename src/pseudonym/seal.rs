//! Sealed values: opaque, authenticated `c~` tokens for values the caller may hand back
//! but must neither read nor forge — pagination cursors, whose contents can carry the sort
//! values of the last item (a title, a name) and which a caller could otherwise write
//! itself to seek by a field the rules refuse (docs/rules.md, "Sealed cursors").
//!
//! PURE. `c~` + base64url(SIV ‖ AES-256-CBC(plaintext)), where SIV = the first 16 bytes of
//! HMAC-SHA256(k_mac, plaintext) and is also the CBC IV. Keys come from the salt:
//! k = HMAC-SHA256(salt, "pseudoproxy sealed cursor v1"), k_mac = HMAC(k, "mac"),
//! k_enc = HMAC(k, "enc"). Sealing is deterministic (the same cursor seals to the same
//! token), needs no encryption key setting, and changes with the salt.
//!
//! Invariant: [`Sealer::unseal`] returns a plaintext only when its MAC matches the SIV
//! (compared in constant time); every other input fails with the same error, so no step
//! of the check can be told from another.

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::hash::{constant_time_eq, from_url_safe, url_safe};
use super::{PseudonymError, TokenProblem};

/// Prefix of a sealed value.
pub const SEALED_PREFIX: &str = "c~";
const SIV_LEN: usize = 16;
const AES_BLOCK: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// Seals and unseals values with keys derived from one salt. Never printed.
#[derive(Clone)]
pub(crate) struct Sealer {
    mac_key: [u8; 32],
    enc_key: [u8; 32],
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    #[allow(clippy::expect_used)] // HMAC takes keys of every length: this never fails
    let mut mac =
        <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Sealer {
    pub(crate) fn new(salt: &str) -> Sealer {
        let root = hmac(salt.as_bytes(), b"pseudoproxy sealed cursor v1");
        Sealer {
            mac_key: hmac(&root, b"mac"),
            enc_key: hmac(&root, b"enc"),
        }
    }

    fn siv(&self, plaintext: &[u8]) -> [u8; SIV_LEN] {
        let full = hmac(&self.mac_key, plaintext);
        let mut siv = [0u8; SIV_LEN];
        siv.copy_from_slice(&full[..SIV_LEN]);
        siv
    }

    /// The sealed token of `plaintext`.
    pub(crate) fn seal(&self, plaintext: &str) -> String {
        let plain = plaintext.as_bytes();
        let siv = self.siv(plain);
        let padded_len = (plain.len() / AES_BLOCK + 1) * AES_BLOCK;
        let mut out = Vec::with_capacity(SIV_LEN + padded_len);
        out.extend_from_slice(&siv);
        out.extend_from_slice(plain);
        out.resize(SIV_LEN + padded_len, 0);
        let cipher = cbc::Encryptor::<Aes256>::new(&self.enc_key.into(), &siv.into());
        // The buffer always has room for the padding block, so this cannot fail.
        let _ = cipher.encrypt_padded_mut::<Pkcs7>(&mut out[SIV_LEN..], plain.len());
        format!("{SEALED_PREFIX}{}", url_safe(&out))
    }

    /// The plaintext of a sealed token; one error for every way a token can be wrong.
    pub(crate) fn unseal(&self, token: &str) -> Result<String, PseudonymError> {
        let invalid = PseudonymError::InvalidToken(TokenProblem::Forged);
        let body = token.strip_prefix(SEALED_PREFIX).ok_or(invalid.clone())?;
        let bytes = from_url_safe(body).ok_or(invalid.clone())?;
        let cipher_len = bytes.len().saturating_sub(SIV_LEN);
        if cipher_len == 0 || !cipher_len.is_multiple_of(AES_BLOCK) {
            return Err(invalid);
        }
        let (siv, ciphertext) = bytes.split_at(SIV_LEN);
        let mut iv = [0u8; SIV_LEN];
        iv.copy_from_slice(siv);
        let mut buffer = ciphertext.to_vec();
        let cipher = cbc::Decryptor::<Aes256>::new(&self.enc_key.into(), &iv.into());
        let plain = cipher
            .decrypt_padded_mut::<Pkcs7>(&mut buffer)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        // Checked whatever the padding said, so a bad padding and a bad MAC look alike.
        let authentic = constant_time_eq(&self.siv(&plain), siv) && !plain.is_empty();
        match (authentic, String::from_utf8(plain)) {
            (true, Ok(text)) => Ok(text),
            _ => Err(invalid),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_is_deterministic() {
        let sealer = Sealer::new("salt");
        for cursor in [
            "eyJpZCI6IjMwMjczNyJ9",
            "_f_MjU=_sa_WzE2NDQyMDI1MDUwMDBd",
            "é ☃",
        ] {
            let sealed = sealer.seal(cursor);
            assert!(sealed.starts_with(SEALED_PREFIX));
            assert!(!sealed.contains(cursor));
            assert_eq!(sealed, sealer.seal(cursor));
            assert_eq!(sealer.unseal(&sealed).unwrap(), cursor);
        }
        assert_ne!(Sealer::new("other").seal("x"), sealer.seal("x"));
        assert!(Sealer::new("other").unseal(&sealer.seal("x")).is_err());
    }

    #[test]
    fn every_altered_byte_is_refused_alike() {
        let sealer = Sealer::new("salt");
        let sealed = sealer.seal(r#"{"id":"1","contentOrder":"name","contentOrderValue":"Ann"}"#);
        let bytes = from_url_safe(&sealed[2..]).unwrap();
        for position in 0..bytes.len() {
            for flip in [1u8, 0x80] {
                let mut altered = bytes.clone();
                altered[position] ^= flip;
                let token = format!("{SEALED_PREFIX}{}", url_safe(&altered));
                assert_eq!(
                    sealer.unseal(&token),
                    Err(PseudonymError::InvalidToken(TokenProblem::Forged)),
                    "byte {position}"
                );
            }
        }
        for bad in [
            "",
            "c~",
            "c~AAAA",
            "x~abc",
            "c~!!!!",
            &sealed[..sealed.len() - 2],
        ] {
            assert!(sealer.unseal(bad).is_err(), "{bad:?}");
        }
    }
}
