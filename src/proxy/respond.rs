//! Shaping responses: pass-through headers, added headers, gzip, the size guard, and the
//! body of upstream errors (spec §2.9–§2.11).
//!
//! Invariant: an upstream error body reaches the caller only as JSON of at most
//! [`MAX_ERROR_BODY`] bytes with every email address in every string pseudonymized;
//! anything else is replaced by `{"error":"API_ERROR","status":N}`.

use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;

use super::error::{ERROR_HEADER, ProxyError};
use crate::pseudonym::Pseudonymizer;

/// Bodies at least this long are gzipped when the caller accepts gzip.
pub const GZIP_MIN_BYTES: usize = 2048;
/// Lambda's 6 MB response payload limit, less headroom for the JSON envelope and headers.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;
/// Largest upstream error body passed through.
pub const MAX_ERROR_BODY: usize = 16 * 1024;

const PASS_THROUGH: [&str; 7] = [
    "content-type",
    "cache-control",
    "etag",
    "link",
    "expires",
    "last-modified",
    "retry-after",
];

/// Copies the pass-through headers of spec §2.10 from `upstream` into `out`.
pub fn pass_through(upstream: &HeaderMap, out: &mut HeaderMap) {
    for (name, value) in upstream {
        let n = name.as_str();
        let passes = PASS_THROUGH.contains(&n)
            || n.starts_with("x-ratelimit-")
            || n.starts_with("ratelimit-")
            || n == "ratelimit";
        if passes {
            out.append(name.clone(), value.clone());
        }
    }
}

/// Whether `Accept-Encoding` admits gzip (`gzip` or `*` with a non-zero q).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let q_zero = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
}

/// The wire form of a body: gzipped when asked and worthwhile, then the size guard.
#[derive(Debug)]
pub struct Encoded {
    pub body: Vec<u8>,
    pub gzipped: bool,
    pub warn_not_requested: bool,
}

pub fn encode(body: Vec<u8>, wants_gzip: bool) -> Result<Encoded, ProxyError> {
    let too_large = ProxyError::ResponseTooLarge(
        "the response exceeds the 6 MB limit even compressed; request fewer items (lower `limit`)",
    );
    if wants_gzip && body.len() >= GZIP_MIN_BYTES {
        let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
        encoder
            .write_all(&body)
            .map_err(|_| ProxyError::ResponseTooLarge("compression failed"))?;
        let gz = encoder
            .finish()
            .map_err(|_| ProxyError::ResponseTooLarge("compression failed"))?;
        // A binary body travels base64-encoded through Lambda: 4 bytes per 3.
        if gz.len().div_ceil(3) * 4 > MAX_RESPONSE_BYTES {
            return Err(too_large);
        }
        return Ok(Encoded {
            body: gz,
            gzipped: true,
            warn_not_requested: false,
        });
    }
    if body.len() > MAX_RESPONSE_BYTES {
        let hint = match wants_gzip {
            true => too_large,
            false => ProxyError::ResponseTooLarge(
                "the response exceeds the 6 MB limit; send Accept-Encoding: gzip or lower `limit`",
            ),
        };
        return Err(hint);
    }
    Ok(Encoded {
        body,
        gzipped: false,
        warn_not_requested: !wants_gzip,
    })
}

/// Builds a response with `status`, `headers` and the encoded body.
pub fn build(
    status: StatusCode,
    mut headers: HeaderMap,
    encoded: Encoded,
    warn: bool,
) -> Response<Body> {
    if encoded.gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    } else if encoded.warn_not_requested && warn {
        headers.insert(
            HeaderName::from_static("x-psoxy-warning"),
            HeaderValue::from_static("compression-not-requested"),
        );
    }
    headers.remove(header::CONTENT_LENGTH);
    let mut response = Response::new(Body::from(encoded.body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Spec §2.9 divergence: the body to send for an upstream non-2xx answer.
pub fn error_body(status: StatusCode, body: &[u8], pseudonymizer: &Pseudonymizer) -> Vec<u8> {
    let fallback = || {
        serde_json::json!({ "error": "API_ERROR", "status": status.as_u16() })
            .to_string()
            .into_bytes()
    };
    if body.len() > MAX_ERROR_BODY {
        return fallback();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            pseudonymize_emails(&mut value, pseudonymizer);
            serde_json::to_vec(&value).unwrap_or_else(|_| fallback())
        }
        Err(_) => fallback(),
    }
}

/// Marks a response as an upstream error.
pub fn mark_api_error(headers: &mut HeaderMap) {
    headers.insert(ERROR_HEADER, HeaderValue::from_static("API_ERROR"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
}

fn email_pattern() -> &'static regex::Regex {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
        regex::Regex::new(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap()
    })
}

/// Every email address in every string (keys included) replaced by its pseudonym.
pub fn pseudonymize_emails(value: &mut Value, pseudonymizer: &Pseudonymizer) {
    let replace = |text: &str| -> String {
        email_pattern()
            .replace_all(text, |caps: &regex::Captures| {
                let found = caps.get(0).map_or("", |m| m.as_str());
                match pseudonymizer.pseudonymize(found, false) {
                    Ok(Some(p)) => p.url_safe_token(),
                    _ => "[email]".to_owned(),
                }
            })
            .into_owned()
    };
    match value {
        Value::String(text) => *text = replace(text),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| pseudonymize_emails(v, pseudonymizer)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                pseudonymize_emails(&mut v, pseudonymizer);
                map.insert(replace(&key), v);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pseudonym::PseudonymConfig;

    #[test]
    fn accept_encoding_table() {
        let cases = [
            ("gzip", true),
            ("deflate, gzip;q=0.5", true),
            ("GZIP", true),
            ("gzip;q=0", false),
            ("br", false),
            ("*", true),
            ("", false),
        ];
        for (value, expected) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            assert_eq!(accepts_gzip(&headers), expected, "{value:?}");
        }
    }

    #[test]
    fn error_bodies_only_json_small_and_emails_hidden() {
        let p = Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            ..Default::default()
        });
        let status = StatusCode::NOT_FOUND;
        let json = br#"{"message":"no user ana@acme.example here","errors":["bob@x.io"]}"#;
        let out = String::from_utf8(error_body(status, json, &p)).unwrap();
        assert!(
            !out.contains("ana@acme.example") && !out.contains("bob@x.io"),
            "{out}"
        );
        assert!(out.contains("t~") && out.contains("@acme.example"), "{out}");
        let fallback = r#"{"error":"API_ERROR","status":404}"#;
        let html =
            String::from_utf8(error_body(status, b"<html>ana@acme.example</html>", &p)).unwrap();
        assert_eq!(html, fallback);
        let big = format!(r#"{{"m":"{}"}}"#, "a".repeat(MAX_ERROR_BODY));
        assert_eq!(
            String::from_utf8(error_body(status, big.as_bytes(), &p)).unwrap(),
            fallback
        );
    }

    #[test]
    fn gzip_threshold_and_size_guard() {
        let small = encode(vec![b'a'; GZIP_MIN_BYTES - 1], true).unwrap();
        assert!(!small.gzipped && !small.warn_not_requested);
        let big = encode(vec![b'a'; GZIP_MIN_BYTES], true).unwrap();
        assert!(big.gzipped);
        let plain = encode(vec![b'a'; 10], false).unwrap();
        assert!(plain.warn_not_requested);
        let huge = encode(vec![b'a'; MAX_RESPONSE_BYTES + 1], false).unwrap_err();
        assert_eq!(huge.code(), "RESPONSE_TOO_LARGE");
    }
}
