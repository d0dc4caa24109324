//! Worklytics' calls replayed through `serve` (issue 15, "Must show"): the real binary in
//! front of a Confluence stand-in that pages with Confluence's real link shapes, every
//! `_links.next` followed to the end, as the analytics platform does.
//!
//! The stand-in (a wiremock [`Respond`]) generates its pages from a synthetic tenant: v1
//! groups and group members (`_links.next` = `/rest/api/…?next=true&limit=…&start=…`,
//! relative to the `/wiki` context), v1 content search with the full `expand`
//! (`/rest/api/content/search?next=true&cursor=…` plus the original query, CQL echoed) and
//! v2 spaces, tasks and the six `…/{id}/versions` listings (`/wiki/api/v2/…?…&cursor=…`, in
//! `_links.next` and in `Link`). It answers only what a real client would send: the
//! access token as a bearer (401 otherwise), and otherwise 400 unless every cursor is one
//! it issued for that listing (unsealed and unaltered), a personal space is named in the
//! CQL by its original key (never a `p~` token), the CQL is Worklytics' date window, and
//! `expand`, `includeArchivedSpaces` and the parameter set are what the platform sends.
//! Every refusal is recorded with its reason.
//!
//! The caller makes Worklytics' calls (issue 15, "Facts") and follows each `_links.next` as
//! given, under `/ex/confluence/{cloudId}` (v2 links) or `/ex/confluence/{cloudId}/wiki`
//! (v1 links), as `export`'s pager does. Checked: every page 200; each listing's items, by
//! the ids the rules keep (group members by the pseudonyms the proxy makes of their
//! account ids, versions by number), are exactly the dataset's (none missing, none twice);
//! the page count is what size / limit implies; the stand-in served each listing's pages
//! once each, in order, and refused nothing; no account id, email or personal space key
//! reaches the caller.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use pseudoproxy::pseudonym::{PseudonymConfig, Pseudonymizer};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::export_support::{CLOUD, SALT, TOKEN, pages_for, spawn_serve_logging};

/// `_links.base` of every page.
const BASE: &str = "https://acme-widgets.atlassian.net/wiki";
/// Worklytics' date window.
const WINDOW: &str = "lastmodified>=2024-05-01 AND lastmodified<=2024-05-31";
/// Worklytics' `expand` on content search.
const EXPAND: &str = "body.atlas_doc_format,ancestors,version,history,history.previousVersion";
const SEARCH_LIMIT: u32 = 30;
const GROUP_LIMIT: u32 = 3;
const MEMBER_LIMIT: u32 = 4;
const SPACE_LIMIT: u32 = 4;
const TASK_LIMIT: u32 = 4;

/// People in the tenant: members, authors, owners, assignees.
const USERS: u32 = 20;
/// Members of each group (one empty group, one of a single member).
const MEMBERS: [u32; 7] = [4, 5, 8, 1, 0, 9, 12];
const GROUPS: u32 = MEMBERS.len() as u32;
/// Space keys: global ones readable; `~` marks a personal space, whose key is `~` and its
/// owner's account id.
const SPACE_KEYS: [&str; 9] = [
    "ENG", "DESIGN", "~", "MKT", "OPS", "HR", "FIN", "~", "LEGAL",
];
const SPACES: u32 = SPACE_KEYS.len() as u32;
/// The personal space a quarter of the content is in (several pages of search results).
const PERSONAL: u32 = 2;
const TASKS: u32 = 11;
/// Pages and blog posts modified in the window.
const CONTENT: u32 = 250;
const FIRST_CONTENT: u32 = 3_000_000;

/// A versions listing whose id the calls do not take from content search.
struct Versioned {
    segment: &'static str,
    id: &'static str,
    versions: u32,
    limit: u32,
    sorted: bool,
}

const OTHER_VERSIONS: [Versioned; 4] = [
    Versioned {
        segment: "attachments",
        id: "att196609",
        versions: 5,
        limit: 2,
        sorted: false,
    },
    Versioned {
        segment: "custom-content",
        id: "229390",
        versions: 3,
        limit: 1,
        sorted: false,
    },
    Versioned {
        segment: "footer-comments",
        id: "262160",
        versions: 6,
        limit: 2,
        sorted: false,
    },
    Versioned {
        segment: "inline-comments",
        id: "294913",
        versions: 2,
        limit: 1,
        sorted: true,
    },
];

// ----- The tenant --------------------------------------------------------------------------

fn account(n: u32) -> String {
    let n = n % USERS;
    format!(
        "557058:{:08x}-0c1d-4e5f-8a9b-{:012x}",
        0x2f1c_9e7a_u32.wrapping_add(n.wrapping_mul(7919)),
        0x0c1d_2e3f_4a5b_u64 + u64::from(n)
    )
}

fn email(n: u32) -> String {
    format!("user{}@acme-widgets.example", n % USERS)
}

fn user(n: u32) -> Value {
    let n = n % USERS;
    json!({
        "type": "known",
        "accountId": account(n),
        "accountType": "atlassian",
        "email": email(n),
        "publicName": format!("User {n}"),
        "displayName": format!("User {n}"),
        "profilePicture": {
            "path": format!("/wiki/aa-avatar/{}", account(n)),
            "width": 48, "height": 48, "isDefault": false
        },
        "isExternalCollaborator": false,
        "isGuest": false,
        "locale": "en_US",
        "accountStatus": "active",
        "_expandable": {"operations": "", "personalSpace": ""},
        "_links": {"self": format!("{BASE}/rest/api/user?accountId={}", account(n))}
    })
}

