//! The raw serde mirror of a rules file: exactly what the YAML says, nothing validated.
//!
//! Field names are the YAML keys (camelCase); every struct denies unknown keys. Values
//! whose problems must be reported at their own position are `Spanned`. `compile` turns
//! this into the validated `RuleSet`; nothing outside the `rules` module sees these types.
//!
//! These types deserialize through serde-saphyr directly as well, but the loader feeds
//! them from the located node tree (`yaml::de`), which reports every unknown key, wrong
//! type and unknown transform in one run and also accepts `method: <kind>` transforms.
//! The `rename`s on structs name them in messages ("unknown key `x` in endpoint").

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_saphyr::Spanned;

/// A rules file (docs/rules.md, "File structure").
#[derive(Debug, Deserialize)]
#[serde(rename = "rules file", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRules {
    /// The only requests allowed, in file order.
    pub endpoints: Option<Vec<Spanned<RawEndpoint>>>,
    /// Named schemas, targets of `$ref: "#/definitions/Name"`.
    pub definitions: Option<Spanned<OrderedMap<RawSchema>>>,
    /// Request headers forwarded for every endpoint.
    pub allowed_request_headers: Option<Vec<String>>,
    /// Deprecated in Psoxy; `true` is refused (we fail closed).
    pub allow_all_endpoints: Option<Spanned<bool>>,
}

/// One allowed request shape.
#[derive(Debug, Deserialize)]
#[serde(rename = "endpoint", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawEndpoint {
    /// OpenAPI-style template: `{name}` is one segment, `{name?}` an optional one.
    pub path_template: Option<Spanned<String>>,
    /// Java regex over path plus `?query`, used when there is no template.
    pub path_regex: Option<Spanned<String>>,
    /// Template parameter (or named regex group) → value schema.
    pub path_parameter_schemas: Option<OrderedMap<RawParamSchema>>,
    /// Absent: any query parameter; `[]`: none.
    pub allowed_query_params: Option<Vec<String>>,
    /// Query parameter → value schema, may mark the parameter `required`.
    pub query_param_schemas: Option<OrderedMap<RawParamSchema>>,
    /// HTTP methods; absent means `GET` and `HEAD`.
    pub allowed_methods: Option<Vec<String>>,
    /// Request headers forwarded upstream for this endpoint.
    pub allowed_request_headers: Option<Vec<String>>,
    /// Allow-list filter applied to the response before the transforms.
    pub response_schema: Option<Spanned<RawSchema>>,
    /// Applied in file order.
    pub transforms: Option<Vec<Spanned<RawTransform>>>,
}

/// Value schema of a path or query parameter.
#[derive(Debug, Deserialize)]
#[serde(
    rename = "parameter schema",
    deny_unknown_fields,
    rename_all = "camelCase"
)]
pub(crate) struct RawParamSchema {
    /// `string`, `integer` or `number`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// `pseudonym` or `reversible-pseudonym`.
    pub format: Option<Spanned<String>>,
    /// Java regex the whole value must match.
    pub pattern: Option<Spanned<String>>,
    /// The only values allowed.
    #[serde(rename = "enum")]
    pub enumeration: Option<Vec<String>>,
    /// The value must satisfy at least one of these.
    pub any_of: Option<Vec<RawParamSchema>>,
    /// Query parameters only: the request must carry it.
    pub required: Option<bool>,
    /// With `format: cql` (and only then): the CQL the parameter admits.
    pub cql: Option<Spanned<RawCql>>,
    /// Documentation only.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub description: Option<IgnoredAny>,
}

/// The CQL a `format: cql` parameter admits (docs/rules.md, "CQL").
#[derive(Debug, Deserialize)]
#[serde(rename = "CQL grammar", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCql {
    /// Searchable fields (lower case), each with its operators and values.
    pub fields: OrderedMap<RawCqlField>,
    /// Fields results may be ordered by; absent or empty: no `ORDER BY`.
    pub order_by: Option<Vec<String>>,
    /// Longest query admitted, in bytes (default 2048).
    pub max_bytes: Option<usize>,
    /// Deepest parenthesis nesting admitted (default 16).
    pub max_depth: Option<usize>,
}

/// One searchable CQL field.
#[derive(Debug, Deserialize)]
#[serde(rename = "CQL field", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCqlField {
    /// `=`, `!=`, `>`, `>=`, `<`, `<=`, `~`, `!~`, `in`, `not in`.
    pub operators: Vec<Spanned<String>>,
    /// The values admitted, as a parameter schema.
    pub values: RawParamSchema,
}

/// A responseSchema node (docs/rules.md, "responseSchema"): an allow-list filter, not a validator.
#[derive(Debug, Deserialize)]
#[serde(rename = "schema", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawSchema {
    /// `string`, `integer`, `number`, `boolean`, `object`, `array` or `null`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<String>>,
    /// `#/definitions/Name`; wins over every other keyword.
    #[serde(rename = "$ref")]
    pub reference: Option<Spanned<String>>,
    /// Allowed keys of an object, in file order.
    pub properties: Option<OrderedMap<RawSchema>>,
    /// Schema of every array element.
    pub items: Option<Box<RawSchema>>,
    /// Candidates tried in order.
    pub any_of: Option<Vec<RawSchema>>,
    /// Condition choosing `then` or `else`.
    #[serde(rename = "if")]
    pub if_: Option<Box<RawSchema>>,
    /// Used when `if` matched.
    pub then: Option<Box<RawSchema>>,
    /// Used when `if` did not match.
    #[serde(rename = "else")]
    pub else_: Option<Box<RawSchema>>,
    /// The value must equal this (`null` counts as absent, as in Psoxy).
    #[serde(rename = "const")]
    pub constant: Option<serde_json::Value>,
    /// Parsed and ignored.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub format: Option<String>,
    /// Documentation only.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub title: Option<IgnoredAny>,
    /// Documentation only.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub description: Option<IgnoredAny>,
    /// Validation-only keyword; a filter never requires anything.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub required: Option<IgnoredAny>,
    /// Validation-only keyword; unknown keys are always dropped.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub additional_properties: Option<IgnoredAny>,
    /// Schema dialect marker.
    #[serde(rename = "$schema")]
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub dialect: Option<IgnoredAny>,
}

