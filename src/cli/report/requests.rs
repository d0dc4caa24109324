//! The requests an endpoint admits, in words: methods, path, path and query parameters
//! with what their values may be, and the CQL grammar of a `format: cql` parameter.
//!
//! PURE. Read off the compiled rules (`crate::rules::Endpoint`), the same values the gate
//! checks requests against.

use super::model::{CqlView, ParamView, RequestShape};
use crate::rules::{Endpoint, ParamFormat, ParamSchema, ParamType, PathMatcher, RuleSet};

/// The request shape of `endpoint` (which belongs to `rules`).
pub(super) fn shape(rules: &RuleSet, endpoint: &Endpoint) -> RequestShape {
    let (path_kind, template_params) = match &endpoint.matcher {
        PathMatcher::Template { params, .. } => ("pathTemplate", params.clone()),
        PathMatcher::Regex(_) => ("pathRegex", Vec::new()),
    };
    // Template parameters in path order, then schemas of named regex groups.
    let mut names = template_params;
    for (name, _) in &endpoint.path_parameter_schemas {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let path_params = names
        .iter()
        .map(|name| {
            let schema = lookup(&endpoint.path_parameter_schemas, name);
            ParamView {
                name: name.clone(),
                rule: schema.map_or_else(|| "any one path segment".to_owned(), describe),
                required: true,
                cql: None,
            }
        })
        .collect();
    let query_params = endpoint.allowed_query_params.as_ref().map(|allowed| {
        allowed
            .iter()
            .map(|name| {
                let schema = lookup(&endpoint.query_param_schemas, name);
                ParamView {
                    name: name.clone(),
                    rule: schema.map_or_else(|| "any value".to_owned(), describe),
                    required: schema.is_some_and(|s| s.required),
                    cql: schema.and_then(cql_view),
                }
            })
            .collect()
    });
    let mut headers = rules.allowed_request_headers.clone();
    for header in &endpoint.allowed_request_headers {
        if !headers.contains(header) {
            headers.push(header.clone());
        }
    }
    RequestShape {
        methods: endpoint.allowed_methods.clone(),
        path_kind,
        path_params,
        query_params,
        headers,
    }
}

fn lookup<'r>(schemas: &'r [(String, ParamSchema)], name: &str) -> Option<&'r ParamSchema> {
    schemas.iter().find(|(n, _)| n == name).map(|(_, s)| s)
}

/// `string, pattern [0-9]+` — what a value must be, in the rules file's words.
fn describe(schema: &ParamSchema) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(kind) = schema.kind {
        parts.push(
            match kind {
                ParamType::String => "string",
                ParamType::Integer => "integer",
                ParamType::Number => "number",
            }
            .to_owned(),
        );
    }
    if let Some(format) = schema.format {
        let name = match format {
            ParamFormat::Pseudonym => "pseudonym",
            ParamFormat::ReversiblePseudonym => "reversible-pseudonym",
            ParamFormat::Cql => "cql",
            ParamFormat::CqlDate => "cql-date",
            ParamFormat::SealedCursor => "sealed-cursor",
        };
        parts.push(format!("format {name}"));
    }
    if let Some(pattern) = &schema.pattern {
        parts.push(format!("pattern {}", unanchored(pattern.as_str())));
    }
    if let Some(values) = &schema.enumeration {
        parts.push(format!("one of {}", values.join(", ")));
    }
    if !schema.any_of.is_empty() {
        let alternatives: Vec<String> = schema.any_of.iter().map(describe).collect();
        parts.push(format!("any of ({})", alternatives.join(" | ")));
    }
    match parts.is_empty() {
        true => "any value".to_owned(),
        false => parts.join(", "),
    }
}

/// A full-match pattern as the rules file wrote it: without the `^(?:…)$` the compiler
/// wrapped it in.
fn unanchored(pattern: &str) -> &str {
    pattern
        .strip_prefix("^(?:")
        .and_then(|p| p.strip_suffix(")$"))
        .unwrap_or(pattern)
}

/// The CQL grammar of a `format: cql` parameter.
fn cql_view(schema: &ParamSchema) -> Option<CqlView> {
    let grammar = schema.cql.as_deref()?;
    Some(CqlView {
        fields: grammar
            .fields
            .iter()
            .map(|field| {
                (
                    field.name.clone(),
                    field.operators.iter().map(|op| op.symbol()).collect(),
                    describe(&field.values),
                )
            })
            .collect(),
        order_by: grammar.order_by.clone(),
        max_bytes: grammar.limits.max_bytes,
        max_depth: grammar.limits.max_depth,
    })
}
