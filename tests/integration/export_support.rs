//! Confluences for the export tests (wiremock), and `serve` as a child process in front of
//! one.
//!
//! [`Tenant`]: a generated tenant of any size (thousands of items), paged with Confluence's
//! real link shapes (v2 cursors in `Link` and `_links.next`; v1 `next=true&start=…` for
//! groups and members, `next=true&cursor=…` for the content search), optionally behind a
//! rate limit like Atlassian's (a per-second burst rule answered 429 with `Retry-After`, and
//! a quota announced on every answer with `Beta-RateLimit`), a proxy that stops answering
//! for a while, transient 502s, or the proxy's rules refusal of `next=true` on groups. It
//! speaks the proxy's side of the protocol (bearer token, `X-Psoxy-Error`), so `export`
//! can be pointed at it directly, and it keeps the truth a test compares the export with.
//!
//! [`Confluence`]: a slow, fixed tenant for the run through `serve`. Every listing has
//! exactly three pages of two items; v2 pages link onwards with both
//! `Link` and `_links.next` (relative to `/wiki`), v1 pages with `_links.next` (relative to
//! the `/wiki` context). The first request for every second page is answered 429 — with
//! `Retry-After: 3` on v2 (above the proxy's optional internal-retry threshold of 2 s, and
//! above the tests' `--max-wait 0.1`, so the cap is exercised), without it on v1 (the
//! backoff) — so both retry paths run.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pseudoproxy::secrets::{FileStore, SecretStore};
use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

pub(crate) const TOKEN: &str = "e2e-access-token";
/// The salt `spawn_serve` gives the proxy (a test can compute the pseudonyms it makes).
pub(crate) const SALT: &str = "e2e-salt-0123456789";
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

/// The size of a generated tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TenantShape {
    pub spaces: u32,
    pub tasks: u32,
    pub pages: u32,
    pub blogposts: u32,
    pub groups: u32,
    /// Members of every group.
    pub members: u32,
    /// Versions of every page and blog post.
    pub versions: u32,
}

/// The largest `limit` the stand-in honours (Confluence's v2 maximum).
pub(crate) const MAX_LIMIT: u32 = 250;

/// One listing `export --all` makes of a tenant, with its true size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listing {
    pub key: String,
    pub kind: &'static str,
    pub items: u64,
}

impl TenantShape {
    /// Every listing of `export --all` against this tenant.
    pub(crate) fn listings(&self) -> Vec<Listing> {
        let listing = |key: String, kind: &'static str, items: u32| Listing {
            key,
            kind,
            items: u64::from(items),
        };
        let mut all = vec![
            listing("spaces".into(), "spaces", self.spaces),
            listing("tasks".into(), "tasks", self.tasks),
            listing(
                "content-search".into(),
                "content-search",
                self.pages + self.blogposts,
            ),
            listing("group".into(), "group", self.groups),
            listing("accessible-resources".into(), "accessible-resources", 1),
        ];
        for k in 0..self.pages + self.blogposts {
            let (segment, kind) = match k < self.pages {
                true => ("pages", "pages-ID-versions"),
                false => ("blogposts", "blogposts-ID-versions"),
            };
            let key = format!("{segment}-{}-versions", content_id(k));
            all.push(listing(key, kind, self.versions));
        }
        for k in 0..self.groups {
            let key = format!("group-{}-membersByGroupId", group_id(k));
            all.push(listing(key, "group-ID-membersByGroupId", self.members));
        }
        all
    }

    /// Per kind: (listings, items, pages) for `limit`.
    pub(crate) fn kinds(&self, limit: u32) -> BTreeMap<&'static str, (u64, u64, u64)> {
        let mut kinds = BTreeMap::new();
        for listing in self.listings() {
            let entry = kinds.entry(listing.kind).or_insert((0, 0, 0));
            entry.0 += 1;
            entry.1 += listing.items;
            entry.2 += pages_for(listing.items, limit);
        }
        kinds
    }
}

/// Pages a listing of `items` takes at `limit` (an empty listing is one empty page).
pub(crate) fn pages_for(items: u64, limit: u32) -> u64 {
    let size = u64::from(limit.clamp(1, MAX_LIMIT));
    items.div_ceil(size).max(1)
}

