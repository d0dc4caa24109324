//! The `RULES` parameter: custom rules as plain YAML, base64 YAML, or base64 of gzipped
//! YAML (the forms Psoxy's Terraform writes, the latter to fit SSM's size limit).
//!
//! Detection: a value that (ignoring whitespace) is valid standard base64 is decoded;
//! decoded bytes starting with the gzip magic are gunzipped. Anything else is plain
//! YAML. A rules file is never valid base64 (it has `:` and spaces), so the only
//! ambiguous inputs are tiny strings that are not rules anyway.
//!
//! Invariant: errors never quote the content; decompression is capped (a gzip bomb is
//! an error, not an out-of-memory).

use std::io::Read;

use base64::Engine;

/// Largest decoded rules text accepted.
pub(crate) const MAX_RULES_BYTES: usize = 8 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decodes a `RULES` value to YAML text.
pub(crate) fn decode_rules(value: &str) -> Result<String, String> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    let Ok(bytes) = engine.decode(compact.as_bytes()) else {
        return Ok(value.to_owned());
    };
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(&bytes)?
    } else {
        bytes
    };
    if bytes.len() > MAX_RULES_BYTES {
        return Err(format!("decoded rules exceed {MAX_RULES_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|_| "base64 content is neither gzip nor UTF-8 text".into())
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let limit = (MAX_RULES_BYTES + 1) as u64;
    flate2::read::GzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| "base64 content looks gzipped but does not decompress".to_owned())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const YAML: &str = "allAllowed: false\nendpoints:\n  - pathTemplate: \"/wiki/api/v2/spaces\"\n";

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn the_three_encodings_decode_to_the_same_yaml() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let wrapped = b64
            .encode(YAML)
            .as_bytes()
            .chunks(20)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let cases = [
            ("plain", YAML.to_owned()),
            ("base64", b64.encode(YAML)),
            ("base64 wrapped at 20 columns", wrapped),
            ("base64 gzip", b64.encode(gzip(YAML.as_bytes()))),
        ];
        for (form, input) in cases {
            assert_eq!(decode_rules(&input).as_deref(), Ok(YAML), "{form}");
        }
    }

    #[test]
    fn broken_encodings_are_errors_that_quote_nothing() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut truncated = gzip(YAML.as_bytes());
        truncated.truncate(12);
        let bomb = gzip(&vec![b'a'; MAX_RULES_BYTES + 10]);
        let cases = [
            ("not utf-8", b64.encode([0xff, 0xfe, 0x00, 0x41])),
            ("truncated gzip", b64.encode(truncated)),
            ("gzip bomb", b64.encode(bomb)),
        ];
        for (what, input) in cases {
            let error = decode_rules(&input).expect_err(what);
            assert!(!error.contains("endpoints"), "{what}: {error}");
        }
    }
}