/// A transform, selected by its YAML tag (`!<redact>`, `!redact`) or a `method:` key.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", rename_all = "camelCase")]
pub(crate) enum RawTransform {
    /// Remove the matched keys.
    Redact(RawPathsOnly),
    /// Replace values with pseudonyms.
    Pseudonymize(RawPseudonymize),
    /// Pseudonymize every address of an email header value.
    PseudonymizeEmailHeader(RawEmailHeader),
    /// Pseudonymize the parts of a value a regex finds.
    PseudonymizeRegexMatches(RawPseudonymizeRegexMatches),
    /// Remove the parts of a value regexes find.
    RedactRegexMatches(RawRedactRegexMatches),
    /// Keep only listed phrases.
    RedactExceptPhrases(RawRedactExceptPhrases),
    /// Keep only the longest part matching one of the regexes.
    RedactExceptSubstringsMatchingRegexes(RawRedactExceptSubstrings),
    /// Keep only the tokens that match a filter.
    FilterTokenByRegex(RawFilterTokenByRegex),
    /// Replace a value (or its regex group 1) with a reversible token.
    Tokenize(RawTokenize),
    /// Replace text with its length, word count and keyword counts.
    TextDigest(RawTextDigest),
    /// Replace an IP address with its salted hash.
    HashIp(RawPathsOnly),
    /// Replace an IP address with a reversible token.
    EncryptIp(RawPathsOnly),
}

/// `redact`, `hashIp`, `encryptIp`: no options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPathsOnly {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
}

/// `pseudonymize` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPseudonymize {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// `URL_SAFE_TOKEN` (default), `URL_SAFE_HASH_ONLY` or `JSON`.
    pub encoding: Option<Spanned<String>>,
    /// Emit reversible `p~` tokens.
    pub include_reversible: Option<bool>,
    /// Keep the original value (not allowed with `URL_SAFE_TOKEN`).
    pub include_original: Option<Spanned<bool>>,
    /// Accepted for Psoxy compatibility; it has no effect there either.
    #[expect(dead_code, reason = "accepted so files load; has no effect")]
    pub only_if_regex: Option<IgnoredAny>,
}

/// `pseudonymizeEmailHeader` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawEmailHeader {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// `URL_SAFE_TOKEN` (default), `URL_SAFE_HASH_ONLY` or `JSON`.
    pub encoding: Option<Spanned<String>>,
}

/// `pseudonymizeRegexMatches` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPseudonymizeRegexMatches {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Java regex; group 1 (or the whole match) is pseudonymized.
    pub regex: Spanned<String>,
    /// Emit reversible `p~` tokens.
    pub include_reversible: Option<bool>,
}

/// `redactRegexMatches` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRedactRegexMatches {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Java regexes whose matches are removed, in order.
    pub redactions: Option<Vec<Spanned<String>>>,
}

/// `redactExceptPhrases` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRedactExceptPhrases {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Literal phrases kept (case-insensitively); everything else is dropped.
    pub allowed_phrases: Option<Vec<String>>,
}

/// `redactExceptSubstringsMatchingRegexes` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawRedactExceptSubstrings {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Java regexes; the longest match is kept, everything else dropped.
    pub exceptions: Option<Vec<Spanned<String>>>,
}

/// `filterTokenByRegex` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawFilterTokenByRegex {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Java regex splitting the value into tokens (default `\s+`).
    pub delimiter: Option<Spanned<String>>,
    /// Java regexes; a token is kept when it fully matches one.
    pub filters: Option<Vec<Spanned<String>>>,
}

/// `tokenize` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawTokenize {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// Java regex that must fully match; its group 1 is tokenized.
    pub regex: Option<Spanned<String>>,
}

/// `textDigest` options.
#[derive(Debug, Deserialize)]
#[serde(rename = "transform", deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawTextDigest {
    /// Where the transform applies.
    pub json_paths: Vec<Spanned<String>>,
    /// Run only if this path matches something in the document.
    pub apply_only_when: Option<Spanned<String>>,
    /// The value is a string of escaped JSON to digest inside.
    pub is_json_escaped: Option<bool>,
    /// Inside escaped JSON, the path whose text is digested.
    pub json_path_to_process_when_escaped: Option<Spanned<String>>,
    /// Words counted in the digest.
    pub keywords: Option<Vec<String>>,
}

/// A YAML mapping kept in file order, with each key's location.
#[derive(Debug)]
pub(crate) struct OrderedMap<V>(
    /// Key (located) and value, in file order.
    pub Vec<(Spanned<String>, V)>,
);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(OrderedMap(entries))
            }
        }

        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}
