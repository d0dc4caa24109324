//! The generated tenant: people, groups, spaces, content, version histories and tasks of
//! a Confluence site of any size, each derived from its index alone (deterministic;
//! nothing is stored per item but group membership), in the JSON shapes of the golden
//! examples (`example-api-responses/original/`).
//!
//! Also what the scripts check an export against: [`Tenant::manifest`] lists every
//! listing `export --all` fetches with its item count and the fewest requests it needs at
//! each endpoint's largest `limit`.

use serde_json::{Map, Value, json};

use crate::clock::iso8601;

/// The site as Confluence names it in `_links.base` and `self` links.
pub(crate) const SITE: &str = "https://acme-widgets.atlassian.net";
/// Largest `limit` of the v2 endpoints (spaces, tasks, versions).
pub(crate) const V2_MAX: u64 = 250;
/// Largest `limit` of v1 content search with expansions other than `body`.
pub(crate) const SEARCH_MAX: u64 = 200;
/// Largest `limit` of v1 group listings (groups, members of a group).
pub(crate) const GROUP_MAX: u64 = 200;
/// Default `limit` of every endpoint when none is given.
pub(crate) const DEFAULT_LIMIT: u64 = 25;

const CONTENT_ID_BASE: u64 = 1_000_000;
const SPACE_ID_BASE: u64 = 100_000;
const TASK_ID_BASE: u64 = 50_000_000;
/// 2024-01-01T00:00:00Z.
const EPOCH_2024_MS: u64 = 1_704_067_200_000;
const HOUR_MS: u64 = 3_600_000;

const WORDS: [&str; 16] = [
    "Onboarding",
    "Roadmap",
    "Runbook",
    "Retro",
    "Design",
    "Incident",
    "Quarterly",
    "Planning",
    "Release",
    "Notes",
    "Architecture",
    "Hiring",
    "Budget",
    "Offsite",
    "Metrics",
    "Review",
];
/// Title endings with text a digest must count right (emoji, accents, CJK).
const ENDINGS: [&str; 4] = [
    "",
    " \u{1f680}",
    " \u{2014} \u{dc}berblick",
    " \u{65b0}\u{5165}\u{793e}\u{54e1}",
];

/// How big the tenant is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    pub(crate) items: u64,
    pub(crate) users: u64,
    pub(crate) groups: u64,
    pub(crate) spaces: u64,
    pub(crate) tasks: u64,
}

/// The two content types the content search lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Page,
    Blogpost,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Blogpost => "blogpost",
        }
    }

    /// The v2 path segment of the type (`pages`, `blogposts`).
    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::Page => "pages",
            Kind::Blogpost => "blogposts",
        }
    }
}

/// Which content a search lists (from the CQL's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentFilter {
    All,
    Only(Kind),
}

/// One paginated listing of the tenant.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Listing {
    Spaces,
    Tasks,
    Content(ContentFilter),
    Groups,
    /// The members of group number `.0`.
    Members(u64),
    /// The versions of content number `index`, newest first unless `ascending`.
    Versions {
        index: u64,
        ascending: bool,
    },
}

/// The tenant: its size and the little that is not derived from an index.
pub(crate) struct Tenant {
    size: Size,
    /// User numbers of each group, ascending.
    members: Vec<Vec<u32>>,
    /// Content numbers of the pages, ascending.
    pages: Vec<u32>,
    /// Content numbers of the blog posts, ascending.
    blogposts: Vec<u32>,
}

/// SplitMix64: a well-mixed 64-bit value of `x`.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `0..n` chosen by `seed` and `salt` (`n` > 0).
fn pick(seed: u64, salt: u64, n: u64) -> u64 {
    mix(seed ^ salt.wrapping_mul(0x0100_0000_01B3)) % n.max(1)
}

/// Fewest pages for `items` at `limit` per page (an empty listing still takes one).
pub(crate) fn pages_needed(items: u64, limit: u64) -> u64 {
    items.div_ceil(limit.max(1)).max(1)
}

