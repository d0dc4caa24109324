//! Which endpoints an export fetches, derived from a rules file.
//!
//! `--all` takes every `pathTemplate` endpoint of the rules: those whose only parameters are
//! `{cloudId}` and `{version}` (filled from the schema's enum) are fetched first; those with
//! an id (`pages/{id}/versions`, `group/{groupId}/membersByGroupId`, …) are fetched for the
//! ids found in the first round's output, when [`id_source`] knows where such ids come
//! from. `pathRegex` endpoints cannot be enumerated and are reported as skipped.
//! Every job writes `<key>.ndjson`; keys are path-derived and safe as file names. Jobs of
//! one endpoint share a kind (`pages-ID-versions`), which the summary groups by.

use super::ids::IdList;
use crate::rules::{Endpoint, ParamSchema, PathMatcher, RuleSet};

/// One paginated listing to export.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Job {
    /// File stem and state key, e.g. `spaces`, `pages-65538-versions`.
    pub key: String,
    /// What the summary groups by: the key, with the id as `ID` (`pages-ID-versions`).
    pub kind: String,
    /// First page: path and query relative to the proxy base.
    pub url: String,
}

/// An id-bearing endpoint, waiting for ids.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Templated {
    /// Path with the site prefix applied and the id as `{}`.
    pub path: String,
    pub query: String,
    pub source: Option<IdSource>,
}

/// Where ids for an id-bearing endpoint are found: items of job `key` whose `type` (when
/// given) matches; the id is the item's `id`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IdSource {
    pub key: &'static str,
    pub item_type: Option<&'static str>,
}

/// The plan for `--all`.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub first: Vec<Job>,
    pub templated: Vec<Templated>,
    /// Endpoints that cannot be exported, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// What the query of each endpoint is built from.
#[derive(Debug, Clone)]
pub(super) struct QueryOptions {
    /// `--limit`: the page size for every endpoint; `None` asks each for its largest
    /// ([`largest_limit`]), so a tenant takes the fewest requests.
    pub limit: Option<u32>,
    /// `--since` (YYYY-MM-DD): restricts the content search by `lastmodified`.
    pub since: Option<String>,
}

/// The id-bearing segment before `{id}` → where its ids come from.
fn id_source(kind: &str) -> Option<IdSource> {
    let (key, item_type) = match kind {
        "pages" => ("content-search", Some("page")),
        "blogposts" => ("content-search", Some("blogpost")),
        "group" => ("group", None),
        _ => return None,
    };
    Some(IdSource { key, item_type })
}

pub(super) fn plan(rules: &RuleSet, prefix: &str, options: &QueryOptions) -> Plan {
    let mut plan = Plan::default();
    for endpoint in &rules.endpoints {
        let PathMatcher::Template { params, .. } = &endpoint.matcher else {
            plan.skipped.push((
                endpoint.label.clone(),
                "pathRegex: cannot be enumerated".into(),
            ));
            continue;
        };
        let query = match query_for(endpoint, options) {
            Ok(query) => query,
            Err(reason) => {
                plan.skipped.push((endpoint.label.clone(), reason));
                continue;
            }
        };
        match fill_template(endpoint, params, prefix) {
            Ok((path, None)) => plan.first.push(Job {
                key: key_for(&path),
                kind: key_for(&path),
                url: join(&path, &query),
            }),
            Ok((path, Some(kind))) => plan.templated.push(Templated {
                path,
                query,
                source: id_source(&kind),
            }),
            Err(reason) => plan.skipped.push((endpoint.label.clone(), reason)),
        }
    }
    plan
}

/// Fills `{cloudId}` (via the prefix) and `{version}`; leaves at most one id as `{}` and
/// returns the path segment naming its kind.
fn fill_template(
    endpoint: &Endpoint,
    params: &[String],
    prefix: &str,
) -> Result<(String, Option<String>), String> {
    let mut path = endpoint.label.clone();
    if let Some(rest) = path.strip_prefix("/ex/confluence/{cloudId}") {
        path = format!("{prefix}{rest}");
    }
    let mut kind = None;
    for name in params.iter().filter(|n| n.as_str() != "cloudId") {
        let placeholder = format!("{{{name}}}");
        if name == "version" {
            let value = first_enum(endpoint, name).ok_or("{version} has no enum value")?;
            path = path.replace(&placeholder, &value);
        } else if kind.is_none() {
            let before = path.split(&placeholder).next().unwrap_or("");
            kind = Some(
                before
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            );
            path = path.replace(&placeholder, "{}");
        } else {
            return Err(format!("more than one id parameter ({name})"));
        }
    }
    Ok((path, kind))
}