fn group_id(g: u32) -> String {
    format!("6f2b4c1e-8d3a-4f5b-9c7e-{g:012x}")
}

fn group_item(g: u32) -> Value {
    json!({
        "type": "group",
        "name": format!("team-{g}"),
        "id": group_id(g),
        "usageType": "USERBASE_GROUP",
        "_links": {"self": format!("{BASE}/rest/api/group/by-id?id={}", group_id(g))}
    })
}

/// Member `i` of group `g` (groups overlap, as they do).
fn member(g: u32, i: u32) -> u32 {
    (g * 3 + i) % USERS
}

fn space_id(s: u32) -> String {
    (98_306 + s * 32_768).to_string()
}

fn personal(s: u32) -> bool {
    SPACE_KEYS[s as usize] == "~"
}

/// A space's key as Confluence has it: a personal space's is `~` + its owner's account id.
fn space_key(s: u32) -> String {
    match personal(s) {
        true => format!("~{}", account(s).replace([':', '-'], "")),
        false => SPACE_KEYS[s as usize].to_owned(),
    }
}

fn space_item(s: u32) -> Value {
    let key = space_key(s);
    let (kind, name) = match personal(s) {
        true => ("personal", format!("User {s}")),
        false => ("global", format!("{key} handbook")),
    };
    json!({
        "id": space_id(s),
        "key": key,
        "name": name,
        "type": kind,
        "status": "current",
        "authorId": account(s),
        "createdAt": format!("2021-03-{:02}T09:15:22.118Z", 1 + s),
        "homepageId": (65_538 + s).to_string(),
        "spaceOwnerId": account(s),
        "currentActiveAlias": key,
        "description": {"plain": {"value": format!("About {name}"), "representation": "plain"}},
        "icon": {
            "path": format!("/wiki/aa-avatar/{}", account(s)),
            "apiDownloadLink": format!("/wiki/api/v2/spaces/{}/icon", space_id(s))
        },
        "_links": {"webui": format!("/spaces/{key}")}
    })
}

fn task_id(t: u32) -> String {
    (10_001 + t).to_string()
}

fn task_item(t: u32) -> Value {
    let done = t % 3 != 1;
    let day = 1 + t;
    let status = if done { "complete" } else { "incomplete" };
    let completed_by = match done {
        true => Value::from(account(t + 1)),
        false => Value::Null,
    };
    let completed_at = match done {
        true => Value::from(format!("2024-05-{day:02}T16:20:00.000Z")),
        false => Value::Null,
    };
    let body = format!(
        "<ac:task-body>Follow up with <ac:link><ri:user ri:account-id=\"{}\" /></ac:link></ac:task-body>",
        account(t + 1)
    );
    json!({
        "id": task_id(t),
        "localId": format!("7c1e2d3f-4a5b-4c6d-8e9f-{t:012x}"),
        "spaceId": space_id(t % SPACES),
        "pageId": content_id(t * 5),
        "blogPostId": null,
        "status": status,
        "body": {"storage": {"representation": "storage", "value": body}},
        "createdBy": account(t),
        "assignedTo": account(t + 1),
        "completedBy": completed_by,
        "createdAt": format!("2024-05-{day:02}T10:11:12.000Z"),
        "updatedAt": format!("2024-05-{day:02}T16:20:00.000Z"),
        "dueAt": format!("2024-06-{day:02}T00:00:00.000Z"),
        "completedAt": completed_at,
        "isBlank": false
    })
}

fn content_id(k: u32) -> String {
    (FIRST_CONTENT + k).to_string()
}

fn content_kind(k: u32) -> &'static str {
    if k % 5 == 4 { "blogpost" } else { "page" }
}

fn content_space(k: u32) -> u32 {
    if k.is_multiple_of(4) {
        PERSONAL
    } else {
        k % SPACES
    }
}

/// The current version number of content `k` (and how many versions it has).
fn content_versions(k: u32) -> u32 {
    7 + k % 3
}

/// The content a search finds: all of it, or one space's (by its original key).
fn in_scope(key: Option<&str>) -> Vec<u32> {
    (0..CONTENT)
        .filter(|k| key.is_none_or(|key| space_key(content_space(*k)) == key))
        .collect()
}

/// A v1 version (`version`, `history.previousVersion`) as the full `expand` returns it.
fn v1_version(by: u32, number: u32, day: u32) -> Value {
    let minor = number.is_multiple_of(2);
    json!({
        "by": user(by),
        "when": format!("2024-05-{day:02}T16:18:03.221Z"),
        "friendlyWhen": format!("May {day:02}, 2024"),
        "message": format!("Edit {number}"),
        "number": number,
        "minorEdit": minor,
        "contentTypeModified": false,
        "confRev": format!("confluence$content${number}"),
        "_expandable": {"content": "", "collaborators": ""}
    })
}

