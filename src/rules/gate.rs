//! Request gating: may this method + path + query be forwarded, and under which endpoint?
//! (docs/rules.md, "Request gating").
//!
//! Order: path hardening first (nothing else looks at a path that failed it); then the
//! endpoints in file order: path match, query parameters (parsed once) against
//! `allowedQueryParams` and `queryParamSchemas` (incl. `required`), path parameters
//! against `pathParameterSchemas`, and the method. The first endpoint that admits the
//! request wins. When endpoints matched the path but all refused, the reason given is
//! the first one's; when none matched, `NoEndpoint`.
//!
//! Invariant: a [`BlockReason`]'s `Display` carries no parameter *values*, no path text
//! and no name the caller chose — it goes to logs. It names parameters the rules file
//! declares; an undeclared parameter's name (the caller's text) is kept in the value for
//! tools run by the rules author (`pseudoproxy sanitize`), never displayed.

use std::fmt;

use regex::Regex;

use super::model::{Endpoint, PathMatcher, RuleSet};
use super::path_guard::{self, PathProblem};
use super::query::{self, QueryParam};

/// The endpoint that admits a request.
#[derive(Debug)]
pub struct Matched<'r> {
    /// Position of the endpoint in the rules file (0-based).
    pub index: usize,
    pub endpoint: &'r Endpoint,
    /// Template parameters (or named `pathRegex` groups) as they appear in the raw path,
    /// still percent-encoded. Schemas were checked against the decoded values.
    pub path_params: Vec<(String, String)>,
}

/// A refused request. Answered with 403 `BLOCKED_BY_RULES` and never sent upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocked by rules: {reason}")]
pub struct Blocked {
    pub reason: BlockReason,
}

/// Why a request was refused, for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockReason {
    PathNotCanonical(PathProblem),
    NoEndpoint,
    MethodNotAllowed,
    /// A malformed `%` escape, or bytes that are not UTF-8, in the query.
    QueryNotCanonical,
    QueryParamNotAllowed {
        name: String,
    },
    RequiredQueryParamMissing {
        name: String,
    },
    /// A path or query parameter whose value its schema refuses.
    ParamValueInvalid {
        name: String,
    },
    /// A CQL parameter whose query its grammar refuses; `kind` names the rule broken.
    CqlRefused {
        name: String,
        kind: &'static str,
    },
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockReason::PathNotCanonical(problem) => write!(f, "path not canonical ({problem})"),
            BlockReason::NoEndpoint => f.write_str("no endpoint matches the path"),
            BlockReason::MethodNotAllowed => f.write_str("method not allowed"),
            BlockReason::QueryNotCanonical => f.write_str("malformed query string"),
            BlockReason::QueryParamNotAllowed { .. } => {
                f.write_str("a query parameter the endpoint does not allow")
            }
            BlockReason::RequiredQueryParamMissing { name } => {
                write!(f, "required query parameter `{name}` missing")
            }
            BlockReason::ParamValueInvalid { name } => {
                write!(f, "value of parameter `{name}` refused by its schema")
            }
            BlockReason::CqlRefused { name, kind } => {
                write!(
                    f,
                    "CQL of parameter `{name}` refused by its grammar ({kind})"
                )
            }
        }
    }
}

impl RuleSet {
    /// Decides whether a request may be forwarded. `path` is the raw (percent-encoded)
    /// path after prefix stripping; `query` is the raw text after `?`, `None` when the
    /// request has no `?`.
    pub fn gate(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Result<Matched<'_>, Blocked> {
        let block = |reason| Blocked { reason };
        path_guard::check(path).map_err(|p| block(BlockReason::PathNotCanonical(p)))?;
        let mut params: Option<Vec<QueryParam>> = None;
        let mut first_refusal = None;
        for (index, endpoint) in self.endpoints.iter().enumerate() {
            let Some(path_params) = match_path(endpoint, path, query) else {
                continue;
            };
            let params = match &mut params {
                Some(parsed) => &*parsed,
                None => {
                    let parsed = query::parse(query.unwrap_or_default())
                        .map_err(|_| block(BlockReason::QueryNotCanonical))?;
                    params.insert(parsed)
                }
            };
            match admit(endpoint, method, params, &path_params) {
                Ok(()) => {
                    return Ok(Matched {
                        index,
                        endpoint,
                        path_params,
                    });
                }
                Err(reason) => {
                    first_refusal.get_or_insert(reason);
                }
            }
        }
        Err(block(first_refusal.unwrap_or(BlockReason::NoEndpoint)))
    }

