//! The Confluence REST surface of the stand-in: routes a request path to a listing of the
//! tenant (or to a fixed benchmark page) and pages it the way Confluence Cloud does.
//!
//! - v2 (`/wiki/api/v2/…`): `limit` (default 25, at most 250) and an opaque `cursor`; the
//!   next page is `_links.next` (`/wiki/api/v2/…?…&cursor=…`) and the `Link` header.
//! - v1 content search: `start`/`limit` (at most 200 with expansions), next page
//!   `/rest/api/content/search?next=true&cursor=…&…&limit=…&start=…` (relative to
//!   `/wiki`), or `next=true&…&limit=…&start=…` with `--search-links start`.
//! - v1 groups and group members: `/rest/api/group…?next=true&limit=…&start=…` (at most
//!   200), `prev=true&…` for `_links.prev`.
//!
//! A `limit` above the maximum is silently capped, as Confluence does; the caller's
//! other query parameters are echoed in the links.

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::bench::BenchPages;
use crate::tenant::{
    ContentFilter, DEFAULT_LIMIT, GROUP_MAX, Kind, Listing, SEARCH_MAX, SITE, Tenant, V2_MAX,
};

/// How content search writes its next link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SearchLinks {
    /// `next=true&cursor=…&limit=…&start=…` (what Confluence Cloud sends today).
    Cursor,
    /// `next=true&limit=…&start=…`.
    Start,
}

/// One answer, before the rate-limit headers.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    pub(crate) gzipped: bool,
    /// The `Link` header (v2 lists).
    pub(crate) link: Option<String>,
    /// Endpoint family, for the counters.
    pub(crate) family: &'static str,
    /// Objects returned (points cost).
    pub(crate) objects: u64,
}

pub(crate) struct Api {
    pub(crate) tenant: Tenant,
    pub(crate) bench: BenchPages,
    pub(crate) links: SearchLinks,
    pub(crate) cloud_id: String,
}

/// The query's pairs, raw (as received) and decoded.
struct Params<'a> {
    pairs: Vec<(String, &'a str)>,
}

impl<'a> Params<'a> {
    fn parse(query: &'a str) -> Params<'a> {
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name);
                (decode(name), pair)
            })
            .collect();
        Params { pairs }
    }

    /// The decoded value of the first `name` parameter.
    fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, raw)| decode(raw.split_once('=').map_or("", |(_, v)| v)))
    }

    fn number(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// `limit`, defaulted and capped.
    fn limit(&self, max: u64) -> u64 {
        self.number("limit").unwrap_or(DEFAULT_LIMIT).clamp(1, max)
    }

    /// The raw pairs except `skip`, with `limit` (when given) set to `limit`.
    fn echo(&self, skip: &[&str], limit: u64) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(name, _)| !skip.contains(&name.as_str()))
            .map(|(name, raw)| match name.as_str() {
                "limit" => format!("limit={limit}"),
                _ => (*raw).to_owned(),
            })
            .collect()
    }
}

/// Percent-decoding of a query component (`+` is a space); bad escapes are kept.
fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_pair) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(pair).ok()?;
    u8::from_str_radix(text, 16).ok()
}

/// The opaque cursor of a listing offset: base64url of `{"o":N}` (what Confluence's
/// cursors look like from outside).
fn encode_cursor(offset: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{{\"o\":{offset}}}"))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("{\"o\":")?
        .strip_suffix('}')?
        .parse()
        .ok()
}