/// Content `k` as a search with Worklytics' `expand` returns it.
fn content_item(k: u32) -> Value {
    let id = content_id(k);
    let key = space_key(content_space(k));
    let number = content_versions(k);
    let day = 1 + k % 28;
    let adf = json!({
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [
            {"type": "text", "text": format!("Planning notes {k}: owners, dates and open questions for ")},
            {"type": "mention", "attrs": {"id": account(k + 3), "text": format!("@User {}", (k + 3) % USERS)}}
        ]}]
    })
    .to_string();
    let ancestors = match content_kind(k) {
        "page" => json!([{
            "id": "65537", "type": "page", "status": "current", "title": "Team home",
            "_links": {"webui": "/spaces/ENG/pages/65537"}
        }]),
        _ => json!([]),
    };
    json!({
        "id": id,
        "type": content_kind(k),
        "status": "current",
        "title": format!("Planning notes {k}"),
        "history": {
            "latest": true,
            "createdBy": user(k),
            "createdDate": format!("2024-04-{day:02}T10:00:00.000Z"),
            "previousVersion": v1_version(k + 1, number - 1, day),
            "_expandable": {"lastUpdated": "", "contributors": "", "nextVersion": ""}
        },
        "version": v1_version(k + 2, number, day + 1),
        "ancestors": ancestors,
        "body": {
            "atlas_doc_format": {"value": adf, "representation": "atlas_doc_format"},
            "_expandable": {"storage": "", "view": "", "editor": ""}
        },
        "extensions": {"position": k},
        "_expandable": {"space": format!("/rest/api/space/{key}"), "children": "", "descendants": ""},
        "_links": {
            "webui": format!("/spaces/{key}/pages/{id}"),
            "self": format!("{BASE}/rest/api/content/{id}")
        }
    })
}

/// The key naming the versioned entity in a version of the listing at `segment`.
fn entity(segment: &str) -> &'static str {
    match segment {
        "pages" => "page",
        "blogposts" => "blogpost",
        "attachments" => "attachment",
        "custom-content" => "custom",
        _ => "comment",
    }
}

/// How many versions the entity has, or `None` when the tenant has no such entity.
fn versions_of(segment: &str, id: &str) -> Option<u32> {
    match segment {
        "pages" | "blogposts" => {
            let k = id.parse::<u32>().ok()?.checked_sub(FIRST_CONTENT)?;
            (k < CONTENT && content_kind(k) == entity(segment)).then_some(content_versions(k))
        }
        _ => OTHER_VERSIONS
            .iter()
            .find(|v| v.segment == segment && v.id == id)
            .map(|v| v.versions),
    }
}

fn version_item(segment: &str, id: &str, number: u32) -> Value {
    let about = match segment {
        "attachments" => json!({
            "id": id, "title": format!("diagram-{number}.png"),
            "mediaType": "image/png", "fileSize": 482_113
        }),
        _ => json!({"id": id, "title": format!("Item {id}")}),
    };
    let minor = number.is_multiple_of(2);
    let mut item = json!({
        "createdAt": format!("2024-05-{:02}T16:18:03.221Z", 1 + number % 28),
        "message": format!("Edit {number}"),
        "number": number,
        "minorEdit": minor,
        "authorId": account(number),
        "contentTypeModified": false,
        "collaborators": [account(number)]
    });
    item[entity(segment)] = about;
    item
}

// ----- The stand-in ------------------------------------------------------------------------

/// What the stand-in did.
#[derive(Default)]
struct Upstream {
    /// Every cursor issued (raw, as Confluence writes it): its listing and offset.
    cursors: HashMap<String, (String, u32)>,
    /// Every page answered 200: its listing and offset.
    served: Vec<(String, u32)>,
    /// Every request refused, with the reason.
    problems: Vec<String>,
}

/// The Confluence stand-in; clones share one log.
#[derive(Clone, Default)]
struct StandIn(Arc<Mutex<Upstream>>);

impl StandIn {
    fn problems(&self) -> Vec<String> {
        self.0.lock().unwrap().problems.clone()
    }

    /// The offsets served, per listing, in order.
    fn served(&self) -> BTreeMap<String, Vec<u32>> {
        let mut served: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (listing, offset) in &self.0.lock().unwrap().served {
            served.entry(listing.clone()).or_default().push(*offset);
        }
        served
    }
}

/// Decoded query parameters, in order.
type Pairs = [(String, String)];
/// A page: its body and its `Link` header.
type Page = (Value, Option<String>);
/// A refused request: status and reason.
type Refusal = (u16, String);

/// One listing of the stand-in.
struct Listing<'a> {
    /// Its name in the stand-in's log: `spaces`, `members/{groupId}`, `search/{key}`, ….
    name: String,
    /// The path its links name: `/wiki/api/v2/…` (v2) or `/rest/api/…` (v1, relative to
    /// the `/wiki` context).
    link: String,
    total: u32,
    /// The query parameters a real client sends it.
    allowed: &'a [&'a str],
    item: &'a dyn Fn(u32) -> Value,
}

/// How a v2 cursor is spelled (both are seen from Confluence).
#[derive(Clone, Copy)]
enum Cursor {
    /// Unpadded base64url (spaces, versions).
    UrlSafe,
    /// Padded base64, percent-encoded in links (tasks).
    Padded,
}

impl Respond for StandIn {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut upstream = self.0.lock().unwrap();
        match answer(&mut upstream, request) {
            Ok((body, link)) => {
                let response =
                    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json");
                match link {
                    Some(link) => response.insert_header("link", link.as_str()),
                    None => response,
                }
            }
            Err((status, reason)) => {
                upstream
                    .problems
                    .push(format!("{status} for {}: {reason}", request.url));
                ResponseTemplate::new(status)
                    .set_body_json(json!({"statusCode": status, "message": reason}))
            }
        }
    }
}

fn refuse(reason: impl Into<String>) -> Refusal {
    (400, reason.into())
}