impl Tenant {
    pub(crate) fn new(size: Size) -> Tenant {
        let groups = usize::try_from(size.groups.max(1)).unwrap_or(1);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); groups];
        let others = size.groups.saturating_sub(1);
        for user in 0..size.users {
            let number = u32::try_from(user).unwrap_or(u32::MAX);
            // Group 0 is `confluence-users`, the default group every account is in.
            members[0].push(number);
            if others > 0 {
                let first = 1 + user % others;
                push_member(&mut members, first, number);
                if user.is_multiple_of(3) {
                    let second = 1 + mix(user) % others;
                    if second != first {
                        push_member(&mut members, second, number);
                    }
                }
            }
        }
        let mut pages = Vec::new();
        let mut blogposts = Vec::new();
        for index in 0..size.items {
            let number = u32::try_from(index).unwrap_or(u32::MAX);
            match kind(index) {
                Kind::Page => pages.push(number),
                Kind::Blogpost => blogposts.push(number),
            }
        }
        Tenant {
            size,
            members,
            pages,
            blogposts,
        }
    }

    pub(crate) fn size(&self) -> Size {
        self.size
    }

    /// How many items `listing` has.
    pub(crate) fn count(&self, listing: Listing) -> u64 {
        match listing {
            Listing::Spaces => self.size.spaces,
            Listing::Tasks => self.size.tasks,
            Listing::Content(ContentFilter::All) => self.size.items,
            Listing::Content(ContentFilter::Only(Kind::Page)) => self.pages.len() as u64,
            Listing::Content(ContentFilter::Only(Kind::Blogpost)) => self.blogposts.len() as u64,
            Listing::Groups => self.size.groups,
            Listing::Members(group) => self.group_members(group).len() as u64,
            Listing::Versions { index, .. } => version_count(index),
        }
    }

    /// Item `k` (0-based, `k < count`) of `listing`.
    pub(crate) fn item(&self, listing: Listing, k: u64) -> Value {
        match listing {
            Listing::Spaces => self.space(k),
            Listing::Tasks => self.task(k),
            Listing::Content(filter) => {
                let index = match filter {
                    ContentFilter::All => Some(k),
                    ContentFilter::Only(Kind::Page) => nth(&self.pages, k),
                    ContentFilter::Only(Kind::Blogpost) => nth(&self.blogposts, k),
                };
                index.map_or(Value::Null, |index| self.content(index, true))
            }
            Listing::Groups => group(k),
            Listing::Members(group) => {
                let user = nth(self.group_members(group), k).unwrap_or(0);
                let mut member = self.user(user);
                member["timeZone"] = json!(TIME_ZONES[(user % 4) as usize]);
                member
            }
            Listing::Versions { index, ascending } => {
                let count = version_count(index);
                let number = if ascending { k + 1 } else { count - k };
                self.version(index, number)
            }
        }
    }

    fn group_members(&self, group: u64) -> &[u32] {
        usize::try_from(group)
            .ok()
            .and_then(|g| self.members.get(g))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The content number of a content id of type `kind`, if the tenant has it.
    pub(crate) fn content_index(&self, id: &str, expected: Kind) -> Option<u64> {
        let index = id.parse::<u64>().ok()?.checked_sub(CONTENT_ID_BASE)?;
        (index < self.size.items && kind(index) == expected).then_some(index)
    }

    /// The group number of a group id, if the tenant has it.
    pub(crate) fn group_index(&self, id: &str) -> Option<u64> {
        let tail = id.rsplit('-').next()?;
        let number = u64::from_str_radix(tail, 16).ok()?;
        (number < self.size.groups && group_id(number).eq_ignore_ascii_case(id)).then_some(number)
    }

    /// A v1 user (content history, group members), as Confluence returns it.
    pub(crate) fn user(&self, user: u64) -> Value {
        let id = account_id(user);
        let name = format!("Person {user}");
        let mut value = json!({
            "type": "known",
            "accountId": id,
            "accountType": "atlassian",
            "email": format!("person.{user}@acme-widgets.example"),
            "publicName": name,
            "profilePicture": {
                "path": format!("/wiki/aa-avatar/{id}"),
                "width": 48,
                "height": 48,
                "isDefault": false
            },
            "displayName": name,
            "isExternalCollaborator": false,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": format!("{SITE}/wiki/rest/api/user?accountId={id}")}
        });
        if user % 50 == 49 {
            value["email"] = json!(format!("person.{user}+contractor@Partner-Co.example"));
            value["isExternalCollaborator"] = json!(true);
        } else if user % 100 == 98 {
            // An app account: no email key at all.
            value["accountType"] = json!("app");
            if let Some(map) = value.as_object_mut() {
                map.remove("email");
            }
        }
        value
    }

    /// v1 content (a content-search result) with the history expansions the export asks
    /// for; `rich` adds the previous version and the contributors (the benchmark pages
    /// leave them out, so one result is about 2 KB).
    pub(crate) fn content(&self, index: u64, rich: bool) -> Value {
        let id = CONTENT_ID_BASE + index;
        let kind = kind(index);
        let space = pick(index, 1, self.size.spaces);
        let author = pick(index, 2, self.size.users);
        let editor = pick(index, 3, self.size.users);
        let versions = version_count(index);
        let created = created_ms(index);
        let modified = created + versions * HOUR_MS;
        let key = space_key(space);
        let latest = self.v1_version(id, editor, modified, versions);
        let mut history = Map::new();
        history.insert("latest".into(), json!(true));
        history.insert("createdBy".into(), self.user(author));
        history.insert("createdDate".into(), json!(iso8601(created)));
        history.insert("lastUpdated".into(), latest.clone());
        if rich && versions > 1 {
            let earlier = pick(index, 4, self.size.users);
            let when = modified - HOUR_MS;
            history.insert(
                "previousVersion".into(),
                self.v1_version(id, earlier, when, versions - 1),
            );
        }
        if rich {
            history.insert(
                "contributors".into(),
                json!({"publishers": {
                    "users": [self.user(editor)],
                    "userAccountIds": [account_id(editor), account_id(author)]
                }}),
            );
        }
        history.insert("_expandable".into(), json!({"nextVersion": ""}));
        history.insert(
            "_links".into(),
            json!({"self": format!("{SITE}/wiki/rest/api/content/{id}/history")}),
        );
        // Pages hang under the first page of their group of four.
        let parent = index - index % 4;
        let ancestors = if kind == Kind::Page && parent != index && self::kind(parent) == Kind::Page
        {
            let parent_id = CONTENT_ID_BASE + parent;
            json!([{
                "id": parent_id.to_string(),
                "type": "page",
                "status": "current",
                "title": title(parent),
                "_expandable": {"container": format!("/rest/api/space/{key}")},
                "_links": {"self": format!("{SITE}/wiki/rest/api/content/{parent_id}")}
            }])
        } else {
            json!([])
        };
        json!({
            "id": id.to_string(),
            "type": kind.name(),
            "status": "current",
            "title": title(index),
            "space": {
                "id": SPACE_ID_BASE + space,
                "key": key,
                "name": space_name(space),
                "type": space_type(space),
                "status": "current",
                "_expandable": {"homepage": "", "icon": "", "description": ""},
                "_links": {
                    "webui": format!("/spaces/{key}"),
                    "self": format!("{SITE}/wiki/rest/api/space/{key}")
                }
            },
            "history": Value::Object(history),
            "version": latest,
            "ancestors": ancestors,
            "extensions": {"position": index % 1000},
            "_expandable": {
                "childTypes": "",
                "container": format!("/rest/api/space/{key}"),
                "metadata": "",
                "operations": "",
                "children": format!("/rest/api/content/{id}/child"),
                "restrictions": format!("/rest/api/content/{id}/restriction/byOperation"),
                "descendants": format!("/rest/api/content/{id}/descendant")
            },
            "_links": {
                "webui": format!("/spaces/{key}/{}/{id}", kind.plural()),
                "edit": format!("/pages/resumedraft.action?draftId={id}"),
                "tinyui": format!("/x/{:x}", mix(id) & 0x00ff_ffff),
                "self": format!("{SITE}/wiki/rest/api/content/{id}")
            }
        })
    }

    fn v1_version(&self, id: u64, user: u64, when: u64, number: u64) -> Value {
        json!({
            "by": self.user(user),
            "when": iso8601(when),
            "friendlyWhen": iso8601(when).get(..10).unwrap_or_default(),
            "message": message(number),
            "number": number,
            "minorEdit": number.is_multiple_of(3),
            "contentTypeModified": false,
            "confRev": format!("confluence$content${id}.{number}"),
            "_expandable": {"collaborators": "", "content": format!("/rest/api/content/{id}")},
            "_links": {"self": format!("{SITE}/wiki/rest/api/content/{id}/version/{number}")}
        })
    }

    /// One element of a v2 `…/{id}/versions` list.
    fn version(&self, index: u64, number: u64) -> Value {
        let id = CONTENT_ID_BASE + index;
        let author = pick(index ^ (number << 32), 5, self.size.users);
        let mut value = json!({
            "createdAt": iso8601(created_ms(index) + number * HOUR_MS),
            "message": message(number),
            "number": number,
            "minorEdit": number.is_multiple_of(3),
            "authorId": account_id(author),
            "contentTypeModified": false,
            "collaborators": [account_id(author)]
        });
        value[kind(index).name()] = json!({"id": id.to_string(), "title": title(index)});
        value
    }

    /// A v2 space.
    fn space(&self, space: u64) -> Value {
        let id = SPACE_ID_BASE + space;
        let key = space_key(space);
        let owner = pick(space, 6, self.size.users);
        let mut value = json!({
            "id": id.to_string(),
            "key": key,
            "name": space_name(space),
            "type": space_type(space),
            "status": "current",
            "authorId": account_id(owner),
            "createdAt": iso8601(EPOCH_2024_MS - (space + 1) * 86_400_000),
            "homepageId": (CONTENT_ID_BASE + space % self.size.items.max(1)).to_string(),
            "spaceOwnerId": account_id(owner),
            "currentActiveAlias": key,
            "description": {"plain": {
                "value": format!("Space {space}: runbooks, plans and on-call notes."),
                "representation": "plain"
            }},
            "icon": {
                "path": format!("/wiki/download/attachments/{id}/icon?version=1&api=v2"),
                "apiDownloadLink": format!("/wiki/api/v2/spaces/{id}/icon")
            },
            "labels": {"results": [], "meta": {"hasMore": false, "cursor": null}},
            "_links": {"webui": format!("/spaces/{key}")}
        });
        if space_type(space) == "personal" {
            value["name"] = json!(format!("Person {owner}"));
        }
        value
    }

    /// A v2 task.
    fn task(&self, task: u64) -> Value {
        let content = pick(task, 7, self.size.items);
        let content_id = (CONTENT_ID_BASE + content).to_string();
        let creator = pick(task, 8, self.size.users);
        let assignee = pick(task, 9, self.size.users);
        let created = EPOCH_2024_MS + task * 600_000;
        let complete = task.is_multiple_of(3);
        let (page_id, blog_id) = match kind(content) {
            Kind::Page => (json!(content_id), Value::Null),
            Kind::Blogpost => (Value::Null, json!(content_id)),
        };
        json!({
            "id": (TASK_ID_BASE + task).to_string(),
            "localId": uuid(mix(task ^ 0x7A5C)),
            "spaceId": (SPACE_ID_BASE + pick(content, 1, self.size.spaces)).to_string(),
            "pageId": page_id,
            "blogPostId": blog_id,
            "status": if complete { "complete" } else { "incomplete" },
            "body": {"storage": {
                "representation": "storage",
                "value": format!(
                    "<ac:task-body>Follow up with <ac:link><ri:user ri:account-id=\"{}\" /></ac:link></ac:task-body>",
                    account_id(assignee)
                )
            }},
            "createdBy": account_id(creator),
            "assignedTo": if task % 5 == 4 { Value::Null } else { json!(account_id(assignee)) },
            "completedBy": if complete { json!(account_id(assignee)) } else { Value::Null },
            "createdAt": iso8601(created),
            "updatedAt": iso8601(created + HOUR_MS),
            "dueAt": iso8601(created + 7 * 86_400_000),
            "completedAt": if complete { json!(iso8601(created + 2 * HOUR_MS)) } else { Value::Null },
            "isBlank": false
        })
    }

    /// Every listing `export --all` fetches, with its item count and the fewest requests
    /// it needs at the largest `limit` of its endpoint; keys are the export's file stems.
    pub(crate) fn manifest(&self) -> Value {
        let mut listings = Map::new();
        let mut total_items = 0;
        let mut total_requests = 0;
        let mut add = |key: String, items: u64, limit: u64| {
            let requests = pages_needed(items, limit);
            total_items += items;
            total_requests += requests;
            listings.insert(key, json!([items, requests]));
        };
        add("spaces".into(), self.size.spaces, V2_MAX);
        add("tasks".into(), self.size.tasks, V2_MAX);
        add("content-search".into(), self.size.items, SEARCH_MAX);
        add("group".into(), self.size.groups, GROUP_MAX);
        add("accessible-resources".into(), 1, 1);
        for number in 0..self.size.groups {
            let members = self.group_members(number).len() as u64;
            add(
                format!("group-{}-membersByGroupId", group_id(number)),
                members,
                GROUP_MAX,
            );
        }
        for index in 0..self.size.items {
            let key = format!(
                "{}-{}-versions",
                kind(index).plural(),
                CONTENT_ID_BASE + index
            );
            add(key, version_count(index), V2_MAX);
        }
        json!({
            "maxLimits": {"v2": V2_MAX, "contentSearch": SEARCH_MAX, "group": GROUP_MAX},
            "totals": {"items": total_items, "requests": total_requests},
            "listings": Value::Object(listings)
        })
    }

    /// Request paths (short `/wiki/…` form, as a caller of `serve` sends them) that the
    /// rules allow, spread over every endpoint: the soak's mixed load.
    pub(crate) fn sample_paths(&self) -> Vec<String> {
        const EXPAND: &str = "history,history.lastUpdated,history.previousVersion,\
                              history.contributors.publishers,version,ancestors,space";
        let mut paths = vec![
            "/wiki/api/v2/spaces?limit=25".to_owned(),
            "/wiki/api/v2/spaces?limit=100&description-format=plain&sort=id".to_owned(),
            "/wiki/api/v2/tasks?limit=50".to_owned(),
            "/wiki/rest/api/group?limit=50&start=0".to_owned(),
            "/oauth/token/accessible-resources".to_owned(),
        ];
        for start in [0, 25, 100, 500] {
            if start < self.size.items {
                paths.push(format!(
                    "/wiki/rest/api/content/search?cql=type%20in%20%28page%2Cblogpost%29\
                     &expand={EXPAND}&limit=25&start={start}"
                ));
            }
        }
        for number in [0, 1, 2, self.size.groups / 2] {
            if number < self.size.groups {
                paths.push(format!(
                    "/wiki/rest/api/group/{}/membersByGroupId?limit=50&start=0",
                    group_id(number)
                ));
            }
        }
        for (kind, list) in [(Kind::Page, &self.pages), (Kind::Blogpost, &self.blogposts)] {
            for position in [0, list.len() / 3, list.len() / 2] {
                if let Some(index) = list.get(position) {
                    paths.push(format!(
                        "/wiki/api/v2/{}/{}/versions?limit=25",
                        kind.plural(),
                        CONTENT_ID_BASE + u64::from(*index)
                    ));
                }
            }
        }
        paths.dedup();
        paths
    }
}

