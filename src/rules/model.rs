//! The compiled, validated form of a rules file: what the sanitizer and the gate run on.
//!
//! Everything here is built once by `rules::compile` from the raw YAML mirror; JSONPaths
//! and regexes are already compiled, `$ref`s already resolved to definition indexes.
//! Nothing in this module parses text at request time.

use regex::Regex;
use serde_json::Value;

use super::plan::TransformPlan;
use crate::jsonpath::JsonPath;

/// A loaded rules file. Immutable after compile; shared across requests.
#[derive(Debug)]
pub struct RuleSet {
    /// Endpoints in file order; the first match wins.
    pub endpoints: Vec<Endpoint>,
    /// Root-level `definitions`, in file order; `SchemaRef` indexes into this.
    pub definitions: Vec<(String, Schema)>,
    /// Request headers forwarded upstream for every endpoint (lower-cased).
    pub allowed_request_headers: Vec<String>,
    /// SHA-1 hex of the rules text exactly as loaded (`X-Psoxy-Rules-SHA`).
    pub sha1_hex: String,
}

impl RuleSet {
    /// Whether a response transform issues reversible (`p~`) pseudonyms, which need
    /// `PSOXY_ENCRYPTION_KEY`: a deployment without one cannot serve these rules.
    pub fn issues_reversible_pseudonyms(&self) -> bool {
        self.endpoints
            .iter()
            .flat_map(|endpoint| &endpoint.transforms)
            .any(|transform| {
                matches!(
                    transform.kind,
                    TransformKind::Pseudonymize {
                        include_reversible: true,
                        ..
                    } | TransformKind::PseudonymizeRegexMatches {
                        include_reversible: true,
                        ..
                    }
                )
            })
    }
}

/// One allowed request shape and how to sanitize its response.
#[derive(Debug)]
pub struct Endpoint {
    /// The `pathTemplate` or `pathRegex` text, for logs and reports.
    pub label: String,
    pub matcher: PathMatcher,
    /// Template parameter name → value schema.
    pub path_parameter_schemas: Vec<(String, ParamSchema)>,
    /// `None` = any query parameter allowed; `Some(vec![])` = none. Lower-cased.
    pub allowed_query_params: Option<Vec<String>>,
    /// Query parameter name (lower-cased) → value schema (with `required`).
    pub query_param_schemas: Vec<(String, ParamSchema)>,
    /// Upper-cased; defaults to `GET`, `HEAD` (diverges from Psoxy: fail closed).
    pub allowed_methods: Vec<String>,
    /// Lower-cased header names forwarded upstream for this endpoint.
    pub allowed_request_headers: Vec<String>,
    /// `None` = no filtering.
    pub response_schema: Option<Schema>,
    /// Applied in file order after the schema filter. Not changed after compiling: `plan`
    /// is built from them.
    pub transforms: Vec<Transform>,
    /// How the sanitizer's fast path applies `transforms` (see `plan.rs`).
    pub plan: TransformPlan,
}

impl Endpoint {
    /// Names (lower case) of the query parameters whose values are sealed cursors
    /// (`format: sealed-cursor`): the proxy unseals them before the upstream call and
    /// seals the same parameters in the pagination links of the response.
    pub fn sealed_params(&self) -> Vec<&str> {
        self.query_param_schemas
            .iter()
            .filter(|(_, schema)| schema.format == Some(ParamFormat::SealedCursor))
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// How an endpoint's path is matched.
#[derive(Debug)]
pub enum PathMatcher {
    /// Compiled from `pathTemplate`: anchored, case-insensitive, matched on the raw path.
    /// `params` are the template parameter names in capture-group order.
    Template { regex: Regex, params: Vec<String> },
    /// `pathRegex`: matched against path plus `?query` when a query is present.
    Regex(Regex),
}

/// Value schema for a path or query parameter (docs/rules.md, "File structure").
#[derive(Debug, Default)]
pub struct ParamSchema {
    pub kind: Option<ParamType>,
    pub format: Option<ParamFormat>,
    /// Already anchored for a full match.
    pub pattern: Option<Regex>,
    pub enumeration: Option<Vec<String>>,
    pub any_of: Vec<ParamSchema>,
    /// Query parameters only.
    pub required: bool,
    /// `format: cql`: the CQL the parameter admits.
    pub(crate) cql: Option<Box<super::cql::CqlGrammar<ParamSchema>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    String,
    Integer,
    Number,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamFormat {
    Pseudonym,
    ReversiblePseudonym,
    /// A CQL query, checked against the parameter's `cql` grammar.
    Cql,
    /// A date as CQL's `created`/`lastmodified` read it: `YYYY-MM-DD` or
    /// `YYYY-MM-DD HH:mm`.
    CqlDate,
    /// A pagination cursor sealed by the proxy (`c~…`).
    SealedCursor,
}

/// responseSchema node (docs/rules.md, "responseSchema"). Mirrors the keywords that affect filtering.
#[derive(Debug, Default, Clone)]
pub struct Schema {
    /// Index into `RuleSet::definitions`.
    pub reference: Option<usize>,
    pub any_of: Option<Vec<Schema>>,
    pub kind: Option<SchemaType>,
    /// In file order.
    pub properties: Option<Vec<(String, Schema)>>,
    pub items: Option<Box<Schema>>,
    pub if_: Option<Box<Schema>>,
    pub then: Option<Box<Schema>>,
    pub else_: Option<Box<Schema>>,
    pub constant: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Array,
    Null,
}

/// One transform of an endpoint.
#[derive(Debug)]
pub struct Transform {
    pub kind: TransformKind,
    pub json_paths: Vec<JsonPath>,
    /// Evaluated on the whole document; the transform runs only when it matches.
    pub apply_only_when: Option<JsonPath>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    UrlSafeToken,
    UrlSafeHashOnly,
    Json,
}

/// What a transform does, with its options already validated and compiled.
#[derive(Debug)]
pub enum TransformKind {
    Redact,
    Pseudonymize {
        encoding: Encoding,
        include_reversible: bool,
        include_original: bool,
    },
    PseudonymizeEmailHeader {
        encoding: Encoding,
    },
    PseudonymizeRegexMatches {
        regex: Regex,
        include_reversible: bool,
    },
    RedactRegexMatches {
        redactions: Vec<Regex>,
    },
    /// One compiled `(?i)\b(<quoted phrase>)[\s:]*\b` per allowed phrase.
    RedactExceptPhrases {
        phrases: Vec<Regex>,
    },
    /// One compiled full-match `^.*?(R).*?$` per exception.
    RedactExceptSubstringsMatchingRegexes {
        exceptions: Vec<Regex>,
    },
    FilterTokenByRegex {
        delimiter: Regex,
        /// Already anchored for a full match.
        filters: Vec<Regex>,
    },
    Tokenize {
        /// Already anchored for a full match; group 1 is tokenized.
        regex: Option<Regex>,
    },
    TextDigest {
        is_json_escaped: bool,
        json_path_to_process_when_escaped: Option<JsonPath>,
        /// Lower-cased, sorted, de-duplicated.
        keywords: Vec<String>,
    },
    HashIp,
    EncryptIp,
}