fn param<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Only the parameters a real client sends, each once.
fn only_expected(pairs: &Pairs, expected: &[&str]) -> Result<(), Refusal> {
    let mut seen = BTreeSet::new();
    for (name, _) in pairs {
        if !expected.contains(&name.as_str()) {
            return Err(refuse(format!("unexpected parameter `{name}`")));
        }
        if !seen.insert(name.as_str()) {
            return Err(refuse(format!("`{name}` given twice")));
        }
    }
    Ok(())
}

fn page_limit(pairs: &Pairs) -> Result<u32, Refusal> {
    match param(pairs, "limit").map(str::parse::<u32>) {
        Some(Ok(limit)) if (1..=250).contains(&limit) => Ok(limit),
        other => Err(refuse(format!("limit {other:?}"))),
    }
}

fn start(pairs: &Pairs) -> Result<u32, Refusal> {
    match param(pairs, "start") {
        None => Ok(0),
        Some(start) => start
            .parse::<u32>()
            .map_err(|_| refuse(format!("start={start:?}"))),
    }
}

/// The offset of a cursor this stand-in issued for `listing`.
fn issued(up: &Upstream, cursor: &str, listing: &str) -> Result<u32, Refusal> {
    match up.cursors.get(cursor) {
        Some((issued_for, offset)) if issued_for == listing => Ok(*offset),
        Some((issued_for, _)) => Err(refuse(format!(
            "cursor issued for {issued_for}, sent for {listing}"
        ))),
        None => Err(refuse(format!(
            "cursor {cursor:?} was never issued (altered, or still sealed)"
        ))),
    }
}

/// A query value as Confluence writes it in its links (Java's `URLEncoder`: `+` for a
/// space, `%XX` for every byte but `A-Z a-z 0-9 - . _ *`).
fn confluence_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

fn answer(up: &mut Upstream, request: &Request) -> Result<Page, Refusal> {
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {TOKEN}")) {
        return Err((401, format!("Authorization is {auth:?}")));
    }
    if request.method.as_str() != "GET" {
        return Err((405, format!("method {}", request.method)));
    }
    let pairs: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    for (name, value) in &pairs {
        if value.contains("p~") {
            return Err(refuse(format!(
                "`{name}` holds a p~ token: the proxy did not reverse it"
            )));
        }
        if value.starts_with("c~") {
            return Err(refuse(format!(
                "`{name}` holds a sealed value: the proxy did not unseal it"
            )));
        }
    }
    let path = request.url.path();
    let site = format!("/ex/confluence/{CLOUD}/wiki/");
    let Some(rest) = path.strip_prefix(site.as_str()) else {
        return Err((404, format!("not under {site}")));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let v2 = format!("/wiki/{rest}");
    let v1 = format!("/{rest}");
    match segments.as_slice() {
        ["api", "v2", "spaces"] => {
            let listing = Listing {
                name: "spaces".to_owned(),
                link: v2,
                total: SPACES,
                allowed: &["limit", "cursor", "description-format", "sort"],
                item: &space_item,
            };
            v2_page(up, &listing, &pairs, Cursor::UrlSafe)
        }
        ["api", "v2", "tasks"] => {
            let listing = Listing {
                name: "tasks".to_owned(),
                link: v2,
                total: TASKS,
                allowed: &["limit", "cursor"],
                item: &task_item,
            };
            v2_page(up, &listing, &pairs, Cursor::Padded)
        }
        ["api", "v2", segment, id, "versions"] => {
            let Some(total) = versions_of(segment, id) else {
                return Err((404, format!("no {segment} {id}")));
            };
            let item = |i: u32| version_item(segment, id, total - i);
            let listing = Listing {
                name: format!("versions/{segment}/{id}"),
                link: v2,
                total,
                allowed: &["limit", "cursor", "sort"],
                item: &item,
            };
            v2_page(up, &listing, &pairs, Cursor::UrlSafe)
        }
        ["rest", "api", "group"] => {
            let listing = Listing {
                name: "groups".to_owned(),
                link: v1,
                total: GROUPS,
                allowed: &["limit", "start", "next"],
                item: &group_item,
            };
            v1_page(up, &listing, &pairs)
        }
        ["rest", "api", "group", group, "membersByGroupId"] => {
            let Some(g) = (0..GROUPS).find(|g| group_id(*g) == *group) else {
                return Err((404, format!("no group {group}")));
            };
            let item = |i: u32| user(member(g, i));
            let listing = Listing {
                name: format!("members/{group}"),
                link: v1,
                total: MEMBERS[g as usize],
                allowed: &["limit", "start", "next", "shouldReturnTotalSize"],
                item: &item,
            };
            v1_page(up, &listing, &pairs)
        }
        ["rest", "api", "content", "search"] => search_page(up, &pairs),
        _ => Err((404, format!("no listing at /wiki/{rest}"))),
    }
}

