//! A slow, rate-limiting Confluence for the export tests (wiremock), and `serve` as a child
//! process in front of it.
//!
//! Every listing has exactly three pages of two items; v2 pages link onwards with both
//! `Link` and `_links.next` (relative to `/wiki`), v1 pages with `_links.next` (relative to
//! the `/wiki` context). The first request for every second page is answered 429 — with
//! `Retry-After: 3` on v2 (above the proxy's optional internal-retry threshold of 2 s, and
//! above the tests' `--max-wait 1`, so the cap is exercised), without it on v1 (jittered
//! backoff) — so both retry paths run.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use pseudoproxy::secrets::{FileStore, SecretStore};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

pub(crate) const TOKEN: &str = "e2e-access-token";
pub(crate) const CLOUD: &str = "c1";
pub(crate) const GROUPS: [&str; 6] = [
    "00000000-0000-4000-8000-000000000001",
    "00000000-0000-4000-8000-000000000002",
    "00000000-0000-4000-8000-000000000003",
    "00000000-0000-4000-8000-000000000004",
    "00000000-0000-4000-8000-000000000005",
    "00000000-0000-4000-8000-000000000006",
];

/// The simulated Confluence.
pub(crate) struct Confluence {
    pub delay: Duration,
    /// Requests seen per page-2 path: odd-numbered ones are throttled, so every run (and
    /// every resumed run) meets a 429 on every listing's second page.
    seen: Mutex<HashMap<String, u32>>,
}

