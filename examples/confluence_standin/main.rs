//! A fast local Confluence Cloud stand-in for the request-path benchmark, the soak and the
//! tenant-scale export (docs/performance.md, issue 17): `scripts/bench-proxy.sh`,
//! `scripts/soak.sh` and `scripts/export-scale.sh` start it; nothing else uses it.
//!
//! It owns the whole fake site: a generated tenant (`tenant`; 100,000 content items,
//! 5,000 users in 500 groups and 2,000 spaces by default) paged with Confluence's real
//! link shapes (`api`), fixed 2 KB / 60 KB / 6 MB benchmark pages (`bench`), the OAuth
//! token endpoint with rotating refresh tokens and expiring access tokens (`oauth`), an
//! optional rate limit answering 429 with `Retry-After` and the `Beta-RateLimit` headers
//! (`ratelimit`), injected faults, and counters the scripts read (`stats`):
//!
//! - `GET /_standin/stats`: counters, grants, limits, benchmark page sizes;
//! - `GET /_standin/manifest`: every listing `export --all` fetches, with item counts and
//!   the fewest requests at each endpoint's largest `limit`;
//! - `GET /_standin/sample-paths`: request paths over every endpoint (the soak's mix).
//!
//! Invariant: it listens on loopback only.
//!
//! `cargo run --release --example confluence_standin -- --listen 127.0.0.1:9900 --help`

mod api;
mod bench;
mod clock;
mod oauth;
mod ratelimit;
mod stats;
mod tenant;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use axum::serve::ListenerExt as _;
use clap::Parser;
use serde_json::json;

use api::{Answer, Api, SearchLinks};
use oauth::{Bearer, Oauth, OauthConfig};
use ratelimit::Limits;
use stats::{Event, Stats};
use tenant::{Size, Tenant};

#[derive(Debug, Parser)]
#[command(about = "Confluence Cloud stand-in for benchmarks, soaks and export tests")]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:9900")]
    listen: SocketAddr,
    /// Content items (pages and blog posts; one in ten is a blog post).
    #[arg(long, default_value_t = 100_000)]
    items: u64,
    #[arg(long, default_value_t = 5_000)]
    users: u64,
    #[arg(long, default_value_t = 500)]
    groups: u64,
    #[arg(long, default_value_t = 2_000)]
    spaces: u64,
    /// Inline tasks (default: a fifth of the items).
    #[arg(long)]
    tasks: Option<u64>,
    /// The site's cloud id: `/ex/confluence/<id>/wiki/…` (another id is 404).
    #[arg(long, default_value = "acme-cloud-id")]
    cloud_id: String,
    /// Burst limit: API requests a second (0 = none).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Burst size of the rate limit (default: one second of `--rate`).
    #[arg(long)]
    burst: Option<f64>,
    /// Hourly points quota, reported in the `Beta-RateLimit` headers and enforced (1 point
    /// a request plus 1 per object returned; 0 = no quota and no such headers).
    #[arg(long, default_value_t = 10_000_000)]
    points_per_hour: u64,
    /// Every n-th admitted API call answers 500 (an injected fault; 0 = never).
    #[arg(long, default_value_t = 0)]
    fail_every: u64,
    /// Every n-th token call answers 503 without rotating (0 = never).
    #[arg(long, default_value_t = 0)]
    token_fail_every: u64,
    /// Lifetime of the access tokens the token endpoint issues, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl: u64,
    #[arg(long, default_value = "standin-client-id")]
    client_id: String,
    #[arg(long, default_value = "standin-client-secret")]
    client_secret: String,
    /// The token family's first refresh token.
    #[arg(long, default_value = "rt-standin-0")]
    refresh_token: String,
    /// An access token that is always valid (the floor proxy's).
    #[arg(long)]
    static_token: Option<String>,
    /// How content search writes `_links.next`.
    #[arg(long, value_enum, default_value_t = SearchLinks::Cursor)]
    search_links: SearchLinks,
    /// Benchmark pages built at start (comma-separated sizes); others on first request.
    #[arg(long, default_value = "2k,60k,6m")]
    bench_pages: String,
}