/// A v2 page: `_links.next` and `Link` = the caller's query with a new `cursor`.
fn v2_page(
    up: &mut Upstream,
    listing: &Listing,
    pairs: &Pairs,
    style: Cursor,
) -> Result<Page, Refusal> {
    only_expected(pairs, listing.allowed)?;
    let limit = page_limit(pairs)?;
    let offset = match param(pairs, "cursor") {
        None => 0,
        Some(cursor) => issued(up, cursor, &listing.name)?,
    };
    let end = listing.total.min(offset + limit);
    let results: Vec<Value> = (offset..end).map(listing.item).collect();
    let mut links = json!({"base": BASE});
    let mut header = None;
    if end < listing.total {
        let serial = up.cursors.len();
        let text = format!("{{\"id\":{end},\"n\":{serial},\"direction\":\"next\"}}");
        let cursor = match style {
            Cursor::UrlSafe => URL_SAFE_NO_PAD.encode(text),
            Cursor::Padded => STANDARD.encode(text),
        };
        up.cursors
            .insert(cursor.clone(), (listing.name.clone(), end));
        let mut query: Vec<String> = pairs
            .iter()
            .filter(|(name, _)| name != "cursor")
            .map(|(name, value)| {
                format!("{}={}", confluence_encode(name), confluence_encode(value))
            })
            .collect();
        query.push(format!("cursor={}", confluence_encode(&cursor)));
        let next = format!("{}?{}", listing.link, query.join("&"));
        header = Some(format!("<{next}>; rel=\"next\", <{BASE}>; rel=\"base\""));
        links["next"] = json!(next);
    }
    up.served.push((listing.name.clone(), offset));
    Ok((json!({"results": results, "_links": links}), header))
}

/// A v1 groups or members page: `next=true&limit=…&start=…` and the caller's other
/// parameters.
fn v1_page(up: &mut Upstream, listing: &Listing, pairs: &Pairs) -> Result<Page, Refusal> {
    only_expected(pairs, listing.allowed)?;
    let limit = page_limit(pairs)?;
    let start = start(pairs)?;
    match param(pairs, "next") {
        None if start == 0 => {}
        Some("true") if start > 0 && start < listing.total => {}
        next => {
            return Err(refuse(format!(
                "next={next:?} with start={start} of {}",
                listing.total
            )));
        }
    }
    let end = listing.total.min(start + limit);
    let results: Vec<Value> = (start..end).map(listing.item).collect();
    let mut others = String::new();
    for (name, value) in pairs {
        if !["next", "limit", "start"].contains(&name.as_str()) {
            let _ = write!(
                others,
                "&{}={}",
                confluence_encode(name),
                confluence_encode(value)
            );
        }
    }
    let mut links = json!({
        "base": BASE,
        "context": "/wiki",
        "self": format!("{BASE}{}", listing.link)
    });
    if end < listing.total {
        let next = format!(
            "{}?next=true&limit={limit}&start={end}{others}",
            listing.link
        );
        links["next"] = json!(next);
    }
    if start > 0 {
        let back = start.saturating_sub(limit);
        let prev = format!(
            "{}?prev=true&limit={limit}&start={back}{others}",
            listing.link
        );
        links["prev"] = json!(prev);
    }
    let mut body = json!({
        "results": results,
        "start": start,
        "limit": limit,
        "size": end - start,
        "_links": links
    });
    if param(pairs, "shouldReturnTotalSize") == Some("true") {
        body["totalSize"] = json!(listing.total);
    }
    up.served.push((listing.name.clone(), start));
    Ok((body, None))
}

/// A content search cursor as Confluence writes them: `_f_` + the offset, `_sa_` + the
/// last item's sort values, each in padded base64.
fn search_cursor(up: &mut Upstream, listing: &str, offset: u32, last: u32) -> String {
    let serial = up.cursors.len();
    let sort = format!("[\"\\t{}\\t{serial}\"]", content_id(last));
    let cursor = format!(
        "_f_{}_sa_{}",
        STANDARD.encode(offset.to_string()),
        STANDARD.encode(sort)
    );
    up.cursors
        .insert(cursor.clone(), (listing.to_owned(), offset));
    cursor
}