fn content_id(k: u32) -> u32 {
    3_000_000 + k
}

pub(crate) fn group_id(k: u32) -> String {
    format!("00000000-0000-4000-8000-{k:012}")
}

/// A rate limit like Atlassian's: at most `burst` requests admitted in any `burst_window`
/// (the rest answered 429 with `Retry-After`), and a quota of `quota` requests per fixed
/// `quota_window`, announced on every answer (`Beta-RateLimit`, `Beta-RateLimit-Policy`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateLimit {
    pub burst: usize,
    pub burst_window: Duration,
    pub quota: u32,
    pub quota_window: Duration,
}

/// Response headers, in order.
type Headers = Vec<(String, String)>;

/// What the stand-in did, for the tests to compare the export with.
#[derive(Debug, Default)]
pub(crate) struct TenantLog {
    /// Every request, in arrival order (path and query).
    pub seen: Vec<String>,
    /// Answered 429.
    pub refused: u64,
    /// Answered 502 (transient) or 403 (the rules refusal).
    pub failed: u64,
    /// Left without an answer (the proxy was silent).
    pub hung: u64,
    admitted: VecDeque<Instant>,
    quota_window: Option<(Instant, u32)>,
    silent_until: Option<Instant>,
}

/// A generated Confluence tenant behind a stand-in of the proxy.
pub(crate) struct Tenant {
    pub shape: TenantShape,
    pub delay: Duration,
    pub rate: Option<RateLimit>,
    /// After this many requests, answer nothing for this long.
    pub silence: Option<(usize, Duration)>,
    /// Answer every n-th request 502 without an `X-Psoxy-Error` code.
    pub flaky_every: Option<usize>,
    /// Refuse `next=true` on the group listing as the proxy's rules did (403, empty body).
    pub block_group_next: bool,
    pub log: Arc<Mutex<TenantLog>>,
}

impl Tenant {
    pub(crate) fn new(shape: TenantShape) -> Self {
        Tenant {
            shape,
            delay: Duration::ZERO,
            rate: None,
            silence: None,
            flaky_every: None,
            block_group_next: false,
            log: Arc::new(Mutex::new(TenantLog::default())),
        }
    }

    /// Mounts the tenant on a new wiremock server; returns the server and the log.
    pub(crate) async fn start(self) -> (wiremock::MockServer, Arc<Mutex<TenantLog>>) {
        let server = wiremock::MockServer::start().await;
        let log = self.log.clone();
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(self)
            .mount(&server)
            .await;
        (server, log)
    }

    /// The rate-limit headers to add to the answer: `Ok` when the request is admitted,
    /// `Err` when it is refused (a 429, counted).
    fn rate_limit(&self, log: &mut TenantLog, now: Instant) -> Result<Headers, Headers> {
        let Some(rate) = self.rate else {
            return Ok(Vec::new());
        };
        let window = rate.quota_window.as_secs_f64();
        let (start, used) = match log.quota_window {
            Some((start, used)) if now.duration_since(start).as_secs_f64() < window => {
                (start, used)
            }
            _ => (now, 0),
        };
        let reset = (window - now.duration_since(start).as_secs_f64())
            .ceil()
            .max(1.0) as u64;
        let policy = format!(
            "\"standin\";q={};w={}",
            rate.quota,
            rate.quota_window.as_secs()
        );
        let headers = |remaining: u32| {
            vec![
                (
                    "beta-ratelimit".to_owned(),
                    format!("\"standin\";r={remaining};t={reset}"),
                ),
                ("beta-ratelimit-policy".to_owned(), policy.clone()),
            ]
        };
        let refuse = |log: &mut TenantLog, retry_after: u64, remaining: u32, reason: &str| {
            log.refused += 1;
            let mut refused = headers(remaining);
            refused.push(("retry-after".to_owned(), retry_after.to_string()));
            refused.push(("x-beta-ratelimit-reason".to_owned(), reason.to_owned()));
            refused
        };
        if used >= rate.quota {
            return Err(refuse(log, reset, 0, "standin-quota"));
        }
        while log
            .admitted
            .front()
            .is_some_and(|at| now.duration_since(*at) >= rate.burst_window)
        {
            log.admitted.pop_front();
        }
        if log.admitted.len() >= rate.burst {
            let oldest = log.admitted.front().copied().unwrap_or(now);
            let free_in = rate.burst_window.saturating_sub(now.duration_since(oldest));
            let retry_after = free_in.as_secs_f64().ceil().max(1.0) as u64;
            return Err(refuse(log, retry_after, rate.quota - used, "standin-burst"));
        }
        log.admitted.push_back(now);
        log.quota_window = Some((start, used + 1));
        Ok(headers(rate.quota - used - 1))
    }