fn first_enum(endpoint: &Endpoint, name: &str) -> Option<String> {
    let (_, schema) = endpoint
        .path_parameter_schemas
        .iter()
        .find(|(n, _)| n == name)?;
    schema.enumeration.as_ref()?.first().cloned()
}

/// The first page's query: `limit` when allowed, plus what required parameters need.
fn query_for(endpoint: &Endpoint, options: &QueryOptions) -> Result<String, String> {
    let allowed = |name: &str| {
        endpoint
            .allowed_query_params
            .as_ref()
            .is_none_or(|list| list.iter().any(|p| p == &name.to_ascii_lowercase()))
    };
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if endpoint.label.ends_with("/content/search") {
        let mut cql = "type in (page,blogpost)".to_owned();
        if let Some(since) = &options.since {
            cql.push_str(&format!(" and lastmodified >= \"{since}\""));
        }
        pairs.push(("cql", cql));
        pairs.push(("expand", CONTENT_EXPAND.to_owned()));
    }
    if allowed("limit") {
        let limit = options
            .limit
            .unwrap_or_else(|| largest_limit(&endpoint.label));
        pairs.push(("limit", limit.to_string()));
    }
    let required = endpoint
        .query_param_schemas
        .iter()
        .filter(|(_, s)| is_required(s));
    for (name, _) in required {
        if !pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "needs query parameter {name}, which export cannot choose"
            ));
        }
    }
    Ok(pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&"))
}

/// The largest page size Confluence Cloud serves on an endpoint (a larger `limit` is cut
/// to it silently): 250 on the v2 API (`/wiki/api/…`, in rules written `/wiki/api/v2/…` or
/// `/wiki/api/{version}/…`), 200 on v1 content search when no `body` is expanded (the
/// export expands none), 200 on v1 groups and group members; 100 on any other endpoint, a
/// size every v1 listing accepts.
pub(super) fn largest_limit(label: &str) -> u32 {
    let path = label.split('?').next().unwrap_or(label);
    if path.contains("/wiki/api/") {
        250
    } else if path.ends_with("/wiki/rest/api/content/search")
        || path.contains("/wiki/rest/api/group")
    {
        200
    } else {
        100
    }
}

fn is_required(schema: &ParamSchema) -> bool {
    schema.required
}

/// History expansions the content search is useful for (what the rules sanitize).
const CONTENT_EXPAND: &str = "history,history.lastUpdated,history.previousVersion,\
                              history.contributors.publishers,version,ancestors,space";

/// Query-component percent-encoding (RFC 3986 unreserved kept, `,` kept for `expand`).
/// A space is `%20`, never `+`: SigV4 canonicalizes `+` ambiguously across services.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn join(path: &str, query: &str) -> String {
    match query.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{query}"),
    }
}

/// `…/wiki/api/v2/pages/65538/versions` → `pages-65538-versions`.
pub(super) fn key_for(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let tail = ["/wiki/api/v2/", "/wiki/rest/api/", "/oauth/token/"]
        .iter()
        .find_map(|marker| path.split_once(marker).map(|(_, t)| t))
        .unwrap_or(path);
    let key: String = tail
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if key.is_empty() {
        "root".to_owned()
    } else {
        key
    }
}

impl Templated {
    /// The kind of its jobs: `pages-ID-versions`.
    pub(super) fn kind(&self) -> String {
        key_for(&self.path.replace("{}", "ID"))
    }
}

/// Jobs for a templated endpoint, one per id, made as they are taken.
pub(super) fn jobs_for(
    templated: Templated,
    ids: IdList,
) -> impl Iterator<Item = Job> + Send + 'static {
    let kind = templated.kind();
    ids.into_owned_iter().map(move |id| {
        let path = templated.path.replacen("{}", &id, 1);
        Job {
            key: key_for(&path),
            kind: kind.clone(),
            url: join(&path, &templated.query),
        }
    })
}
