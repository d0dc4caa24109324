//! AWS SigV4 request signing for Lambda function URLs (`call`, `export`), via `aws-sigv4`.
//!
//! One code path signs every request: [`sign_headers`] takes the method, URL, headers and
//! body, and returns the headers to add (`authorization`, `x-amz-date`, and
//! `x-amz-security-token` for temporary credentials). The known-answer test drives this same
//! function with the AWS test-suite "get-vanilla" vector.
//!
//! Invariant: every header passed in is signed and must be sent unchanged; `host` is always
//! signed, derived from the URL exactly as an HTTP client sends it (port only when not the
//! scheme's default).

pub(super) mod caller;

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

/// Signing failures (bad input, never a panic).
#[derive(Debug, thiserror::Error)]
pub(super) enum SignError {
    #[error("cannot sign the request: {0}")]
    Signing(String),
    #[error("URL has no host: {0}")]
    NoHost(String),
}

/// What a request is signed for.
#[derive(Debug, Clone)]
pub(super) struct SigningScope<'a> {
    pub region: &'a str,
    /// `lambda` for function URLs.
    pub service: &'a str,
    pub time: SystemTime,
}

/// The `host` header value an HTTP client sends for `url`.
pub(super) fn host_header(url: &reqwest::Url) -> Result<String, SignError> {
    let host = url
        .host_str()
        .ok_or_else(|| SignError::NoHost(url.to_string()))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Signs a request; returns the headers to add to it (name, value), lower-case names.
pub(super) fn sign_headers(
    method: &str,
    url: &reqwest::Url,
    headers: &[(String, String)],
    body: &[u8],
    credentials: &Credentials,
    scope: &SigningScope<'_>,
) -> Result<Vec<(String, String)>, SignError> {
    let host = host_header(url)?;
    let mut all: Vec<(&str, &str)> = vec![("host", host.as_str())];
    all.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignError::Signing(e.to_string()))?;
    let signable = SignableRequest::new(
        method,
        url.as_str(),
        all.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SignError::Signing(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params.into())
        .map_err(|e| SignError::Signing(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// The region of a function URL host: `<id>.lambda-url.<region>.on.aws`.
pub(super) fn region_from_host(host: &str) -> Option<String> {
    let rest = host.split_once(".lambda-url.")?.1;
    let region = rest.strip_suffix(".on.aws")?;
    (!region.is_empty() && !region.contains('.')).then(|| region.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// AWS SigV4 test suite, "get-vanilla": GET / on example.amazonaws.com.
    #[test]
    fn get_vanilla_known_answer() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
            "test",
        );
        // 2015-08-30T12:36:00Z
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let scope = SigningScope {
            region: "us-east-1",
            service: "service",
            time,
        };
        let url = reqwest::Url::parse("https://example.amazonaws.com/").unwrap();
        let added = sign_headers("GET", &url, &[], b"", &credentials, &scope).unwrap();
        let get = |name: &str| {
            added
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {name} header in {added:?}"))
        };
        assert_eq!(get("x-amz-date"), "20150830T123600Z");
        assert_eq!(
            get("authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn session_token_is_added_and_signed() {
        let credentials = Credentials::new("AKID", "secret", Some("session".into()), None, "t");
        let scope = SigningScope {
            region: "eu-west-1",
            service: "lambda",
            time: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        };
        let url =
            reqwest::Url::parse("https://abc.lambda-url.eu-west-1.on.aws:8443/x?a=1").unwrap();
        assert_eq!(
            host_header(&url).unwrap(),
            "abc.lambda-url.eu-west-1.on.aws:8443"
        );
        let headers = vec![("x-psoxy-health-check".to_owned(), "deep".to_owned())];
        let added = sign_headers("GET", &url, &headers, b"", &credentials, &scope).unwrap();
        let auth = &added.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.contains("/eu-west-1/lambda/aws4_request"), "{auth}");
        assert!(
            auth.contains(
                "SignedHeaders=host;x-amz-date;x-amz-security-token;x-psoxy-health-check"
            ),
            "{auth}"
        );
        assert!(
            added
                .iter()
                .any(|(k, v)| k == "x-amz-security-token" && v == "session")
        );
    }

    #[test]
    fn regions_from_function_url_hosts() {
        let cases = [
            ("abc123.lambda-url.us-east-1.on.aws", Some("us-east-1")),
            (
                "abc123.lambda-url.eu-central-2.on.aws",
                Some("eu-central-2"),
            ),
            ("127.0.0.1", None),
            ("abc.lambda-url..on.aws", None),
            ("example.com", None),
        ];
        for (host, expected) in cases {
            assert_eq!(region_from_host(host).as_deref(), expected, "host {host}");
        }
    }
}