    /// Checks the path and query *as they will be sent upstream* for `endpoint` (after
    /// the proxy replaced `p~` tokens by their percent-encoded originals): the path must
    /// still pass path hardening, and the query must parse with only names the endpoint
    /// allows. Values are not re-checked against their schemas (a reversed original no
    /// longer looks like a pseudonym); the encoding of originals keeps them values.
    pub fn check_upstream(
        &self,
        endpoint: &Endpoint,
        path: &str,
        query: Option<&str>,
    ) -> Result<(), Blocked> {
        let block = |reason| Blocked { reason };
        path_guard::check(path).map_err(|p| block(BlockReason::PathNotCanonical(p)))?;
        let params = query::parse(query.unwrap_or_default())
            .map_err(|_| block(BlockReason::QueryNotCanonical))?;
        if let Some(p) = params.iter().find(|p| !name_allowed(endpoint, p)) {
            return Err(block(BlockReason::QueryParamNotAllowed {
                name: p.name.clone(),
            }));
        }
        // A reversed original inside CQL must not have changed the query's structure.
        for (name, schema) in &endpoint.query_param_schemas {
            let Some(grammar) = &schema.cql else { continue };
            for p in params.iter().filter(|p| p.folded == *name) {
                grammar.check_structure(&p.value).map_err(|refusal| {
                    block(BlockReason::CqlRefused {
                        name: name.clone(),
                        kind: refusal.kind(),
                    })
                })?;
            }
        }
        Ok(())
    }
}

/// Whether the endpoint allows a query parameter of this name (absent list: any name).
fn name_allowed(endpoint: &Endpoint, param: &QueryParam) -> bool {
    let allowed = endpoint.allowed_query_params.as_ref();
    allowed.is_none_or(|allowed| allowed.contains(&param.folded))
}

/// The endpoint's captured path parameters if its matcher accepts the request.
fn match_path(
    endpoint: &Endpoint,
    path: &str,
    query: Option<&str>,
) -> Option<Vec<(String, String)>> {
    // Most endpoints do not match. A template's literal tail (what follows its last
    // parameter) rejects most of them without a regex, `is_match` most of the rest on
    // the fast engines, and only the one that matches pays for a search with captures
    // (before these checks, a dozen capture searches were most of the gate's time).
    match &endpoint.matcher {
        PathMatcher::Template { regex, params } => {
            if !ends_with_ignore_ascii_case(path, literal_tail(&endpoint.label))
                || !regex.is_match(path)
            {
                return None;
            }
            template_params(regex, params, path)
        }
        PathMatcher::Regex(regex) => {
            let target = match query {
                Some(query) => format!("{path}?{query}"),
                None => path.to_owned(),
            };
            if !regex.is_match(&target) {
                return None;
            }
            let captures = regex.captures(&target)?;
            let named = regex.capture_names().flatten();
            let params = named.filter_map(|name| {
                Some((name.to_owned(), captures.name(name)?.as_str().to_owned()))
            });
            Some(params.collect())
        }
    }
}

/// A template's parameters by name, when its regex accepts `path` (group `i + 1` holds
/// `params[i]`).
fn template_params(regex: &Regex, params: &[String], path: &str) -> Option<Vec<(String, String)>> {
    let captures = regex.captures(path)?;
    let values = (1..=params.len()).map(|i| captures.get(i).map_or("", |m| m.as_str()));
    Some(
        params
            .iter()
            .cloned()
            .zip(values.map(str::to_owned))
            .collect(),
    )
}

/// The literal end of a `pathTemplate`: what follows its last `}` (all of it without
/// one). Every path the template's regex accepts ends with it, ASCII case aside
/// (`template`: literals are matched case-insensitively, a path is ASCII).
fn literal_tail(template: &str) -> &str {
    template.rsplit_once('}').map_or(template, |(_, tail)| tail)
}

fn ends_with_ignore_ascii_case(text: &str, tail: &str) -> bool {
    text.len() >= tail.len()
        && text.as_bytes()[text.len() - tail.len()..].eq_ignore_ascii_case(tail.as_bytes())
}

