//! The export plan for the shipped rules, and id discovery.

#![allow(clippy::unwrap_used)]

use super::endpoints::*;
use super::ids::ids_from_ndjson;

fn shipped() -> crate::rules::RuleSet {
    let (origin, text) = crate::rules::SHIPPED_RULES;
    crate::rules::from_str(text, origin).unwrap()
}

fn options(since: Option<&str>) -> QueryOptions {
    QueryOptions {
        limit: Some(50),
        since: since.map(str::to_owned),
    }
}

#[test]
fn shipped_rules_plan_no_id_endpoints_first() {
    let plan = plan(
        &shipped(),
        "/ex/confluence/c1",
        &options(Some("2024-05-01")),
    );
    let first: Vec<(&str, &str)> = plan
        .first
        .iter()
        .map(|j| (j.key.as_str(), j.url.as_str()))
        .collect();
    let expected = [
        ("spaces", "/ex/confluence/c1/wiki/api/v2/spaces?limit=50"),
        ("tasks", "/ex/confluence/c1/wiki/api/v2/tasks?limit=50"),
        (
            "content-search",
            "/ex/confluence/c1/wiki/rest/api/content/search?cql=type%20in%20%28page,blogpost%29%20and%20lastmodified%20%3E%3D%20%222024-05-01%22\
             &expand=history,history.lastUpdated,history.previousVersion,history.contributors.publishers,version,ancestors,space&limit=50",
        ),
        ("group", "/ex/confluence/c1/wiki/rest/api/group?limit=50"),
        ("accessible-resources", "/oauth/token/accessible-resources"),
    ];
    for (key, url) in expected {
        assert!(
            first.contains(&(key, url)),
            "missing ({key}, {url}) in {first:#?}"
        );
    }
    assert_eq!(first.len(), expected.len(), "{first:#?}");
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
}

#[test]
fn shipped_rules_id_endpoints_know_their_id_sources() {
    let plan = plan(&shipped(), "", &options(None));
    let find = |needle: &str| {
        plan.templated
            .iter()
            .find(|t| t.path.contains(needle))
            .unwrap_or_else(|| panic!("no templated endpoint {needle}: {:#?}", plan.templated))
    };
    let cases = [
        ("/pages/{}/versions", Some(("content-search", Some("page")))),
        (
            "/blogposts/{}/versions",
            Some(("content-search", Some("blogpost"))),
        ),
        ("/group/{}/membersByGroupId", Some(("group", None))),
        ("/attachments/{}/versions", None),
    ];
    for (needle, expected) in cases {
        let templated = find(needle);
        let got = templated.source.as_ref().map(|s| (s.key, s.item_type));
        assert_eq!(got, expected, "{needle}");
        assert!(
            templated.path.starts_with("/wiki/"),
            "short path: {}",
            templated.path
        );
    }
    let ids = ids_from_ndjson(&b"{\"id\":\"65538\"}\n{\"id\":\"../x\"}\n"[..], None);
    let jobs: Vec<Job> = jobs_for(find("/pages/{}/versions").clone(), ids).collect();
    assert_eq!(jobs.len(), 1, "unsafe ids are dropped: {jobs:?}");
    assert_eq!(jobs[0].key, "pages-65538-versions");
    assert_eq!(jobs[0].kind, "pages-ID-versions");
    assert_eq!(jobs[0].url, "/wiki/api/v2/pages/65538/versions?limit=50");
}

#[test]
fn keys_are_path_derived_file_names() {
    let cases = [
        ("/ex/confluence/c/wiki/api/v2/spaces?limit=3", "spaces"),
        ("/wiki/rest/api/content/search?cql=x", "content-search"),
        ("/oauth/token/accessible-resources", "accessible-resources"),
        (
            "/ex/confluence/c/wiki/rest/api/group/ab-12/membersByGroupId",
            "group-ab-12-membersByGroupId",
        ),
        ("/weird/p@th", "weird-p-th"),
    ];
    for (path, key) in cases {
        assert_eq!(key_for(path), key, "{path}");
    }
}

#[test]
fn without_limit_each_endpoint_is_asked_for_its_largest_page() {
    let none = QueryOptions {
        limit: None,
        since: None,
    };
    let plan = plan(&shipped(), "/ex/confluence/c1", &none);
    let limit_of = |url: &str| {
        url.split(['?', '&'])
            .find_map(|pair| pair.strip_prefix("limit="))
            .map(str::to_owned)
    };
    let first: Vec<(&str, Option<String>)> = plan
        .first
        .iter()
        .map(|j| (j.key.as_str(), limit_of(&j.url)))
        .collect();
    let expected = [
        ("spaces", Some("250")),
        ("tasks", Some("250")),
        ("content-search", Some("200")),
        ("group", Some("200")),
        // No `limit` among its allowed parameters: none is sent.
        ("accessible-resources", None),
    ];
    for (key, limit) in expected {
        assert!(
            first.contains(&(key, limit.map(str::to_owned))),
            "{key}: want limit {limit:?} in {first:#?}"
        );
    }
    let templated: Vec<(String, Option<String>)> = plan
        .templated
        .iter()
        .map(|t| (t.kind(), limit_of(&format!("?{}", t.query))))
        .collect();
    for (kind, limit) in &templated {
        let want = match kind.as_str() {
            "group-ID-membersByGroupId" => "200",
            _ => "250",
        };
        assert_eq!(limit.as_deref(), Some(want), "{kind} in {templated:#?}");
    }
    assert_eq!(largest_limit("/ex/confluence/c/wiki/rest/api/space"), 100);
}