    /// The page at `rest` (the path after `/wiki/`) for `request`, or `None`.
    fn page(&self, rest: &str, request: &Request) -> Option<(Value, Option<String>)> {
        let s = &self.shape;
        let segments: Vec<&str> = rest.split('/').collect();
        let limit = query(request, "limit")
            .and_then(|l| l.parse::<u32>().ok())
            .unwrap_or(25)
            .clamp(1, MAX_LIMIT);
        let content = s.pages + s.blogposts;
        let (total, shape): (u32, Paging) = match segments.as_slice() {
            ["api", "v2", "spaces"] => (s.spaces, Paging::V2),
            ["api", "v2", "tasks"] => (s.tasks, Paging::V2),
            ["rest", "api", "content", "search"] => (content, Paging::V1Cursor),
            ["rest", "api", "group"] => (s.groups, Paging::V1Start),
            ["rest", "api", "group", group, "membersByGroupId"] => {
                (0..s.groups).find(|k| group_id(*k) == *group)?;
                (s.members, Paging::V1Start)
            }
            ["api", "v2", kind @ ("pages" | "blogposts"), id, "versions"] => {
                let k = id.parse::<u32>().ok()?.checked_sub(content_id(0))?;
                let is_page = k < s.pages;
                if k >= content || is_page != (*kind == "pages") {
                    return None;
                }
                (s.versions, Paging::V2)
            }
            _ => return None,
        };
        let offset: u32 = match shape {
            Paging::V2 => cursor(request, 'o')?,
            Paging::V1Cursor => cursor(request, 'c')?,
            Paging::V1Start => query(request, "start").map_or(Some(0), |s| s.parse().ok())?,
        };
        let end = total.min(offset.saturating_add(limit));
        let items: Vec<Value> = (offset..end).map(|k| item(&segments, k, s)).collect();
        let next = (end < total).then(|| next_link(rest, request, shape, end, limit));
        let base = "https://e2e.example/wiki";
        let mut links = json!({"base": base, "context": "/wiki"});
        if let Some(next) = &next {
            links["next"] = json!(next);
        }
        let body = match shape {
            Paging::V2 => json!({"results": items, "_links": links}),
            _ => json!({
                "results": items, "start": offset, "limit": limit,
                "size": end - offset, "_links": links,
            }),
        };
        let header = match shape {
            Paging::V2 => next.map(|n| format!("<{n}>; rel=\"next\", <{base}>; rel=\"base\"")),
            _ => None,
        };
        Some((body, header))
    }
}

/// How a listing pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paging {
    /// v2: `cursor=o<offset>`, next in `Link` and `_links.next` (`/wiki/api/v2/…`).
    V2,
    /// v1 content search: `next=true&cursor=c<offset>` plus the original query.
    V1Cursor,
    /// v1 groups and members: `next=true&limit=…&start=…`.
    V1Start,
}

/// The offset in a `cursor=<tag><offset>` parameter (0 without one); `None` when malformed.
fn cursor(request: &Request, tag: char) -> Option<u32> {
    match query(request, "cursor") {
        None => Some(0),
        Some(cursor) => cursor.strip_prefix(tag)?.parse().ok(),
    }
}

