//! Confluence pagination: where the next page is, and the items of a page.
//!
//! The next page comes from the `Link: <…>; rel="next"` header (v2) or `_links.next` in the
//! body (v2 and v1). Confluence writes these relative to its `/wiki` context: v2 links start
//! `/wiki/…`, v1 links `/rest/…`. Through the proxy they are re-rooted under
//! `/ex/confluence/{cloudId}` (or left as `/wiki/…` short paths when no cloud id is given
//! and the proxy maps them). Absolute links keep only their path and query, so a page can
//! never send the exporter to another host.

use serde_json::Value;

/// Path prefix Confluence paths live under at the proxy: `/ex/confluence/{id}` or ``.
pub(super) fn site_prefix(cloud_id: Option<&str>) -> String {
    cloud_id.map_or_else(String::new, |id| format!("/ex/confluence/{id}"))
}

/// The next page's path and query, relative to the proxy base; `None` on the last page.
pub(super) fn next_page(link_header: Option<&str>, body: &Value, prefix: &str) -> Option<String> {
    let raw = link_header
        .and_then(next_from_link_header)
        .or_else(|| body.pointer("/_links/next")?.as_str().map(str::to_owned))?;
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(reroot(&strip_origin(raw), prefix))
}

/// The `rel="next"` target of an RFC 8288 `Link` header.
fn next_from_link_header(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().to_ascii_lowercase();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

/// `https://host/x?y` → `/x?y`; a relative link unchanged.
fn strip_origin(link: &str) -> String {
    match link.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(at) => rest[at..].to_owned(),
            None => "/".to_owned(),
        },
        None => link.to_owned(),
    }
}

/// Puts a Confluence-relative path under the site prefix.
pub(super) fn reroot(path: &str, prefix: &str) -> String {
    if path.starts_with("/ex/") || path.starts_with("/oauth/") {
        path.to_owned()
    } else if path.starts_with("/wiki/") {
        format!("{prefix}{path}")
    } else {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("{prefix}/wiki{slash}{path}")
    }
}

/// The items of a page: its `results` array, the elements of a top-level array, or the
/// whole document as one item.
pub(super) fn items(body: &Value) -> Vec<&Value> {
    match body {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => match map.get("results") {
            Some(Value::Array(items)) => items.iter().collect(),
            _ => vec![body],
        },
        _ => vec![body],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_links_are_rerooted_under_the_site() {
        let p = "/ex/confluence/c1";
        let cases: [(Option<&str>, Value, &str, Option<&str>); 9] = [
            // v2: the Link header wins over the body.
            (
                Some(r#"</wiki/api/v2/spaces?cursor=B>; rel="next", <https://x/wiki>; rel="base""#),
                json!({"_links": {"next": "/wiki/api/v2/spaces?cursor=A"}}),
                p,
                Some("/ex/confluence/c1/wiki/api/v2/spaces?cursor=B"),
            ),
            (
                None,
                json!({"_links": {"next": "/wiki/api/v2/tasks?cursor=A"}}),
                p,
                Some("/ex/confluence/c1/wiki/api/v2/tasks?cursor=A"),
            ),
            // v1: relative to the /wiki context.
            (
                None,
                json!({"_links": {"next": "/rest/api/group?limit=3&start=3"}}),
                p,
                Some("/ex/confluence/c1/wiki/rest/api/group?limit=3&start=3"),
            ),
            // No cloud id: the proxy's short paths.
            (
                None,
                json!({"_links": {"next": "/rest/api/group?start=3"}}),
                "",
                Some("/wiki/rest/api/group?start=3"),
            ),
            // Absolute links keep path and query only.
            (
                None,
                json!({"_links": {"next": "https://evil.example/wiki/api/v2/spaces?cursor=Z"}}),
                p,
                Some("/ex/confluence/c1/wiki/api/v2/spaces?cursor=Z"),
            ),
            (
                None,
                json!({"_links": {"next": "/ex/confluence/c1/wiki/api/v2/spaces?cursor=Q"}}),
                p,
                Some("/ex/confluence/c1/wiki/api/v2/spaces?cursor=Q"),
            ),
            // Last pages.
            (
                None,
                json!({"_links": {"prev": "/rest/api/group?start=0"}}),
                p,
                None,
            ),
            (
                Some(r#"<https://x/wiki>; rel="base""#),
                json!({"results": []}),
                p,
                None,
            ),
            (None, json!([{"id": "a"}]), p, None),
        ];
        for (header, body, prefix, expected) in cases {
            assert_eq!(
                next_page(header, &body, prefix).as_deref(),
                expected,
                "header {header:?}, body {body}"
            );
        }
    }

    /// Confluence's v1 next links for groups, group members and content search carry
    /// `next=true` (with `start`, or with a `cursor` and the original query): followed as
    /// given, query untouched.
    #[test]
    fn v1_next_true_links_are_followed_as_given() {
        let p = "/ex/confluence/c1";
        let cases = [
            (
                "/rest/api/group?next=true&limit=100&start=100",
                "/ex/confluence/c1/wiki/rest/api/group?next=true&limit=100&start=100",
            ),
            (
                "/rest/api/group/00000000-0000-4000-8000-000000000001/membersByGroupId?next=true&limit=100&start=100",
                "/ex/confluence/c1/wiki/rest/api/group/00000000-0000-4000-8000-000000000001/membersByGroupId?next=true&limit=100&start=100",
            ),
            (
                "/rest/api/content/search?next=true&cursor=_f_MjU%3D_sa_WyJcdDEyMyJd&limit=25&cql=type%20in%20(page)&expand=history,version",
                "/ex/confluence/c1/wiki/rest/api/content/search?next=true&cursor=_f_MjU%3D_sa_WyJcdDEyMyJd&limit=25&cql=type%20in%20(page)&expand=history,version",
            ),
        ];
        for (link, expected) in cases {
            let body = json!({"results": [], "_links": {"next": link, "context": "/wiki"}});
            assert_eq!(
                next_page(None, &body, p).as_deref(),
                Some(expected),
                "{link}"
            );
        }
    }

    #[test]
    fn items_of_a_page() {
        let cases = [
            (json!({"results": [{"id": 1}, {"id": 2}], "_links": {}}), 2),
            (json!([{"id": "site"}]), 1),
            (json!({"results": []}), 0),
            (json!({"id": "single"}), 1),
        ];
        for (body, count) in cases {
            assert_eq!(items(&body).len(), count, "{body}");
        }
    }
}
