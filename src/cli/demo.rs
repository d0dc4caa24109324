//! `serve --demo`: a built-in Confluence simulator and a throw-away local secret file.
//!
//! The simulator serves the project's golden example responses (embedded, so the binary
//! works anywhere) on a loopback port. A request is matched to an example by its path —
//! with any cloud id — and its page marker (`cursor` for v2, `start` for v1, compared
//! percent-decoded; absent = first page); so following `_links.next` of page 1 yields
//! page 2. It insists on the demo bearer token, as Confluence would.
//!
//! Invariant: loopback only; the demo salt is random per demo directory, never a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use serde::Deserialize;

use super::CliError;
use crate::config::names;
use crate::secrets::{FileStore, SecretStore};

/// The bearer token the simulator expects and the demo secret file holds.
pub(super) const DEMO_ACCESS_TOKEN: &str = "demo-access-token";
/// The cloud id the demo configures, so `/wiki/...` short paths work.
pub(super) const DEMO_CLOUD_ID: &str = "acme-cloud-id";

const MANIFEST: &str = include_str!("../../example-api-responses/examples.yaml");

macro_rules! example {
    ($name:literal) => {
        (
            concat!("original/", $name),
            include_str!(concat!("../../example-api-responses/original/", $name)),
        )
    };
}

/// Every original response, by its manifest path.
const ORIGINALS: &[(&str, &str)] = &[
    example!("accessible-resources.json"),
    example!("attachment-versions-page1.json"),
    example!("attachment-versions-page2.json"),
    example!("blogpost-versions-page1.json"),
    example!("blogpost-versions-page2.json"),
    example!("content-search-page1.json"),
    example!("content-search-page2.json"),
    example!("content-search-expanded.json"),
    example!("custom-content-versions-page1.json"),
    example!("custom-content-versions-page2.json"),
    example!("footer-comment-versions-page1.json"),
    example!("footer-comment-versions-page2.json"),
    example!("group-members-page1.json"),
    example!("group-members-page2.json"),
    example!("groups-page1.json"),
    example!("groups-page2.json"),
    example!("inline-comment-versions-page1.json"),
    example!("inline-comment-versions-page2.json"),
    example!("page-versions-page1.json"),
    example!("page-versions-page2.json"),
    example!("spaces-page1.json"),
    example!("spaces-page2.json"),
    example!("tasks-page1.json"),
    example!("tasks-page2.json"),
];

#[derive(Deserialize)]
struct Manifest {
    /// The salt the manifest's sealed cursors were sealed with.
    salt: String,
    examples: Vec<ManifestExample>,
}

#[derive(Deserialize)]
struct ManifestExample {
    url: String,
    original: String,
}

/// One page the simulator can serve.
#[derive(Debug, Clone)]
pub(super) struct Page {
    path: String,
    marker: Option<String>,
    body: &'static str,
}

/// The pages of the embedded examples.
pub(super) fn pages() -> Result<Vec<Page>, CliError> {
    let manifest: Manifest = serde_saphyr::from_str(MANIFEST)
        .map_err(|e| CliError::Usage(format!("embedded examples manifest: {e}")))?;
    // Page 2 is requested with page 1's cursor as the proxy seals it; the source received
    // the cursor as it issued it, so the simulator files the page under the unsealed one.
    let sealer = crate::pseudonym::Pseudonymizer::new(crate::pseudonym::PseudonymConfig {
        salt: manifest.salt.clone(),
        ..Default::default()
    });
    let mut pages = Vec::new();
    for example in manifest.examples {
        let Some((_, body)) = ORIGINALS.iter().find(|(name, _)| *name == example.original) else {
            return Err(CliError::Usage(format!(
                "embedded example {} missing",
                example.original
            )));
        };
        let (path, query) = example.url.split_once('?').unwrap_or((&example.url, ""));
        let marker = page_marker(query).map(|marker| match marker.starts_with("c~") {
            true => sealer.unseal(&marker).unwrap_or(marker),
            false => marker,
        });
        pages.push(Page {
            path: normalize_path(path),
            marker,
            body,
        });
    }
    Ok(pages)
}

/// `/ex/confluence/<any id>/…` → `/ex/confluence/*/…`.
fn normalize_path(path: &str) -> String {
    match path
        .strip_prefix("/ex/confluence/")
        .and_then(|rest| rest.split_once('/'))
    {
        Some((_, rest)) => format!("/ex/confluence/*/{rest}"),
        None => path.to_owned(),
    }
}

/// The page marker of a query: `cursor` (v2) or `start` (v1, `0` = first page).
fn page_marker(query: &str) -> Option<String> {
    let mut start = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "cursor" => return Some(percent_decode(value)),
            "start" if value != "0" => start = Some(format!("start={value}")),
            _ => {}
        }
    }
    start
}

fn percent_decode(text: &str) -> String {
    crate::percent::decode_lossy(text, crate::percent::Plus::IsPlus)
}