/// Everything but the path: query parameters, path parameter values, method.
fn admit(
    endpoint: &Endpoint,
    method: &str,
    params: &[QueryParam],
    path_params: &[(String, String)],
) -> Result<(), BlockReason> {
    if let Some(p) = params.iter().find(|p| !name_allowed(endpoint, p)) {
        return Err(BlockReason::QueryParamNotAllowed {
            name: p.name.clone(),
        });
    }
    for (name, schema) in &endpoint.query_param_schemas {
        let mut values = params.iter().filter(|p| p.folded == *name).peekable();
        if schema.required && values.peek().is_none() {
            return Err(BlockReason::RequiredQueryParamMissing { name: name.clone() });
        }
        if let Some(refused) = values.find(|p| !schema.accepts(&p.value)) {
            let cql_refusal = schema
                .cql
                .as_ref()
                .and_then(|g| g.check(&refused.value).err());
            return Err(match cql_refusal {
                Some(refusal) => BlockReason::CqlRefused {
                    name: name.clone(),
                    kind: refusal.kind(),
                },
                None => BlockReason::ParamValueInvalid { name: name.clone() },
            });
        }
    }
    for (name, schema) in &endpoint.path_parameter_schemas {
        let raw = path_params
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str());
        // An optional segment left empty has nothing to validate.
        if raw.is_empty() {
            continue;
        }
        if !query::percent_decode(raw).is_some_and(|value| schema.accepts(&value)) {
            return Err(BlockReason::ParamValueInvalid { name: name.clone() });
        }
    }
    let method = method.to_ascii_uppercase();
    if !endpoint.allowed_methods.contains(&method) {
        return Err(BlockReason::MethodNotAllowed);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod prefilter_tests {
    use proptest::prelude::*;

    use super::*;

    /// What `match_path` answered before its shortcuts: the capture search alone.
    fn by_regex_alone(endpoint: &Endpoint, path: &str) -> Option<Vec<(String, String)>> {
        let PathMatcher::Template { regex, params } = &endpoint.matcher else {
            return None;
        };
        template_params(regex, params, path)
    }

    /// Compiled once for every case.
    static SHIPPED: std::sync::LazyLock<crate::rules::RuleSet> = std::sync::LazyLock::new(|| {
        let (origin, text) = crate::rules::SHIPPED_RULES;
        crate::rules::from_str(text, origin).unwrap()
    });

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// A shipped template with its parameters filled, its case flipped at random and
        /// a few characters cut or added at the end: the shortcuts never change the answer.
        #[test]
        fn the_shortcuts_answer_as_the_capture_search_does(
            pick in 0usize..64,
            fill in "[a-zA-Z0-9~_-]{0,6}",
            flips in prop::collection::vec(any::<bool>(), 0..120),
            tail in "[a-zA-Z/{}]{0,3}",
            cut in 0usize..4,
        ) {
            let endpoints: Vec<&Endpoint> = SHIPPED
                .endpoints
                .iter()
                .filter(|e| matches!(e.matcher, PathMatcher::Template { .. }))
                .collect();
            let template = &endpoints[pick % endpoints.len()].label;
            let mut path: String = fill_template(template, &fill)
                .chars()
                .zip(flips.iter().copied().chain(std::iter::repeat(false)))
                .map(|(c, flip)| if flip { c.to_ascii_uppercase() } else { c })
                .collect();
            for _ in 0..cut.min(path.len()) {
                path.pop();
            }
            path.push_str(&tail);
            for endpoint in &endpoints {
                prop_assert_eq!(
                    match_path(endpoint, &path, None),
                    by_regex_alone(endpoint, &path),
                    "{} against {}", path, endpoint.label
                );
            }
        }
    }

    /// The pipeline skips `check_upstream` when the text it sends is the text the gate
    /// admitted (no token reversed, no cursor unsealed). That is sound only if, on the
    /// same text, whatever the gate admits `check_upstream` admits too: swept here over
    /// every shipped template with plausible and hostile parameters and queries.
    #[test]
    fn on_the_same_text_check_upstream_admits_what_the_gate_admits() {
        let ids = ["65538", "p~x", "..", "%2e%2e", "a%2Fb", ""];
        let pairs = [
            "limit=25",
            "LIMIT=250",
            "limit=-1",
            "cursor=abc",
            "start=0",
            "next=true",
            "cql=type%3Dpage",
            "cql=type%20%3D%20page%20and%20space%20%3D%20%22ENG%22",
            "cql=lastmodified%20%3E%3D%20%222024-01-01%22",
            "cql=type%3Dpage%20or",
            "cql=creator%3Dcurrentuser()",
            "CQL=type%3Dblogpost",
            "expand=history,version",
            "expand=body.storage",
            "sort=id",
            "sort=-title",
            "status=complete",
            "keys=ENG",
            "type=global",
            "body-format=storage",
            "x=1",
            "cql%3D=1",
            "limit=%zz",
            "a;b=1",
            "include-blank-tasks=true",
            "ids=1,2",
        ];
        let mut queries: Vec<Option<String>> = vec![None, Some(String::new())];
        for a in pairs {
            queries.push(Some(a.to_owned()));
            for b in pairs {
                queries.push(Some(format!("{a}&{b}")));
            }
        }
        let (mut admitted, mut with_cql) = (0, 0);
        for endpoint in &SHIPPED.endpoints {
            for id in ids {
                let path = fill_template(&endpoint.label, id);
                for query in &queries {
                    let Ok(matched) = SHIPPED.gate("GET", &path, query.as_deref()) else {
                        continue;
                    };
                    admitted += 1;
                    with_cql += usize::from(query.as_deref().is_some_and(|q| q.contains("cql=")));
                    assert_eq!(
                        SHIPPED.check_upstream(matched.endpoint, &path, query.as_deref()),
                        Ok(()),
                        "{path}?{query:?}"
                    );
                }
            }
        }
        // Not vacuous: requests get through the gate, CQL searches among them.
        assert!(
            admitted >= 50 && with_cql >= 10,
            "admitted {admitted}, {with_cql} with CQL"
        );
    }

    /// `template` with every `{param}` replaced by `value`.
    fn fill_template(template: &str, value: &str) -> String {
        let mut path = String::new();
        let mut inside = false;
        for c in template.chars() {
            match c {
                '{' => inside = true,
                '}' => {
                    inside = false;
                    path.push_str(value);
                }
                _ if inside => {}
                c => path.push(c),
            }
        }
        path
    }
}
