//! The floor proxy: the least any JSON-rewriting proxy does, on the same HTTP stack as
//! `pseudoproxy serve` — receive a request (axum/hyper, as `serve`), call the upstream with
//! a bearer token through the proxy's own upstream client (`ReqwestUpstream`: reqwest,
//! rustls, gzip decoding, bounded body), parse the whole body into a `serde_json::Value`,
//! serialize it again, gzip it when the caller accepts gzip and it is at least 2 KB (the
//! rule and level `serve` uses), and answer, with `serve`'s allocator (mimalloc). No rules,
//! no sanitizing, no token refresh, no audit line: what `scripts/bench-proxy.sh` compares
//! `serve` against (docs/performance.md, issue 17).
//!
//! `/wiki/…` paths are sent as `/ex/confluence/<cloud id>/wiki/…`, as `serve --cloud-id`
//! does. Loopback only.
//!
//! `cargo run --release --example floor_proxy -- --upstream http://127.0.0.1:9900 --token T`

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use bytes::Bytes;
use clap::Parser;
use flate2::Compression;
use flate2::write::GzEncoder;
use pseudoproxy::proxy::{GZIP_MIN_BYTES, ReqwestUpstream, Upstream, UpstreamRequest};

/// The allocator `pseudoproxy` itself uses (src/main.rs), so that the comparison measures
/// what `serve` does beyond the floor, not a difference of allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "The floor a JSON-rewriting proxy cannot go below (benchmarks only)")]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Base URL of the Confluence-shaped upstream.
    #[arg(long)]
    upstream: String,
    /// Confluence cloud id: `/wiki/...` is sent as `/ex/confluence/<id>/wiki/...`.
    #[arg(long, default_value = "acme-cloud-id")]
    cloud_id: String,
    /// Bearer token sent upstream.
    #[arg(long)]
    token: String,
    /// Never gzip the answer.
    #[arg(long)]
    no_gzip: bool,
}

struct Floor {
    upstream: ReqwestUpstream,
    base: String,
    site: String,
    bearer: HeaderValue,
    gzip: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!("floor_proxy: refusing {}: loopback only", args.listen);
        return ExitCode::from(2);
    }
    let upstream = match ReqwestUpstream::new() {
        Ok(upstream) => upstream,
        Err(e) => {
            eprintln!("floor_proxy: cannot build the upstream client: {e}");
            return ExitCode::from(2);
        }
    };
    let Ok(bearer) = HeaderValue::from_str(&format!("Bearer {}", args.token)) else {
        eprintln!("floor_proxy: --token is not a valid header value");
        return ExitCode::from(2);
    };
    let floor = Arc::new(Floor {
        upstream,
        base: args.upstream.trim_end_matches('/').to_owned(),
        site: format!("/ex/confluence/{}", args.cloud_id),
        bearer,
        gzip: !args.no_gzip,
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("floor_proxy: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    println!(
        "floor_proxy listening on http://{} (upstream {})",
        args.listen, floor.base
    );
    let router = axum::Router::new().fallback(move |request: Request<Body>| {
        let floor = floor.clone();
        async move { floor.handle(request).await }
    });
    match axum::serve(listener, router).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("floor_proxy: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

impl Floor {
    async fn handle(&self, request: Request<Body>) -> Response<Body> {
        let path = request.uri().path();
        let target = match path.starts_with("/wiki/") {
            true => format!("{}{path}", self.site),
            false => path.to_owned(),
        };
        let url = match request.uri().query() {
            Some(query) => format!("{}{target}?{query}", self.base),
            None => format!("{}{target}", self.base),
        };
        let wants_gzip = self.gzip && accepts_gzip(request.headers());
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, self.bearer.clone());
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let sent = self
            .upstream
            .send(UpstreamRequest {
                method: Method::GET,
                url,
                headers,
                body: None,
                timeout: Duration::from_secs(60),
            })
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(e) => return text(StatusCode::BAD_GATEWAY, format!("upstream: {e}")),
        };
        if !answer.status.is_success() {
            return text(answer.status, "upstream error".to_owned());
        }
        // The floor's work: the whole body parsed, then written again.
        let value: serde_json::Value = match serde_json::from_slice(&answer.body) {
            Ok(value) => value,
            Err(_) => return text(StatusCode::BAD_GATEWAY, "upstream body is not JSON".into()),
        };
        let body = match serde_json::to_vec(&value) {
            Ok(body) => body,
            Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "cannot write".into()),
        };
        let (body, gzipped) = match wants_gzip && body.len() >= GZIP_MIN_BYTES {
            true => match gzip(&body) {
                Some(gz) => (gz, true),
                None => (body, false),
            },
            false => (body, false),
        };
        let mut response = Response::new(Body::from(Bytes::from(body)));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if gzipped {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    }
}

/// Whether `Accept-Encoding` admits gzip (`gzip` or `*` with a non-zero q): the reading
/// of `serve` (`src/proxy/respond.rs`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
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

/// `body` gzipped at the level `serve` uses (`Compression::fast()`).
fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn text(status: StatusCode, message: String) -> Response<Body> {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response
}