const TIME_ZONES: [&str; 4] = [
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
];

fn push_member(members: &mut [Vec<u32>], group: u64, user: u32) {
    if let Some(list) = usize::try_from(group).ok().and_then(|g| members.get_mut(g)) {
        list.push(user);
    }
}

fn nth(list: &[u32], k: u64) -> Option<u64> {
    usize::try_from(k)
        .ok()
        .and_then(|k| list.get(k))
        .map(|n| u64::from(*n))
}

/// Whether content number `index` is a page or a blog post (one in ten is a blog post).
pub(crate) fn kind(index: u64) -> Kind {
    if mix(index ^ 0xB10C).is_multiple_of(10) {
        Kind::Blogpost
    } else {
        Kind::Page
    }
}

/// How many versions content number `index` has: 1–5, and one in 997 has a long history
/// (260–299 versions, more than one page of versions even at the largest `limit`).
pub(crate) fn version_count(index: u64) -> u64 {
    if index % 997 == 996 {
        260 + (index / 997) % 40
    } else {
        1 + mix(index ^ 0x7E55) % 5
    }
}

fn created_ms(index: u64) -> u64 {
    EPOCH_2024_MS + index * 37_000
}

fn title(index: u64) -> String {
    let h = mix(index ^ 0x717E);
    let first = WORDS[(h % 16) as usize];
    let second = WORDS[((h >> 8) % 16) as usize];
    let ending = ENDINGS[((h >> 16) % 4) as usize];
    format!("{first} {second} {index}{ending}")
}

