//! Salted SHA-256 and the base64 flavours pseudonyms are written in (docs/rules.md, "Pseudonyms").
//!
//! Invariants: a deterministic hash is always `SHA-256(UTF-8(canonical) ‖ UTF-8(salt))` — the
//! salt is appended with no separator — and its URL-safe rendering is always 43 characters
//! (32 bytes, base64url, no padding).

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha2::{Digest, Sha256};

/// Bytes in a deterministic hash (SHA-256).
pub(crate) const HASH_LEN: usize = 32;

/// Constant Psoxy appends to the salt before fingerprinting it for `X-Psoxy-PII-Salt-Sha256`.
const SALT_FINGERPRINT_SUFFIX: &str = "f33c366c-ae91-4819-b221-f9794ebb8145";

/// Decoder for token bodies. Java's URL decoder accepts optional padding and ignores unused
/// trailing bits; the ciphertext checks downstream reject anything malformed anyway.
const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// `SHA-256(value ‖ salt)`.
pub(crate) fn salted_sha256(value: &str, salt: &str) -> [u8; HASH_LEN] {
    let mut digest = Sha256::new();
    digest.update(value.as_bytes());
    digest.update(salt.as_bytes());
    digest.finalize().into()
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths (a caller
/// must not learn from timing how much of a secret it guessed right).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// base64url without padding, the encoding of every token body.
pub(crate) fn url_safe(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Inverse of [`url_safe`]; `None` when the text is not base64url.
pub(crate) fn from_url_safe(text: &str) -> Option<Vec<u8>> {
    LENIENT_URL_SAFE.decode(text).ok()
}

/// The `X-Psoxy-PII-Salt-Sha256` value: SHA-256(salt ‖ constant), standard base64 without
/// padding, then `/` → `_` and `+` → `.` (so it is header- and URL-safe).
pub(crate) fn salt_fingerprint(salt: &str) -> String {
    let digest = salted_sha256(salt, SALT_FINGERPRINT_SUFFIX);
    STANDARD_NO_PAD
        .encode(digest)
        .chars()
        .map(|c| match c {
            '/' => '_',
            '+' => '.',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_of_value_then_salt() {
        // Independent check: `printf 'testsalt' | sha256sum`.
        let expected = "4edf07edc95b2fdcbcaf2378fd12d8ac212c2aa6e326c59c3e629be3039d6432";
        let got: String = salted_sha256("test", "salt")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn url_safe_round_trips_and_is_43_chars_for_a_hash() {
        let hash = salted_sha256("x", "y");
        let text = url_safe(&hash);
        assert_eq!(text.len(), 43);
        assert_eq!(from_url_safe(&text).as_deref(), Some(&hash[..]));
    }

    #[test]
    fn decoder_rejects_non_url_safe_text() {
        for bad in ["ab+c", "ab/c", "a b", "é"] {
            assert_eq!(from_url_safe(bad), None, "{bad:?} must not decode");
        }
    }

    #[test]
    fn decoder_accepts_padding_like_java() {
        assert_eq!(from_url_safe("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(from_url_safe("YQ").as_deref(), Some(&b"a"[..]));
    }

    #[test]
    fn fingerprint_maps_base64_specials() {
        let fp = salt_fingerprint("salt");
        assert!(!fp.contains(['/', '+', '=']), "{fp}");
        assert_eq!(fp.len(), 43);
    }
}
