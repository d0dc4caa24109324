//! Shaping responses: pass-through headers (with `Link` protected), added headers, gzip
//! and the size guard (docs/proxy.md, "Responses"). The bodies themselves are made by the
//! pure core (`sanitize::sanitize_response`, `sanitize::error_body`).

use std::io::Write;

use super::error::{ERROR_HEADER, ProxyError};
use crate::sanitize::LinkProtection;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use flate2::Compression;
use flate2::write::GzEncoder;

/// Bodies at least this long are gzipped when the caller accepts gzip.
pub const GZIP_MIN_BYTES: usize = 2048;
/// Lambda's 6 MB response payload limit, less headroom for the JSON envelope and headers.
pub const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024 - 64 * 1024;

const PASS_THROUGH: [&str; 7] = [
    "content-type",
    "cache-control",
    "etag",
    "link",
    "expires",
    "last-modified",
    "retry-after",
];

/// Copies the pass-through headers from `upstream` into `out`; each `Link` value is
/// protected by `links` (dropped when it cannot be).
pub(super) fn pass_through(upstream: &HeaderMap, out: &mut HeaderMap, links: &LinkProtection) {
    for (name, value) in upstream {
        let n = name.as_str();
        let passes = PASS_THROUGH.contains(&n)
            || n.starts_with("x-ratelimit-")
            || n.starts_with("ratelimit-")
            || n == "ratelimit"
            // Atlassian's points-based limits (2026): `Beta-RateLimit`,
            // `Beta-RateLimit-Policy`, `X-Beta-RateLimit-Reason`, `-NearLimit`, `-Reset`.
            || n.starts_with("beta-ratelimit")
            || n.starts_with("x-beta-ratelimit-");
        if !passes {
            continue;
        }
        if name == header::LINK {
            let protected = value
                .to_str()
                .ok()
                .and_then(|text| links.protect_link_header(text))
                .and_then(|text| HeaderValue::from_str(&text).ok());
            if let Some(protected) = protected {
                out.append(name.clone(), protected);
            }
        } else {
            out.append(name.clone(), value.clone());
        }
    }
}

/// Whether `Accept-Encoding` admits gzip (`gzip` or `*` with a non-zero q).
pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
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
pub(super) struct Encoded {
    pub body: Vec<u8>,
    pub gzipped: bool,
    pub warn_not_requested: bool,
}

pub(super) fn encode(body: Vec<u8>, wants_gzip: bool) -> Result<Encoded, ProxyError> {
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
pub(super) fn build(
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

/// Marks a response as an upstream error.
pub(super) fn mark_api_error(headers: &mut HeaderMap) {
    headers.insert(ERROR_HEADER, HeaderValue::from_static("API_ERROR"));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