/// A v1 content search page: Worklytics' query only; `_links.next` =
/// `/rest/api/content/search?next=true&cursor=…&expand=…&includeArchivedSpaces=true&limit=…&start=…&cql=…`.
fn search_page(up: &mut Upstream, pairs: &Pairs) -> Result<Page, Refusal> {
    only_expected(
        pairs,
        &[
            "cql",
            "expand",
            "includeArchivedSpaces",
            "limit",
            "next",
            "cursor",
            "start",
        ],
    )?;
    let cql = param(pairs, "cql").ok_or_else(|| refuse("no cql"))?;
    let scope = match cql.strip_prefix(WINDOW) {
        Some("") => None,
        Some(rest) => {
            let key = rest
                .strip_prefix(" AND space=\"")
                .and_then(|key| key.strip_suffix('"'));
            match key {
                Some(key) if (0..SPACES).any(|s| space_key(s) == key) => Some(key.to_owned()),
                _ => return Err(refuse(format!("cql {cql:?}: not a space of this tenant"))),
            }
        }
        None => return Err(refuse(format!("cql {cql:?}: not Worklytics' window"))),
    };
    if param(pairs, "expand") != Some(EXPAND) {
        return Err(refuse(format!("expand={:?}", param(pairs, "expand"))));
    }
    if param(pairs, "includeArchivedSpaces") != Some("true") {
        return Err(refuse("includeArchivedSpaces is not true"));
    }
    let limit = page_limit(pairs)?;
    let start = start(pairs)?;
    let name = format!("search/{}", scope.as_deref().unwrap_or("*"));
    let offset = match (param(pairs, "next"), param(pairs, "cursor")) {
        (None, None) if start == 0 => 0,
        (Some("true"), Some(cursor)) => match issued(up, cursor, &name)? {
            offset if offset == start => offset,
            offset => {
                return Err(refuse(format!(
                    "start={start}, but the cursor is at {offset}"
                )));
            }
        },
        other => return Err(refuse(format!("next/cursor {other:?} with start={start}"))),
    };
    let scoped = in_scope(scope.as_deref());
    let total = scoped.len() as u32;
    if offset > 0 && offset >= total {
        return Err(refuse(format!("start={offset} of {total}")));
    }
    let end = total.min(offset + limit);
    let results: Vec<Value> = scoped[offset as usize..end as usize]
        .iter()
        .map(|k| content_item(*k))
        .collect();
    let query = format!(
        "expand={}&includeArchivedSpaces=true&limit={limit}",
        confluence_encode(EXPAND)
    );
    let cql_pair = format!("cql={}", confluence_encode(cql));
    let mut links = json!({
        "base": BASE,
        "context": "/wiki",
        "self": format!("{BASE}/rest/api/content/search?{query}&{cql_pair}")
    });
    if end < total {
        let cursor = search_cursor(up, &name, end, scoped[end as usize - 1]);
        let next = format!(
            "/rest/api/content/search?next=true&cursor={}&{query}&start={end}&{cql_pair}",
            confluence_encode(&cursor)
        );
        links["next"] = json!(next);
    }
    if offset > 0 {
        let back = offset.saturating_sub(limit);
        let cursor = search_cursor(up, &name, back, scoped[offset as usize]);
        let prev = format!(
            "/rest/api/content/search?prev=true&cursor={}&{query}&start={back}&{cql_pair}",
            confluence_encode(&cursor)
        );
        links["prev"] = json!(prev);
    }
    up.served.push((name, offset));
    let body = json!({
        "results": results,
        "start": offset,
        "limit": limit,
        "size": end - offset,
        "_links": links
    });
    Ok((body, None))
}

// ----- The caller --------------------------------------------------------------------------

/// Worklytics' side: its calls through `serve`, and what it has walked.
struct Caller {
    client: reqwest::Client,
    /// The proxy's base URL.
    base: String,
    standin: StandIn,
    /// `serve`'s log (its refusal reasons).
    log: PathBuf,
    /// Every listing walked: its name in the stand-in's log, its limit, its pages.
    walked: Vec<(String, u32, u32)>,
    /// Originals that must never reach the caller: account ids, emails, the account ids in
    /// personal space keys.
    secrets: Vec<String>,
}

/// One listing as the caller received it.
struct Walked {
    pages: Vec<Value>,
}

impl Walked {
    fn items(&self) -> impl Iterator<Item = &Value> {
        self.pages
            .iter()
            .flat_map(|page| page["results"].as_array().into_iter().flatten())
    }
}

impl Caller {
    /// Calls `first` (a path under `/ex/confluence/{cloudId}/wiki`) and follows
    /// `_links.next` to the last page, as given: v2 links (`/wiki/…`) under
    /// `/ex/confluence/{cloudId}`, v1 links (relative to the `/wiki` context) under
    /// `/ex/confluence/{cloudId}/wiki` (`src/cli/export/pager.rs`).
    async fn walk(&mut self, first: &str, listing: &str, limit: u32) -> Walked {
        let site = format!("/ex/confluence/{CLOUD}");
        let mut path = format!("{site}/wiki{first}");
        let mut visited = BTreeSet::new();
        let mut pages = Vec::new();
        loop {
            assert!(
                visited.insert(path.clone()),
                "{listing}: a next link leads back to {path}"
            );
            assert!(
                pages.len() < 100,
                "{listing}: no last page in sight: {path}"
            );
            let response = self
                .client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let error = response
                .headers()
                .get("x-psoxy-error")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let link: Vec<String> = response
                .headers()
                .get_all("link")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect();
            let text = response.text().await.unwrap();
            assert_eq!(
                status,
                200,
                "{listing}: {path} answered {status} {error:?}: {text}\n\
                 the stand-in refused: {:#?}\nserve's log ends with:\n{}",
                self.standin.problems(),
                log_tail(&self.log)
            );
            for secret in &self.secrets {
                assert!(
                    !text.contains(secret.as_str())
                        && !link.iter().any(|l| l.contains(secret.as_str())),
                    "{listing}: {path} reveals {secret}:\n{link:?}\n{text}"
                );
            }
            let page: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{listing}: {path}: {e}: {text}"));
            assert!(
                page["results"].is_array(),
                "{listing}: {path}: no results: {text}"
            );
            let next = page
                .pointer("/_links/next")
                .and_then(Value::as_str)
                .map(str::to_owned);
            pages.push(page);
            let Some(next) = next else { break };
            check_next_link(listing, &next, &link);
            path = match next.starts_with("/wiki/") {
                true => format!("{site}{next}"),
                false => format!("{site}/wiki{next}"),
            };
        }
        self.walked
            .push((listing.to_owned(), limit, pages.len() as u32));
        Walked { pages }
    }
}