fn message(number: u64) -> String {
    match number % 4 {
        0 => String::new(),
        1 => "Initial draft".to_owned(),
        2 => format!("Edits after review \u{1f50d} (round {number})"),
        _ => format!("  Fixed typos in section {number}  "),
    }
}

fn space_type(space: u64) -> &'static str {
    if space % 20 == 19 {
        "personal"
    } else {
        "global"
    }
}

fn space_key(space: u64) -> String {
    match space_type(space) {
        "personal" => format!("~{:016x}{:08x}", mix(space ^ 0x5EED), space),
        _ => format!("SP{space}"),
    }
}

fn space_name(space: u64) -> String {
    let h = mix(space ^ 0x5AC3);
    format!(
        "{} {} {space}",
        WORDS[(h % 16) as usize],
        WORDS[((h >> 8) % 16) as usize]
    )
}

/// A UUID-shaped id of `h` (version 4 layout; not random, derived).
fn uuid(h: u64) -> String {
    let low = mix(h);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (low >> 52) & 0xfff,
        low & 0xffff_ffff_ffff
    )
}

/// The account id of user `user`: `557058:` + a UUID whose last 24 bits are the number.
pub(crate) fn account_id(user: u64) -> String {
    let h = mix(user ^ 0xACC0);
    format!(
        "557058:{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 4) & 0xfff,
        (mix(h) & 0xffff_ff00_0000) | (user & 0x00ff_ffff)
    )
}

/// The id of group `number`: a UUID whose last 12 hex digits are the number.
pub(crate) fn group_id(number: u64) -> String {
    let h = mix(number ^ 0x6400);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{number:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 12) & 0xfff
    )
}

/// A v1 group.
fn group(number: u64) -> Value {
    let id = group_id(number);
    let (name, usage) = match number {
        0 => ("confluence-users".to_owned(), "USERBASE_GROUP"),
        _ => (format!("team-{number}"), "TEAM_COLLABORATION"),
    };
    json!({
        "type": "group",
        "name": name,
        "id": id,
        "usageType": usage,
        "_links": {"self": format!("{SITE}/wiki/rest/api/group/by-id?id={id}")}
    })
}