/// The simulator's answer to one request.
pub(super) fn answer(pages: &[Page], request: &Request<Body>) -> Response<Body> {
    let expected = format!("Bearer {DEMO_ACCESS_TOKEN}");
    let authorized = request
        .headers()
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    let (status, body) = match authorized {
        false => (
            StatusCode::UNAUTHORIZED,
            r#"{"code":401,"message":"Unauthorized"}"#,
        ),
        true => {
            let path = normalize_path(request.uri().path());
            let marker = page_marker(request.uri().query().unwrap_or(""));
            match pages.iter().find(|p| p.path == path && p.marker == marker) {
                Some(page) => (StatusCode::OK, page.body),
                None => match empty_listing(&path, marker.is_none()) {
                    Some(body) => (StatusCode::OK, body),
                    None => (
                        StatusCode::NOT_FOUND,
                        r#"{"statusCode":404,"message":"No example for this request in the demo"}"#,
                    ),
                },
            }
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// An empty first page for a per-id listing the examples do not cover (the demo's other
/// pages, blog posts and groups have no recorded history), so `export --all` against the
/// demo follows every discovered id without 404s.
fn empty_listing(path: &str, first_page: bool) -> Option<&'static str> {
    let rest = path.strip_prefix("/ex/confluence/*/wiki/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["api", "v2", _, _, "versions"] if first_page => Some(r#"{"results":[],"_links":{}}"#),
        ["rest", "api", "group", _, "membersByGroupId"] if first_page => {
            Some(r#"{"results":[],"start":0,"limit":0,"size":0,"_links":{}}"#)
        }
        _ => None,
    }
}

/// Starts the simulator on a free loopback port; returns its address.
pub(super) async fn start_simulator() -> Result<SocketAddr, CliError> {
    let pages = std::sync::Arc::new(pages()?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CliError::Usage(format!("cannot start the demo simulator: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Usage(format!("cannot start the demo simulator: {e}")))?;
    let router = axum::Router::new().fallback(move |request: Request<Body>| {
        let pages = pages.clone();
        async move { answer(&pages, &request) }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "demo simulator stopped");
        }
    });
    Ok(addr)
}

/// Creates (once) the demo's local secret file `dir/secrets.json` — the same file store
/// `serve --secrets FILE` uses (mode 0600, atomic writes) — with a random salt, a random
/// encryption key and the simulator's access token.
pub(super) async fn ensure_demo_secrets(dir: &Path) -> Result<PathBuf, CliError> {
    let path = dir.join("secrets.json");
    let io = |e: std::io::Error| CliError::Usage(format!("cannot create {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let store = FileStore::new(&path);
    let random_hex = || -> String {
        (0..32)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect()
    };
    let failed = |e: crate::secrets::SecretError| CliError::Usage(e.to_string());
    // create_if_absent keeps an existing demo's salt, so its pseudonyms stay stable.
    store
        .create_if_absent(names::PSOXY_SALT, &random_hex())
        .await
        .map_err(failed)?;
    store
        .create_if_absent(names::PSOXY_ENCRYPTION_KEY, &random_hex())
        .await
        .map_err(failed)?;
    store
        .create_if_absent(names::ACCESS_TOKEN, DEMO_ACCESS_TOKEN)
        .await
        .map_err(failed)?;
    Ok(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn get(pages: &[Page], uri: &str, token: &str) -> (StatusCode, String) {
        let request = Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = answer(pages, &request);
        let status = response.status();
        let body = futures_body(response);
        (status, body)
    }

    fn futures_body(response: Response<Body>) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn every_page_one_next_link_leads_to_another_page() {
        let pages = pages().unwrap();
        assert_eq!(
            pages.len(),
            ORIGINALS.len(),
            "every original is in the manifest"
        );
        let base = "/ex/confluence/acme-cloud-id";
        let (status, first) = get(
            &pages,
            &format!("{base}/wiki/api/v2/spaces?limit=3"),
            DEMO_ACCESS_TOKEN,
        );
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&first).unwrap();
        let next = json["_links"]["next"].as_str().unwrap();
        let (status, second) = get(&pages, &format!("{base}{next}"), DEMO_ACCESS_TOKEN);
        assert_eq!(status, StatusCode::OK);
        assert_ne!(first, second);
        let (status, _) = get(&pages, &format!("{base}/wiki/api/v2/spaces"), "wrong");
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = get(
            &pages,
            &format!("{base}/wiki/api/v2/nothing"),
            DEMO_ACCESS_TOKEN,
        );
        assert_eq!(status, StatusCode::NOT_FOUND);
        for (uri, expected) in [
            ("/wiki/api/v2/pages/65540/versions?limit=5", StatusCode::OK),
            (
                "/wiki/rest/api/group/x-1/membersByGroupId?limit=5",
                StatusCode::OK,
            ),
            (
                "/wiki/api/v2/pages/65540/versions?cursor=abc",
                StatusCode::NOT_FOUND,
            ),
            ("/wiki/api/v2/pages/65540/body", StatusCode::NOT_FOUND),
        ] {
            let (status, _) = get(&pages, &format!("{base}{uri}"), DEMO_ACCESS_TOKEN);
            assert_eq!(status, expected, "{uri}");
        }
    }
}