fn next_link(rest: &str, request: &Request, shape: Paging, offset: u32, limit: u32) -> String {
    match shape {
        Paging::V2 => format!("/wiki/{rest}?limit={limit}&cursor=o{offset}"),
        Paging::V1Start => format!(
            "/{}?next=true&limit={limit}&start={offset}",
            rest.trim_start_matches('/')
        ),
        Paging::V1Cursor => {
            let kept: Vec<&str> = request
                .url
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|pair| {
                    let name = pair.split('=').next().unwrap_or("");
                    !["cursor", "next", "limit", "start"].contains(&name) && !pair.is_empty()
                })
                .collect();
            let mut link = format!("/{rest}?next=true&cursor=c{offset}&limit={limit}");
            for pair in kept {
                link.push('&');
                link.push_str(pair);
            }
            link
        }
    }
}

/// Item `k` of the listing at `segments`.
fn item(segments: &[&str], k: u32, shape: &TenantShape) -> Value {
    match segments {
        [_, _, "spaces"] => json!({
            "id": format!("{}", 1_000_000 + k), "key": format!("S{k}"),
            "type": "global", "status": "current",
        }),
        [_, _, "tasks"] => json!({
            "id": format!("{}", 2_000_000 + k), "status": "complete", "pageId": "1",
        }),
        [_, _, "content", "search"] => {
            let kind = if k < shape.pages { "page" } else { "blogpost" };
            json!({"id": format!("{}", content_id(k)), "type": kind, "status": "current", "title": "t"})
        }
        [_, _, "group"] => json!({"type": "group", "name": format!("team-{k}"), "id": group_id(k)}),
        [_, _, "group", group, _] => json!({
            "type": "known", "accountId": format!("acct-{group}-{k}"), "accountType": "atlassian",
        }),
        _ => json!({"number": k + 1, "minorEdit": false, "createdAt": "2024-05-06T16:18:03.221Z"}),
    }
}

impl Respond for Tenant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut log = self.log.lock().unwrap();
        let path = request.url.path().to_owned();
        let seen = match request.url.query() {
            Some(query) => format!("{path}?{query}"),
            None => path.clone(),
        };
        log.seen.push(seen);
        if let Some((after, silence)) = self.silence
            && log.seen.len() == after
        {
            log.silent_until = Some(now + silence);
        }
        if log.silent_until.is_some_and(|until| now < until) {
            log.hung += 1;
            return ResponseTemplate::new(200).set_delay(Duration::from_secs(60));
        }
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if auth != Some(&format!("Bearer {TOKEN}")) {
            return ResponseTemplate::new(401)
                .insert_header("x-psoxy-error", "UNAUTHORIZED_CALLER");
        }
        if self
            .flaky_every
            .is_some_and(|n| log.seen.len().is_multiple_of(n))
        {
            log.failed += 1;
            return ResponseTemplate::new(502).set_delay(self.delay);
        }
        let with = |status: u16, headers: &Headers| {
            let mut response = ResponseTemplate::new(status).set_delay(self.delay);
            for (name, value) in headers {
                response = response.insert_header(name.as_str(), value.as_str());
            }
            response
        };
        let headers = match self.rate_limit(&mut log, now) {
            Ok(headers) => headers,
            Err(refused) => return with(429, &refused),
        };
        let answer = |status: u16| with(status, &headers);
        if path == "/oauth/token/accessible-resources" {
            let sites = json!([{"id": CLOUD, "url": "https://e2e.example", "name": "e2e"}]);
            return answer(200).set_body_raw(sites.to_string(), "application/json");
        }
        let Some(rest) = path.strip_prefix(&format!("/ex/confluence/{CLOUD}/wiki/")) else {
            return answer(404);
        };
        if self.block_group_next && rest == "rest/api/group" && query(request, "next").is_some() {
            log.failed += 1;
            return answer(403).insert_header("x-psoxy-error", "BLOCKED_BY_RULES");
        }
        match self.page(rest, request) {
            Some((body, link)) => {
                let response = answer(200).set_body_raw(body.to_string(), "application/json");
                match link {
                    Some(link) => response.insert_header("link", link.as_str()),
                    None => response,
                }
            }
            None => answer(404)
                .insert_header("x-psoxy-error", "API_ERROR")
                .set_body_json(json!({"message": "No such listing"})),
        }
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
        ("PSOXY_SALT", SALT),
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
