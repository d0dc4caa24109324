//! `pseudoproxy call URL`: one authenticated request to a deployed proxy (SigV4 for a
//! Lambda function URL) or a local `serve` (bearer token), printed for a human.
//!
//! Prints the status, every `X-Psoxy-*` header (sorted), a one-line explanation of an
//! `X-Psoxy-Error` code (the table [`explain`] is the single place these live), then the
//! body — pretty-printed JSON when stdout is a terminal, the exact bytes otherwise.
//! Exit 0 for a 2xx answer, 1 otherwise, 2 when no answer was obtained.

use std::io::{IsTerminal, Read, Write};

use clap::Args;

use super::CliError;
use super::sigv4::caller::{AuthOptions, Caller, parse_url};

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The URL to call (function URL, or a local `serve`).
    pub url: String,
    /// Send `X-Psoxy-Health-Check` (value `deep` also checks the upstream token).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "deep")]
    pub health_check: Option<String>,
    /// Assume this IAM role (ARN) before signing.
    #[arg(long)]
    pub role: Option<String>,
    /// AWS region (default: from a `<id>.lambda-url.<region>.on.aws` host).
    #[arg(long)]
    pub region: Option<String>,
    /// Extra request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "K: V")]
    pub headers: Vec<String>,
    /// Ask for a gzip-compressed answer (`Accept-Encoding: gzip`) and decode it.
    #[arg(long)]
    pub gzip: bool,
    /// Bearer token for a local `serve` started with --auth-token.
    #[arg(
        long,
        visible_alias = "auth-token",
        env = crate::config::names::PSEUDOPROXY_AUTH_TOKEN,
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// One-line explanations of the proxy's `X-Psoxy-Error` codes (docs/proxy.md, "Error catalogue").
pub(super) fn explain(code: &str) -> &'static str {
    match code {
        "HTTPS_REQUIRED" => "the request did not arrive over HTTPS (X-Forwarded-Proto)",
        "UNAUTHORIZED_IP_ADDRESS" => "your IP is not in ALLOWED_DATA_ACCESS_IP_BLOCKS",
        "UNAUTHORIZED_CALLER" => {
            "caller not allowed: wrong/missing bearer token, or IAM principal not in ALLOWED_CALLER_ARNS"
        }
        "INVALID_REQUEST" => "bad X-Psoxy-TargetPath/TargetQuery header, or a body on GET/HEAD",
        "BLOCKED_BY_RULES" => "the rules do not allow this path, query parameter or method",
        "RULES_INVALID" => "the proxy's rules failed to load; fix them (see `rules check`)",
        "CONNECTION_SETUP" => "configuration missing (salt, client id…); the body names it",
        "SOURCE_AUTH_REVOKED" => "the refresh token was rejected: re-run the consent flow (`auth`)",
        "CONFIGURATION_FAILURE" => {
            "token endpoint or secret store unreachable/throttled; transient, retry later"
        }
        "TOKENIZED_REQUEST_PARAMETER_INVALID" => {
            "a reversible p~ token in the path/query is invalid or from another key"
        }
        "CONNECTION_TO_SOURCE" => "the proxy could not connect to the source API",
        "SOURCE_API_READ_TIMEOUT" => "the source API did not answer in time",
        "API_ERROR" => "the source API answered with an error; its status is passed through",
        "SANITIZATION_FAILED" => "the source's answer could not be sanitized, so it was withheld",
        "RESPONSE_TOO_LARGE" => "the answer exceeds the Lambda response limit; lower `limit`",
        _ => "unknown error code (newer proxy version?)",
    }
}

pub(super) fn run(args: CallArgs) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(call(args))
}

async fn call(args: CallArgs) -> Result<(), CliError> {
    let url = parse_url(&args.url).map_err(|e| CliError::Usage(e.to_string()))?;
    let headers = request_headers(&args)?;
    let options = AuthOptions {
        token: args.token.clone(),
        role: args.role.clone(),
        region: args.region.clone(),
    };
    let usage = |e: super::sigv4::caller::CallerError| CliError::Usage(e.to_string());
    let caller = Caller::new(&url, &options, false).await.map_err(usage)?;
    let response = caller.get(&url, &headers).await.map_err(usage)?;
    let status = response.status();
    let mut out = header_report(&response);
    let gzipped = response
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let raw = response
        .bytes()
        .await
        .map_err(|e| CliError::Usage(format!("reading the answer failed: {e}")))?;
    let body = if gzipped { gunzip(&raw)? } else { raw.to_vec() };
    out.push_str(&render_body(&body, std::io::stdout().is_terminal()));
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush());
    match status.is_success() {
        true => Ok(()),
        false => Err(CliError::ChecksFailed(format!("status {status}"))),
    }
}

fn request_headers(args: &CallArgs) -> Result<Vec<(String, String)>, CliError> {
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| CliError::Usage(format!("-H {header:?}: expected `Name: value`")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    if let Some(value) = &args.health_check {
        headers.push(("x-psoxy-health-check".into(), value.clone()));
    }
    if args.gzip {
        headers.push(("accept-encoding".into(), "gzip".into()));
    }
    Ok(headers)
}

/// Status line, the `X-Psoxy-*` headers sorted, and the explanation of an error code.
pub(super) fn header_report(response: &reqwest::Response) -> String {
    let mut lines = vec![format!("status: {}", response.status())];
    let mut psoxy: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-psoxy-"))
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    psoxy.sort();
    for (name, value) in &psoxy {
        lines.push(format!("{name}: {value}"));
        if name == "x-psoxy-error" {
            lines.push(format!("  → {}", explain(value)));
        }
    }
    lines.push(String::new());
    lines.join("\n") + "\n"
}

/// The body for printing: pretty JSON on a terminal, otherwise the bytes as text.
pub(super) fn render_body(body: &[u8], terminal: bool) -> String {
    if terminal && let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        return serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    }
    let mut text = String::from_utf8_lossy(body).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn gunzip(raw: &[u8]) -> Result<Vec<u8>, CliError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .map_err(|e| CliError::Usage(format!("cannot decode the gzip answer: {e}")))?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_code_has_its_own_explanation() {
        let codes = [
            "HTTPS_REQUIRED",
            "UNAUTHORIZED_IP_ADDRESS",
            "UNAUTHORIZED_CALLER",
            "INVALID_REQUEST",
            "BLOCKED_BY_RULES",
            "RULES_INVALID",
            "CONNECTION_SETUP",
            "SOURCE_AUTH_REVOKED",
            "CONFIGURATION_FAILURE",
            "TOKENIZED_REQUEST_PARAMETER_INVALID",
            "CONNECTION_TO_SOURCE",
            "SOURCE_API_READ_TIMEOUT",
            "API_ERROR",
            "SANITIZATION_FAILED",
            "RESPONSE_TOO_LARGE",
        ];
        let unknown = explain("NOT_A_CODE");
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            let text = explain(code);
            assert_ne!(text, unknown, "{code} has no explanation");
            assert!(seen.insert(text), "{code} shares its explanation");
        }
    }

    #[test]
    fn bodies_pretty_only_on_a_terminal() {
        let cases: [(&[u8], bool, &str); 4] = [
            (br#"{"a":1}"#, true, "{\n  \"a\": 1\n}\n"),
            (br#"{"a":1}"#, false, "{\"a\":1}\n"),
            (b"not json", true, "not json\n"),
            (b"", false, ""),
        ];
        for (body, terminal, expected) in cases {
            assert_eq!(render_body(body, terminal), expected, "terminal={terminal}");
        }
    }
}