impl Confluence {
    pub(crate) fn new(delay: Duration) -> Self {
        Confluence {
            delay,
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl Confluence {
    fn throttle(&self, path: &str) -> bool {
        let mut seen = self.seen.lock().unwrap();
        let count = seen.entry(path.to_owned()).or_insert(0);
        *count += 1;
        *count % 2 == 1
    }
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

impl Respond for Confluence {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}")) {
            return ResponseTemplate::new(401).set_body_json(json!({"code": 401}));
        }
        let path = request.url.path().to_owned();
        let Some(rest) = path.strip_prefix(&format!("/ex/confluence/{CLOUD}/wiki/")) else {
            return match path.as_str() {
                "/oauth/token/accessible-resources" => ok(
                    self.delay,
                    json!([
                        {"id": CLOUD, "url": "https://e2e.example", "name": "e2e", "scopes": ["read:page:confluence"]}
                    ]),
                    None,
                ),
                _ => ResponseTemplate::new(404),
            };
        };
        let v1 = rest.starts_with("rest/");
        let page: u32 = match v1 {
            true => query(request, "start").map_or(1, |s| s.parse::<u32>().unwrap_or(0) / 2 + 1),
            false => query(request, "cursor")
                .map_or(1, |c| c.trim_start_matches('p').parse().unwrap_or(0)),
        };
        if !(1..=3).contains(&page) {
            return ResponseTemplate::new(400);
        }
        if page == 2 && self.throttle(&path) {
            let response = ResponseTemplate::new(429).set_delay(self.delay);
            return match v1 {
                true => response,
                false => response.insert_header("retry-after", "3"),
            };
        }
        let Some(items) = items(rest, page) else {
            return ResponseTemplate::new(404);
        };
        let (body, link) = paged(rest, page, v1, items);
        ok(self.delay, body, link)
    }
}

fn ok(delay: Duration, body: Value, link: Option<String>) -> ResponseTemplate {
    let response = ResponseTemplate::new(200)
        .set_delay(delay)
        .set_body_raw(body.to_string(), "application/json");
    match link {
        Some(link) => response.insert_header("link", link.as_str()),
        None => response,
    }
}

/// The body and `Link` header of page `page` (1-based) of the listing at `rest`.
fn paged(rest: &str, page: u32, v1: bool, items: Vec<Value>) -> (Value, Option<String>) {
    let base = rest.split('?').next().unwrap_or(rest);
    if v1 {
        let api = base.trim_start_matches("rest/");
        let start = page * 2;
        let next = match api {
            "api/content/search" => {
                format!("/rest/{api}?next=true&start={start}&limit=2&cql=type%3Dpage")
            }
            _ => format!("/rest/{api}?start={start}&limit=2"),
        };
        let mut links = json!({"base": "https://e2e.example/wiki", "context": "/wiki"});
        if page < 3 {
            links["next"] = json!(next);
        }
        let body = json!({"results": items, "start": (page - 1) * 2, "limit": 2, "size": 2, "_links": links});
        return (body, None);
    }
    let next = format!("/wiki/{base}?limit=2&cursor=p{}", page + 1);
    let mut links = json!({"base": "https://e2e.example/wiki"});
    let mut header = None;
    if page < 3 {
        links["next"] = json!(next);
        header = Some(format!(
            "<{next}>; rel=\"next\", <https://e2e.example/wiki>; rel=\"base\""
        ));
    }
    (json!({"results": items, "_links": links}), header)
}

/// Two items per page, unique across pages and listings.
fn items(rest: &str, page: u32) -> Option<Vec<Value>> {
    let segments: Vec<&str> = rest.split('/').collect();
    let n = |i: u32| (page - 1) * 2 + i;
    let list = |f: &dyn Fn(u32) -> Value| Some((1..=2).map(|i| f(n(i))).collect());
    match segments.as_slice() {
        ["api", "v2", "spaces"] => list(
            &|k| json!({"id": format!("{}", 1000 + k), "key": format!("S{k}"), "type": "global", "status": "current"}),
        ),
        ["api", "v2", "tasks"] => {
            list(&|k| json!({"id": format!("{}", 2000 + k), "status": "complete", "pageId": "1"}))
        }
        ["rest", "api", "content", "search"] => list(&|k| {
            let kind = if k % 2 == 1 { "page" } else { "blogpost" };
            json!({"id": format!("{}", 3000 + k), "type": kind, "status": "current", "title": "t"})
        }),
        ["rest", "api", "group"] => list(
            &|k| json!({"type": "group", "name": format!("team-{k}"), "id": GROUPS[k as usize - 1]}),
        ),
        ["rest", "api", "group", group, "membersByGroupId"] => {
            let group = group.to_string();
            list(
                &|k| json!({"type": "known", "accountId": format!("acct-{group}-{k}"), "accountType": "atlassian"}),
            )
        }
        ["api", "v2", "pages" | "blogposts", _, "versions"] => list(
            &|k| json!({"number": 10 - k, "minorEdit": false, "createdAt": "2024-05-06T16:18:03.221Z"}),
        ),
        _ => None,
    }
}

/// A free loopback port (bound, then released for the child to take).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve` in front of `upstream`, with its secret file in `dir`; waits until it accepts.
/// The access token is seeded in Psoxy's shared-token JSON with a far-future expiry.
pub(crate) async fn spawn_serve(upstream: &str, dir: &Path) -> (KillOnDrop, String) {
    spawn_serve_logging(upstream, dir, Stdio::null()).await
}

/// [`spawn_serve`] with its log (stderr) going to `log`.
pub(crate) async fn spawn_serve_logging(
    upstream: &str,
    dir: &Path,
    log: Stdio,
) -> (KillOnDrop, String) {
    let secrets = dir.join("secrets.json");
    let access = json!({"token": TOKEN, "expirationDate": 4_102_444_800_000_u64}).to_string();
    let store = FileStore::new(&secrets);
    for (name, value) in [
        ("PSOXY_SALT", "e2e-salt-0123456789"),
        (
            "PSOXY_ENCRYPTION_KEY",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ),
        ("ACCESS_TOKEN", access.as_str()),
    ] {
        store.put(name, value).await.unwrap();
    }
    let port = free_port();
    let child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_pseudoproxy"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--upstream",
                upstream,
            ])
            .arg("--secrets")
            .arg(&secrets)
            .env_remove("PSOXY_SALT")
            .env_remove("PSEUDOPROXY_AUTH_TOKEN")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("serve did not start on port {port}");
}

/// Kills the child on drop, so a failed assertion never leaves a server running.
pub(crate) struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