/// A next link as the caller receives it: Confluence's shape, its cursor sealed by the
/// proxy, and (v2) the same target in `Link`.
fn check_next_link(listing: &str, next: &str, link_header: &[String]) {
    if next.contains("cursor=") {
        assert!(
            next.contains("cursor=c~"),
            "{listing}: an unsealed cursor: {next}"
        );
    }
    if next.starts_with("/wiki/api/v2/") {
        let expected = format!("<{next}>; rel=\"next\"");
        assert!(
            link_header.iter().any(|l| l.contains(&expected)),
            "{listing}: Link {link_header:?} does not lead to {next}"
        );
    } else {
        assert!(
            next.starts_with("/rest/api/") && next.contains("?next=true&"),
            "{listing}: not a v1 next link: {next}"
        );
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

fn string(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {value}"))
        .to_owned()
}

/// The listing's items, by the key `id_of` reads, are exactly `expected` (none missing,
/// none twice), over the pages `limit` implies.
fn check_listing(
    listing: &str,
    walked: &Walked,
    id_of: impl Fn(&Value) -> String,
    expected: &[String],
    limit: u32,
) {
    let got: Vec<String> = walked.items().map(id_of).collect();
    let mut seen = BTreeSet::new();
    let twice: Vec<&String> = got.iter().filter(|id| !seen.insert(id.as_str())).collect();
    assert!(twice.is_empty(), "{listing}: items seen twice: {twice:?}");
    let want: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    assert_eq!(
        want.len(),
        expected.len(),
        "{listing}: the dataset repeats an id"
    );
    let missing: Vec<&str> = want.difference(&seen).copied().collect();
    let unexpected: Vec<&str> = seen.difference(&want).copied().collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{listing}: missing {missing:?}, unexpected {unexpected:?}"
    );
    assert_eq!(
        walked.pages.len() as u64,
        pages_for(expected.len() as u64, limit),
        "{listing}: {} items at limit {limit}",
        expected.len()
    );
}

/// What the full `expand` brings, as the rules keep it: titles and the ADF body digested,
/// version numbers, people pseudonymized, the ancestors' ids.
fn check_expanded(content: &Value) {
    let k = string(content, "id").parse::<u32>().unwrap() - FIRST_CONTENT;
    let number = content_versions(k);
    let digested = |value: &Value| {
        value
            .as_str()
            .is_some_and(|v| v.starts_with("{\"length\":"))
    };
    assert!(digested(&content["title"]), "title: {content}");
    assert!(
        digested(&content["body"]["atlas_doc_format"]["value"]),
        "body: {content}"
    );
    assert_eq!(content["version"]["number"], number, "{content}");
    assert_eq!(
        content["history"]["previousVersion"]["number"],
        number - 1,
        "{content}"
    );
    for by in [
        &content["history"]["createdBy"],
        &content["history"]["previousVersion"]["by"],
        &content["version"]["by"],
    ] {
        assert!(
            by["accountId"]
                .as_str()
                .is_some_and(|a| a.starts_with("t~")),
            "{content}"
        );
    }
    let ancestors = content["ancestors"].as_array().map(Vec::len);
    assert_eq!(
        ancestors,
        Some(usize::from(content_kind(k) == "page")),
        "{content}"
    );
}

/// The content search call Worklytics makes for `cql`.
fn search_call(cql: &str) -> String {
    format!(
        "/rest/api/content/search?cql={}&limit={SEARCH_LIMIT}&expand={EXPAND}&includeArchivedSpaces=true",
        pseudoproxy::percent::encode(cql)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worklytics_calls_page_to_the_end_through_serve() {
    let standin = StandIn::default();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(standin.clone())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let file = std::fs::File::create(&log).unwrap();
    let (_serve, base) = spawn_serve_logging(&server.uri(), dir.path(), file.into()).await;
    let mut secrets: Vec<String> = (0..USERS).flat_map(|n| [account(n), email(n)]).collect();
    secrets.extend(
        (0..SPACES)
            .filter(|s| personal(*s))
            .map(|s| space_key(s)[1..].to_owned()),
    );
    let mut caller = Caller {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        base,
        standin: standin.clone(),
        log,
        walked: Vec::new(),
        secrets,
    };
    let pseudonyms = Pseudonymizer::new(PseudonymConfig {
        salt: SALT.to_owned(),
        ..PseudonymConfig::default()
    });

    // Spaces: global keys readable, personal ones as reversible `p~` tokens.
    let spaces = caller
        .walk(
            &format!("/api/v2/spaces?limit={SPACE_LIMIT}"),
            "spaces",
            SPACE_LIMIT,
        )
        .await;
    let every_space: Vec<String> = (0..SPACES).map(space_id).collect();
    check_listing(
        "spaces",
        &spaces,
        |space| string(space, "id"),
        &every_space,
        SPACE_LIMIT,
    );
    let mut keys = Vec::new();
    for space in spaces.items() {
        let id = string(space, "id");
        let s = (0..SPACES).find(|s| space_id(*s) == id).unwrap();
        let key = string(space, "key");
        match personal(s) {
            true => assert!(
                key.starts_with("p~") && string(space, "currentActiveAlias") == key,
                "personal space {s}: {space}"
            ),
            false => assert_eq!(key, space_key(s), "{space}"),
        }
        keys.push((s, key));
    }

    // Groups, and the members of every group, by the pseudonyms of their account ids.
    let groups = caller
        .walk(
            &format!("/rest/api/group?limit={GROUP_LIMIT}&start=0"),
            "groups",
            GROUP_LIMIT,
        )
        .await;
    let every_group: Vec<String> = (0..GROUPS).map(group_id).collect();
    check_listing(
        "groups",
        &groups,
        |group| string(group, "id"),
        &every_group,
        GROUP_LIMIT,
    );
    for group in groups.items() {
        assert!(
            group.get("name").is_none(),
            "group names are dropped: {group}"
        );
        let id = string(group, "id");
        let g = (0..GROUPS).find(|g| group_id(*g) == id).unwrap();
        let listing = format!("members/{id}");
        let first = format!(
            "/rest/api/group/{id}/membersByGroupId?limit={MEMBER_LIMIT}&start=0&shouldReturnTotalSize=true"
        );
        let members = caller.walk(&first, &listing, MEMBER_LIMIT).await;
        let expected: Vec<String> = (0..MEMBERS[g as usize])
            .map(|i| {
                let account_id = account(member(g, i));
                let pseudonym = pseudonyms
                    .pseudonymize(&account_id, false)
                    .unwrap()
                    .unwrap();
                pseudonym.url_safe_token()
            })
            .collect();
        check_listing(
            &listing,
            &members,
            |person| string(person, "accountId"),
            &expected,
            MEMBER_LIMIT,
        );
        for person in members.items() {
            assert_eq!(person["accountStatus"], "active", "{listing}: {person}");
            assert_eq!(person["locale"], "en_US", "{listing}: {person}");
            let email = string(person, "email");
            assert!(
                email.starts_with("t~") && email.ends_with("@acme-widgets.example"),
                "{listing}: {person}"
            );
        }
    }

    // Content search over the window, with the full `expand`.
    let search = caller
        .walk(&search_call(WINDOW), "search/*", SEARCH_LIMIT)
        .await;
    let everything: Vec<String> = in_scope(None).into_iter().map(content_id).collect();
    check_listing(
        "content search",
        &search,
        |content| string(content, "id"),
        &everything,
        SEARCH_LIMIT,
    );
    search.items().for_each(check_expanded);

    // The same search scoped to each space by the key the spaces listing gave: a personal
    // space by its `p~` token, which the proxy sends upstream as the original and puts
    // back in every link.
    for (s, key) in &keys {
        let cql = format!("{WINDOW} AND space=\"{key}\"");
        let original = space_key(*s);
        let listing = format!("search/{original}");
        let walked = caller
            .walk(&search_call(&cql), &listing, SEARCH_LIMIT)
            .await;
        let expected: Vec<String> = in_scope(Some(original.as_str()))
            .into_iter()
            .map(content_id)
            .collect();
        check_listing(
            &format!("content search in space {key}"),
            &walked,
            |content| string(content, "id"),
            &expected,
            SEARCH_LIMIT,
        );
        if personal(*s) {
            for page in &walked.pages {
                if let Some(next) = page.pointer("/_links/next").and_then(Value::as_str) {
                    assert!(next.contains(key.as_str()), "the caller's token: {next}");
                }
            }
        }
        if *s == PERSONAL {
            assert!(
                walked.pages.len() >= 3,
                "{listing}: {} pages",
                walked.pages.len()
            );
        }
    }

    // Tasks.
    let tasks = caller
        .walk(
            &format!("/api/v2/tasks?limit={TASK_LIMIT}"),
            "tasks",
            TASK_LIMIT,
        )
        .await;
    let every_task: Vec<String> = (0..TASKS).map(task_id).collect();
    check_listing(
        "tasks",
        &tasks,
        |task| string(task, "id"),
        &every_task,
        TASK_LIMIT,
    );

    // The six versions listings: a page's and a blog post's (ids from the search), an
    // attachment's, a custom content's, a footer and an inline comment's; versions by number.
    let first_of = |kind: &str| {
        search
            .items()
            .find(|content| content["type"] == kind)
            .map(|content| string(content, "id"))
            .unwrap()
    };
    let mut versioned: Vec<(&str, String, u32, bool)> = vec![
        ("pages", first_of("page"), 3, true),
        ("blogposts", first_of("blogpost"), 2, false),
    ];
    versioned.extend(
        OTHER_VERSIONS
            .iter()
            .map(|v| (v.segment, v.id.to_owned(), v.limit, v.sorted)),
    );
    for (segment, id, limit, sorted) in &versioned {
        let total = versions_of(segment, id).unwrap();
        let sort = if *sorted { "&sort=-modified-date" } else { "" };
        let listing = format!("versions/{segment}/{id}");
        let first = format!("/api/v2/{segment}/{id}/versions?limit={limit}{sort}");
        let walked = caller.walk(&first, &listing, *limit).await;
        let numbers: Vec<String> = (1..=total).map(|n| n.to_string()).collect();
        check_listing(
            &listing,
            &walked,
            |version| version["number"].to_string(),
            &numbers,
            *limit,
        );
        for version in walked.items() {
            assert_eq!(version[entity(segment)]["id"], id.as_str(), "{version}");
            assert_eq!(
                version["contentTypeModified"].as_bool(),
                Some(false),
                "{version}"
            );
            assert!(
                version["authorId"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("t~")),
                "{version}"
            );
        }
    }

    // Upstream: nothing refused, and every listing's pages served once each, in order.
    let problems = standin.problems();
    assert!(problems.is_empty(), "the stand-in refused: {problems:#?}");
    let expected: BTreeMap<String, Vec<u32>> = caller
        .walked
        .iter()
        .map(|(listing, limit, pages)| {
            let offsets: Vec<u32> = (0..*pages).map(|page| page * limit).collect();
            (listing.clone(), offsets)
        })
        .collect();
    assert_eq!(
        expected.len(),
        caller.walked.len(),
        "a listing was walked twice"
    );
    assert_eq!(standin.served(), expected, "offsets served per listing");
}