struct StandIn {
    api: Api,
    oauth: Oauth,
    limits: Limits,
    stats: Stats,
    fail_every: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "confluence_standin: refusing {}: loopback only",
            args.listen
        );
        return ExitCode::from(2);
    }
    let size = Size {
        items: args.items.max(1),
        users: args.users.max(1),
        groups: args.groups.max(1),
        spaces: args.spaces.max(1),
        tasks: args.tasks.unwrap_or(args.items / 5),
    };
    let tenant = Tenant::new(size);
    let bench = bench::BenchPages::default();
    for label in args.bench_pages.split(',').filter(|l| !l.trim().is_empty()) {
        if bench.page(label.trim(), &tenant).is_none() {
            eprintln!("confluence_standin: --bench-pages: {label:?} is not a size");
            return ExitCode::from(2);
        }
    }
    let stand_in = Arc::new(StandIn {
        api: Api {
            tenant,
            bench,
            links: args.search_links,
            cloud_id: args.cloud_id.clone(),
        },
        oauth: Oauth::new(OauthConfig {
            client_id: args.client_id.clone(),
            client_secret: args.client_secret.clone(),
            refresh_token: args.refresh_token.clone(),
            token_ttl: Duration::from_secs(args.token_ttl),
            static_token: args.static_token.clone(),
            fail_every: args.token_fail_every,
        }),
        limits: Limits::new(
            args.rate,
            args.burst.unwrap_or(args.rate),
            args.points_per_hour,
        ),
        stats: Stats::default(),
        fail_every: args.fail_every,
    });
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("confluence_standin: cannot listen on {}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let listener = listener.tap_io(|tcp| {
        // Small answers must not wait for Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
    });
    println!(
        "confluence_standin listening on http://{} ({} items, {} users, {} groups, {} spaces, \
         {} tasks; rate {}/s; token ttl {} s)",
        args.listen,
        size.items,
        size.users,
        size.groups,
        size.spaces,
        size.tasks,
        args.rate,
        args.token_ttl
    );
    println!("bench pages: {}", stand_in.api.bench.describe());
    let router = axum::Router::new().fallback(move |request: Request<Body>| {
        let stand_in = stand_in.clone();
        async move { stand_in.handle(request).await }
    });
    match axum::serve(listener, router).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("confluence_standin: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}

impl StandIn {
    async fn handle(&self, request: Request<Body>) -> Response<Body> {
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        if let Some(control) = path.strip_prefix("/_standin/") {
            return self.control(control);
        }
        if path == "/oauth/token" {
            if request.method() != Method::POST {
                return json_response(StatusCode::METHOD_NOT_ALLOWED, "{}".to_owned());
            }
            let body = match axum::body::to_bytes(request.into_body(), 64 * 1024).await {
                Ok(body) => body,
                Err(_) => {
                    let text = json!({"error": "invalid_request"}).to_string();
                    return json_response(StatusCode::BAD_REQUEST, text);
                }
            };
            let (status, text) = self.oauth.token_call(&body);
            return json_response(status, text);
        }
        self.api_call(&path, &query, request.headers())
    }

    /// A Confluence API call: token, rate limit, injected fault, then the answer.
    fn api_call(&self, path: &str, query: &str, headers: &HeaderMap) -> Response<Body> {
        self.stats.count(Event::Request);
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let refused = match self.oauth.check(authorization) {
            Bearer::Valid => None,
            Bearer::Expired => Some(Event::Expired),
            Bearer::Unknown => Some(Event::Unknown),
            Bearer::Missing => Some(Event::Missing),
        };
        if let Some(event) = refused {
            self.stats.count(event);
            let text = json!({"code": 401, "message": "Unauthorized"}).to_string();
            return json_response(StatusCode::UNAUTHORIZED, text);
        }
        let decision = self.limits.admit();
        let mut out = HeaderMap::new();
        self.limits.headers(&decision, &mut out);
        if decision.refused.is_some() {
            self.stats.count(Event::RateLimited);
            let text = json!({"message": "Rate limit exceeded"}).to_string();
            return with_headers(json_response(StatusCode::TOO_MANY_REQUESTS, text), out);
        }
        let admitted = self.stats.count(Event::Admitted);
        if self.fail_every > 0 && admitted.is_multiple_of(self.fail_every) {
            self.stats.count(Event::InjectedFault);
            let text =
                json!({"statusCode": 500, "message": "Injected fault (stand-in)"}).to_string();
            return with_headers(json_response(StatusCode::INTERNAL_SERVER_ERROR, text), out);
        }
        let gzip_ok = headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("gzip"));
        let answer = self.api.answer(path, query, gzip_ok);
        self.limits.charge(1 + answer.objects);
        if answer.status == StatusCode::OK {
            self.stats.ok(answer.family);
        } else if answer.status == StatusCode::NOT_FOUND {
            self.stats.count(Event::NotFound);
        } else {
            self.stats.count(Event::BadRequest);
        }
        with_headers(respond(answer), out)
    }

    fn control(&self, what: &str) -> Response<Body> {
        let body = match what {
            "stats" => json!({
                "api": self.stats.to_json(),
                "oauth": self.oauth.stats(),
                "limits": {
                    "rate": self.limits.rate(),
                    "burst": self.limits.burst(),
                    "pointsPerHour": self.limits.points_per_hour()
                },
                "tenant": {
                    "items": self.api.tenant.size().items,
                    "users": self.api.tenant.size().users,
                    "groups": self.api.tenant.size().groups,
                    "spaces": self.api.tenant.size().spaces,
                    "tasks": self.api.tenant.size().tasks
                },
                "bench": self.api.bench.describe(),
                "failEvery": self.fail_every
            }),
            "manifest" => self.api.tenant.manifest(),
            "sample-paths" => json!(self.api.tenant.sample_paths()),
            "health" => json!({"ok": true}),
            _ => {
                let text = json!({"message": "unknown control endpoint"}).to_string();
                return json_response(StatusCode::NOT_FOUND, text);
            }
        };
        json_response(StatusCode::OK, body.to_string())
    }
}

fn json_response(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn with_headers(mut response: Response<Body>, headers: HeaderMap) -> Response<Body> {
    response.headers_mut().extend(headers);
    response
}

fn respond(answer: Answer) -> Response<Body> {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = answer.status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    if answer.gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Some(link) = answer.link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LINK, link);
    }
    response
}
