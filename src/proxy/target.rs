//! The target of a request: which path and query the rules judge (docs/proxy.md,
//! "Pipeline"): the request's own, or the `X-Psoxy-TargetPath`/`-TargetQuery` overrides,
//! with `/<function name>` stripped and `/wiki/...` short paths expanded.
//!
//! Invariant: path and query stay raw (percent-encoded) text from here to the upstream
//! URL, so the rules gate and the upstream see the same bytes; the only rewrite after the
//! gate is the reversal of `p~` tokens (`pseudonym::url`), whose originals are
//! percent-encoded.

use axum::http::HeaderMap;

use super::error::ProxyError;

pub(super) const TARGET_PATH_HEADER: &str = "x-psoxy-targetpath";
pub(super) const TARGET_QUERY_HEADER: &str = "x-psoxy-targetquery";
/// Longest override value accepted.
pub(super) const MAX_OVERRIDE_LEN: usize = 4096;

/// Raw path and query (`None` when the request had no `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub path: String,
    pub query: Option<String>,
}

/// Applies `X-Psoxy-TargetPath` / `X-Psoxy-TargetQuery` to the request's own target.
pub(super) fn apply_overrides(
    mut target: Target,
    headers: &HeaderMap,
) -> Result<Target, ProxyError> {
    if let Some(path) = override_value(headers, TARGET_PATH_HEADER)? {
        if !path.starts_with('/') {
            return Err(ProxyError::InvalidRequest(
                "X-Psoxy-TargetPath must start with /",
            ));
        }
        target.path = path;
    }
    if let Some(query) = override_value(headers, TARGET_QUERY_HEADER)? {
        let query = query.strip_prefix('?').unwrap_or(&query).to_owned();
        target.query = Some(query);
    }
    Ok(target)
}

/// One override header, validated: single, printable ASCII, no `?`/`#`/whitespace, bounded.
fn override_value(headers: &HeaderMap, name: &'static str) -> Result<Option<String>, ProxyError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = ProxyError::InvalidRequest(match name {
        TARGET_PATH_HEADER => "invalid X-Psoxy-TargetPath header",
        _ => "invalid X-Psoxy-TargetQuery header",
    });
    if values.next().is_some() || value.len() > MAX_OVERRIDE_LEN {
        return Err(invalid);
    }
    let bytes = value.as_bytes();
    let printable = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
    // A `?` in the query override is only tolerated as its first character.
    let body = match name {
        TARGET_QUERY_HEADER => bytes.strip_prefix(b"?").unwrap_or(bytes),
        _ => bytes,
    };
    if bytes.is_empty() || !printable || body.iter().any(|b| matches!(b, b'?' | b'#')) {
        return Err(invalid);
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// `/wiki/...` means `/ex/confluence/<cloudId>/wiki/...` when a cloud id is set.
pub(super) fn expand_short_path(path: &str, cloud_id: Option<&str>) -> String {
    match cloud_id {
        Some(id) if path == "/wiki" || path.starts_with("/wiki/") => {
            format!("/ex/confluence/{id}{path}")
        }
        _ => path.to_owned(),
    }
}

/// With `CONFLUENCE_CLOUD_ID` configured, a path may name only that site: a request for
/// another cloud id would spend this deployment's token on a site it was not set up for
/// (and a refusal there is not curable by a refresh).
pub(super) fn check_cloud_id(path: &str, cloud_id: Option<&str>) -> Result<(), ProxyError> {
    let Some(configured) = cloud_id else {
        return Ok(());
    };
    let named = path
        .strip_prefix("/ex/confluence/")
        .map(|rest| rest.split('/').next().unwrap_or_default());
    match named {
        Some(site) if !site.eq_ignore_ascii_case(configured) => Err(ProxyError::InvalidRequest(
            "the path names another Confluence site than CONFLUENCE_CLOUD_ID",
        )),
        _ => Ok(()),
    }
}

/// Strips `PATH_PREFIX` when the path starts with it as whole segments (`/prod/wiki` →
/// `/wiki`, `/prod` → `/`; `/production/wiki` is left alone).
pub(super) fn strip_path_prefix(path: &str, prefix: Option<&str>) -> String {
    match prefix.and_then(|p| path.strip_prefix(p)) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => path.to_owned(),
    }
}

/// Strips a leading `/<function name>` segment (Psoxy's API-Gateway style URLs).
pub(super) fn strip_function_name(path: &str, function_name: Option<&str>) -> String {
    let rest = function_name
        .filter(|n| !n.is_empty())
        .and_then(|name| path.strip_prefix('/')?.strip_prefix(name));
    match rest {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn override_validation_table() {
        let long = format!("/{}", "a".repeat(MAX_OVERRIDE_LEN));
        let cases: Vec<(&str, &str, bool)> = vec![
            (TARGET_PATH_HEADER, "/wiki/api/v2/spaces", true),
            (TARGET_PATH_HEADER, "wiki/api", false),
            (TARGET_PATH_HEADER, "/a b", false),
            (TARGET_PATH_HEADER, "/a?b=1", false),
            (TARGET_PATH_HEADER, "/a#frag", false),
            (TARGET_PATH_HEADER, "/a\tb", false),
            (TARGET_PATH_HEADER, &long, false),
            (TARGET_QUERY_HEADER, "limit=3", true),
            (TARGET_QUERY_HEADER, "?limit=3", true),
            (TARGET_QUERY_HEADER, "a=1?b", false),
            (TARGET_QUERY_HEADER, "a=1#b", false),
        ];
        let base = Target {
            path: "/x".into(),
            query: None,
        };
        for (name, value, ok) in cases {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_str(value).unwrap());
            let result = apply_overrides(base.clone(), &headers);
            assert_eq!(result.is_ok(), ok, "{name}: {value:?}");
        }
    }

    #[test]
    fn short_paths_and_function_names() {
        assert_eq!(
            expand_short_path("/wiki/api", Some("c1")),
            "/ex/confluence/c1/wiki/api"
        );
        assert_eq!(expand_short_path("/wikis", Some("c1")), "/wikis");
        assert_eq!(expand_short_path("/wiki/api", None), "/wiki/api");
        assert_eq!(strip_function_name("/fn/wiki", Some("fn")), "/wiki");
        assert_eq!(strip_function_name("/fnx/wiki", Some("fn")), "/fnx/wiki");
        assert_eq!(strip_function_name("/fn", Some("fn")), "/");
        assert_eq!(strip_path_prefix("/prod/wiki/x", Some("/prod")), "/wiki/x");
        assert_eq!(strip_path_prefix("/prod", Some("/prod")), "/");
        assert_eq!(
            strip_path_prefix("/production/wiki", Some("/prod")),
            "/production/wiki"
        );
        assert_eq!(strip_path_prefix("/wiki", Some("/prod")), "/wiki");
        assert_eq!(strip_path_prefix("/wiki", None), "/wiki");
    }

    #[test]
    fn a_configured_cloud_id_pins_the_site() {
        let cases = [
            ("/ex/confluence/c1/wiki/api", Some("c1"), true),
            ("/ex/confluence/C1/wiki/api", Some("c1"), true),
            ("/ex/confluence/other/wiki/api", Some("c1"), false),
            ("/ex/confluence/other/wiki/api", None, true),
            ("/oauth/token/accessible-resources", Some("c1"), true),
        ];
        for (path, cloud_id, ok) in cases {
            assert_eq!(
                check_cloud_id(path, cloud_id).is_ok(),
                ok,
                "{path} {cloud_id:?}"
            );
        }
    }
}
