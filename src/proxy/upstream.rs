//! The seam to the source API: one HTTP exchange, body read with a hard bound.
//!
//! I/O EDGE. [`Upstream`] is what the pipeline calls; [`ReqwestUpstream`] is the real
//! implementation (rustls, gzip decoding, no redirects — a redirect could carry the
//! bearer token to another host). Tests point it at wiremock on loopback.
//!
//! Invariant: a body is never held beyond [`MAX_UPSTREAM_BODY`] decoded bytes; a larger
//! one is an error, never a truncated success (fail closed).

use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use bytes::{Bytes, BytesMut};

/// Most decoded bytes read from one upstream response (a gzip bomb stops here).
pub const MAX_UPSTREAM_BODY: usize = 32 * 1024 * 1024;

/// One request to the source.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub method: Method,
    /// Absolute URL (base + path + query), already validated by the pipeline.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub timeout: Duration,
}

/// The source's answer, body fully read (bounded) and decoded.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why no answer came back. Messages name no header or body values.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("connect failed: {0}")]
    Connect(String),
    #[error("timed out")]
    Timeout,
    #[error("response body exceeds {MAX_UPSTREAM_BODY} bytes")]
    TooLarge,
    #[error("exchange failed: {0}")]
    Other(String),
}

#[async_trait::async_trait]
pub trait Upstream: Send + Sync + std::fmt::Debug {
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, UpstreamError>;
}

/// The real client.
#[derive(Debug, Clone)]
pub struct ReqwestUpstream {
    client: reqwest::Client,
}

impl ReqwestUpstream {
    pub fn new() -> Result<ReqwestUpstream, UpstreamError> {
        let tls = crate::tls::client_config().map_err(|e| UpstreamError::Other(e.to_string()))?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .gzip(true)
            .build()
            .map_err(|e| UpstreamError::Other(e.to_string()))?;
        Ok(ReqwestUpstream { client })
    }
}

fn classify(error: &reqwest::Error) -> UpstreamError {
    if error.is_timeout() {
        UpstreamError::Timeout
    } else if error.is_connect() {
        UpstreamError::Connect(without_url(error))
    } else {
        UpstreamError::Other(without_url(error))
    }
}

/// reqwest errors print the URL, whose query may hold reversed (plain) values.
fn without_url(error: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    match chain.is_empty() {
        true => "request failed".to_owned(),
        false => chain.join(": "),
    }
}

#[async_trait::async_trait]
impl Upstream for ReqwestUpstream {
    async fn send(&self, request: UpstreamRequest) -> Result<UpstreamResponse, UpstreamError> {
        let mut builder = self
            .client
            .request(request.method, &request.url)
            .headers(request.headers)
            .timeout(request.timeout);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(|e| classify(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > MAX_UPSTREAM_BODY {
                return Err(UpstreamError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(UpstreamResponse {
            status,
            headers,
            body: body.freeze(),
        })
    }
}