fn json_text(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn answer(status: StatusCode, body: String, family: &'static str, objects: u64) -> Answer {
    Answer {
        status,
        body: Bytes::from(body),
        gzipped: false,
        link: None,
        family,
        objects,
    }
}

fn not_found(message: &str) -> Answer {
    let body = json!({"statusCode": 404, "message": message}).to_string();
    answer(StatusCode::NOT_FOUND, body, "not-found", 0)
}

fn bad_request(message: &str) -> Answer {
    let body = json!({"statusCode": 400, "message": message}).to_string();
    answer(StatusCode::BAD_REQUEST, body, "bad-request", 0)
}

/// How a v1 listing pages.
#[derive(Clone, Copy)]
struct V1 {
    /// Endpoint family, for the counters.
    family: &'static str,
    /// Largest `limit`.
    max: u64,
    /// Content search: `next=true`/`prev=true` links, with a cursor unless `--search-links start`.
    search: bool,
}

impl Api {
    /// The answer to `GET path?query`; `gzip_ok` when the caller accepts gzip.
    pub(crate) fn answer(&self, path: &str, query: &str, gzip_ok: bool) -> Answer {
        let params = Params::parse(query);
        if path == "/oauth/token/accessible-resources" {
            return self.accessible_resources();
        }
        let Some(rest) = self.site_path(path) else {
            return not_found("No such site or path");
        };
        let segments: Vec<&str> = rest.split('/').collect();
        match segments.as_slice() {
            ["api", "v2", "spaces"] => self.v2(rest, &params, Listing::Spaces, "spaces"),
            ["api", "v2", "tasks"] => self.v2(rest, &params, Listing::Tasks, "tasks"),
            ["api", "v2", plural, id, "versions"] => {
                let kind = match *plural {
                    "pages" => Kind::Page,
                    "blogposts" => Kind::Blogpost,
                    _ => return not_found("No such content type"),
                };
                let Some(index) = self.tenant.content_index(id, kind) else {
                    return not_found("No content with this id");
                };
                let ascending = params.get("sort").as_deref() == Some("modified-date");
                let family = match kind {
                    Kind::Page => "page-versions",
                    Kind::Blogpost => "blogpost-versions",
                };
                self.v2(
                    rest,
                    &params,
                    Listing::Versions { index, ascending },
                    family,
                )
            }
            ["rest", "api", "content", "search"] => self.search(&params, gzip_ok),
            ["rest", "api", "group"] => self.v1(
                "/rest/api/group",
                &params,
                Listing::Groups,
                V1 {
                    family: "group",
                    max: GROUP_MAX,
                    search: false,
                },
            ),
            ["rest", "api", "group", id, "membersByGroupId"] => {
                let Some(group) = self.tenant.group_index(id) else {
                    return not_found("No group with this id");
                };
                let path = format!("/rest/api/group/{id}/membersByGroupId");
                let style = V1 {
                    family: "members",
                    max: GROUP_MAX,
                    search: false,
                };
                self.v1(&path, &params, Listing::Members(group), style)
            }
            _ => not_found("No such endpoint in the stand-in"),
        }
    }

    /// `…/wiki/<rest>` of `/ex/confluence/<cloud id>/wiki/<rest>` or `/wiki/<rest>`.
    fn site_path<'p>(&self, path: &'p str) -> Option<&'p str> {
        let wiki = match path.strip_prefix("/ex/confluence/") {
            Some(after) => {
                let (cloud, rest) = after.split_once('/')?;
                if cloud != self.cloud_id {
                    return None;
                }
                rest
            }
            None => path.strip_prefix('/')?,
        };
        wiki.strip_prefix("wiki/")
    }

    fn accessible_resources(&self) -> Answer {
        let body = json!([{
            "id": self.cloud_id,
            "url": SITE,
            "name": "acme-widgets",
            "scopes": [
                "read:page:confluence", "read:blogpost:confluence", "read:comment:confluence",
                "read:attachment:confluence", "read:space:confluence", "read:group:confluence",
                "read:user:confluence", "read:task:confluence",
                "read:content-details:confluence", "read:content:confluence",
                "read:custom-content:confluence"
            ],
            "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png"
        }]);
        answer(StatusCode::OK, body.to_string(), "accessible-resources", 1)
    }

    /// A v2 list page.
    fn v2(&self, rest: &str, params: &Params, listing: Listing, family: &'static str) -> Answer {
        let total = self.tenant.count(listing);
        let limit = params.limit(V2_MAX);
        let offset = match params.get("cursor") {
            Some(cursor) => match decode_cursor(&cursor) {
                Some(offset) => offset,
                None => return bad_request("Invalid cursor"),
            },
            None => 0,
        };
        let end = total.min(offset.saturating_add(limit));
        let mut body = String::from("{\"results\":[");
        self.push_items(&mut body, listing, offset, end);
        body.push_str("],\"_links\":{");
        let mut link = None;
        if end < total {
            let mut query = params.echo(&["cursor"], limit);
            query.push(format!("cursor={}", encode_cursor(end)));
            let next = format!("/wiki/{rest}?{}", query.join("&"));
            body.push_str("\"next\":");
            body.push_str(&json_text(&next));
            body.push(',');
            link = Some(format!(
                "<{next}>; rel=\"next\", <{SITE}/wiki>; rel=\"base\""
            ));
        }
        body.push_str("\"base\":");
        body.push_str(&json_text(&format!("{SITE}/wiki")));
        body.push_str("}}");
        let mut answer = answer(StatusCode::OK, body, family, end.saturating_sub(offset));
        answer.link = link;
        answer
    }

    /// A v1 list page (`start`/`limit`; content search also `cursor`).
    fn v1(&self, path: &str, params: &Params, listing: Listing, style: V1) -> Answer {
        let total = self.tenant.count(listing);
        let limit = params.limit(style.max);
        let cursor = if style.search {
            params.get("cursor")
        } else {
            None
        };
        let start = match cursor {
            Some(cursor) => match decode_cursor(&cursor) {
                Some(offset) => offset,
                None => return bad_request("Invalid cursor"),
            },
            None => params.number("start").unwrap_or(0),
        };
        let end = total.min(start.saturating_add(limit));
        let mut body = String::from("{\"results\":[");
        self.push_items(&mut body, listing, start, end);
        body.push_str(&format!(
            "],\"start\":{start},\"limit\":{limit},\"size\":{}",
            end.saturating_sub(start)
        ));
        if params.get("shouldReturnTotalSize").as_deref() == Some("true") {
            body.push_str(&format!(",\"totalSize\":{total}"));
        }
        body.push_str(&format!(
            ",\"_links\":{{\"base\":\"{SITE}/wiki\",\"context\":\"/wiki\""
        ));
        let skip = ["next", "prev", "cursor", "start", "limit"];
        let others = params.echo(&skip, limit);
        if end < total {
            let next = self.v1_link(path, style, &others, "next", limit, end);
            body.push_str(",\"next\":");
            body.push_str(&json_text(&next));
        }
        if start > 0 {
            let previous = start.saturating_sub(limit);
            let prev = self.v1_link(path, style, &others, "prev", limit, previous);
            body.push_str(",\"prev\":");
            body.push_str(&json_text(&prev));
        }
        let own = match params.pairs.is_empty() {
            true => format!("{SITE}/wiki{path}"),
            false => {
                let raw: Vec<&str> = params.pairs.iter().map(|(_, raw)| *raw).collect();
                format!("{SITE}/wiki{path}?{}", raw.join("&"))
            }
        };
        body.push_str(",\"self\":");
        body.push_str(&json_text(&own));
        body.push_str("}}");
        answer(
            StatusCode::OK,
            body,
            style.family,
            end.saturating_sub(start),
        )
    }

    /// A v1 `next`/`prev` link to the page starting at `start`.
    fn v1_link(
        &self,
        path: &str,
        style: V1,
        others: &[String],
        direction: &str,
        limit: u64,
        start: u64,
    ) -> String {
        let mut parts: Vec<String> = Vec::new();
        if style.search {
            parts.push(format!("{direction}=true"));
            if self.links == SearchLinks::Cursor {
                parts.push(format!("cursor={}", encode_cursor(start)));
            }
            parts.extend(others.iter().cloned());
            parts.push(format!("limit={limit}"));
            parts.push(format!("start={start}"));
        } else {
            parts.push(format!("{direction}=true"));
            parts.push(format!("limit={limit}"));
            parts.push(format!("start={start}"));
            parts.extend(others.iter().cloned());
        }
        format!("{path}?{}", parts.join("&"))
    }

    fn push_items(&self, body: &mut String, listing: Listing, from: u64, to: u64) {
        for k in from..to {
            if k > from {
                body.push(',');
            }
            body.push_str(&self.tenant.item(listing, k).to_string());
        }
    }

    /// v1 content search: a benchmark page (`space = BENCH…`) or the tenant's content of
    /// the CQL's types.
    fn search(&self, params: &Params, gzip_ok: bool) -> Answer {
        const BENCH: &str = "space=bench";
        let cql = params.get("cql").unwrap_or_default().to_ascii_lowercase();
        let squashed: String = cql
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '"' && *c != '\'')
            .collect();
        if let Some(at) = squashed.find(BENCH) {
            let label: String = squashed[at + BENCH.len()..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            return match self.bench.page(&label, &self.tenant) {
                Some(page) => Answer {
                    status: StatusCode::OK,
                    body: if gzip_ok {
                        page.gzip.clone()
                    } else {
                        page.plain.clone()
                    },
                    gzipped: gzip_ok,
                    link: None,
                    family: "bench",
                    objects: page.results,
                },
                None => bad_request("BENCH pages are 1 byte to 64 MiB, e.g. BENCH60K"),
            };
        }
        let without_blogposts = squashed.replace("blogpost", "");
        let filter = match (
            without_blogposts.contains("page"),
            squashed.contains("blogpost"),
        ) {
            (true, false) => ContentFilter::Only(Kind::Page),
            (false, true) => ContentFilter::Only(Kind::Blogpost),
            _ => ContentFilter::All,
        };
        let style = V1 {
            family: "content-search",
            max: SEARCH_MAX,
            search: true,
        };
        self.v1(
            "/rest/api/content/search",
            params,
            Listing::Content(filter),
            style,
        )
    }
}
