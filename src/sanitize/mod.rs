//! Applies a compiled endpoint to a response body (docs/rules.md, "Order of processing").
//!
//! PURE. [`sanitize`] parses the body (one or several top-level JSON values), filters each
//! value with the endpoint's responseSchema, applies its transforms in file order, and
//! writes compact Jackson-compatible JSON.
//!
//! Two implementations, one behaviour:
//! - the reference ([`sanitize_value`]): parse everything, `schema_filter`, then
//!   `transforms::apply` path by path with `JsonPath::locate` — the straightforward
//!   reading of the contract;
//! - the fast path (what [`sanitize`] runs first): `stream_filter` applies the schema while
//!   parsing, so dropped members are never allocated; `fused` evaluates runs of
//!   independent paths in one walk and caches pseudonyms. Whenever it cannot promise the
//!   reference's exact result it gives up and the reference redoes the body. The
//!   differential tests (`tests/`) hold the two equal on random rules and documents.
//!
//! A change of behaviour goes to the reference first (it is what the rules reference in
//! docs/rules.md describes), then to the fast path, and the differential tests prove the
//! two agree again. Link protection (`links`) and upstream error bodies (`error_body`)
//! are the privacy rewriting the proxy needs beyond the rules; they live here, in the
//! pure core, so the pure-core check, the property tests and the fuzz targets reach them.
//!
//! Invariant — fail closed: every outcome is either sanitized output or a
//! [`SanitizeError`]; the original body is never returned, and an error never carries a
//! value from the body (only positions, paths of the rules file and static reasons).

mod error_body;
mod fused;
mod links;
mod schema_filter;
mod stream_filter;
mod text;
mod transforms;

#[cfg(test)]
mod tests;

use serde::Deserialize;
use serde_json::Value;

use crate::jackson;
use crate::pseudonym::Pseudonymizer;
use crate::rules::{Endpoint, RuleSet};

pub use error_body::{MAX_ERROR_BODY, error_body};
pub use links::LinkProtection;

/// How many values each kind of transform touched, for the audit line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub redacted: usize,
    pub pseudonymized: usize,
    pub digested: usize,
}

/// A sanitized body and what was done to it.
#[derive(Debug)]
pub struct Sanitized {
    pub body: String,
    pub report: Report,
}

/// Why a body could not be sanitized. Messages name positions and rule paths only.
#[derive(Debug, thiserror::Error)]
pub enum SanitizeError {
    #[error("response body is not JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error("transform at `{path}` cannot be applied: {reason}")]
    Unsupported { path: String, reason: &'static str },
    #[error("redact at `{path}` selects the whole document")]
    RedactsWholeDocument { path: String },
    /// Deeper than Jackson reads (Psoxy refuses such a body too).
    #[error("response body nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    /// The responseSchema rejects the document itself (an array where an object is
    /// expected, a scalar, `null`): an error, so no caller takes it for an empty page.
    #[error("response body's root is not what the responseSchema expects")]
    RootRejected,
}

/// Sanitize a whole response body for `endpoint` (which must belong to `rules`).
///
/// Several top-level values (NDJSON, `{}{}`) are sanitized one by one and joined with
/// `\n`; an empty or whitespace-only body gives an empty body.
///
/// A body holding one JSON value takes the fast path: the schema filter runs while
/// parsing and the transforms run in as few walks as their order allows. Whenever the fast
/// path cannot promise the reference's exact result (a body that is not exactly one JSON
/// value, a transform error, an unusual match), the body is redone by the reference
/// ([`sanitize_value`] on each parsed value), so output, report and errors are always the
/// reference's.
pub fn sanitize(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
) -> Result<Sanitized, SanitizeError> {
    sanitize_response(
        rules,
        endpoint,
        pseudonymizer,
        body,
        &LinkProtection::none(),
    )
}

/// [`sanitize`] for a proxied response: also protects the pagination links of every
/// sanitized document with `links` (what the request revealed to the source) before the
/// one write.
pub fn sanitize_response(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
    links: &LinkProtection,
) -> Result<Sanitized, SanitizeError> {
    if let Ok(sanitized) = sanitize_fast(rules, endpoint, pseudonymizer, body, links) {
        return Ok(sanitized);
    }
    match sanitize_reference(rules, endpoint, pseudonymizer, body, links, Depth::Serde) {
        Err(SanitizeError::NotJson { .. }) if read_as_jackson_would(body) => {
            sanitize_jackson_input(rules, endpoint, pseudonymizer, body, links)
        }
        other => other,
    }
}

/// Whether serde_json may have refused what Jackson reads: nesting beyond serde_json's
/// 128 levels, or a surrogate escape (lone ones are valid JSON text to Jackson).
fn read_as_jackson_would(body: &str) -> bool {
    jackson::input::has_surrogate_escape(body) || jackson::input::depth_exceeds(body, SERDE_DEPTH)
}

/// serde_json's own nesting limit.
const SERDE_DEPTH: usize = 128;

/// How deep the reference parser may go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// serde_json's default (128), on the caller's stack.
    Serde,
    /// Up to Jackson's limit, checked beforehand; run on a thread with a stack sized for it.
    Jackson,
}

/// The body as Jackson reads it: refused beyond [`jackson::input::MAX_DEPTH`] levels (found
/// by a scan, never by recursion), lone surrogate escapes read as `?` (what Psoxy emits and
/// hashes), then the reference on a thread whose stack holds 1000 levels of every walk.
fn sanitize_jackson_input(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
    links: &LinkProtection,
) -> Result<Sanitized, SanitizeError> {
    let limit = jackson::input::MAX_DEPTH;
    if jackson::input::depth_exceeds(body, limit) {
        return Err(SanitizeError::TooDeep { limit });
    }
    let text = jackson::input::replace_lone_surrogates(body);
    let run = || {
        let mut sanitized =
            sanitize_reference(rules, endpoint, pseudonymizer, &text, links, Depth::Jackson)?;
        // Written as Psoxy's UTF-8 writer writes a lone surrogate.
        if let std::borrow::Cow::Owned(fixed) = jackson::input::java_utf8(&sanitized.body) {
            sanitized.body = fixed;
        }
        Ok(sanitized)
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("sanitize-deep".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, run)
            .map_err(|_| SanitizeError::TooDeep { limit })?
            .join()
            .unwrap_or(Err(SanitizeError::TooDeep { limit }))
    })
}

/// Stack for sanitizing a document 1000 levels deep: every walk (parse, schema filter,
/// transforms, link protection, write, drop) recurses once per level, a few KiB per level
/// in a debug build. Reserved, not committed: untouched pages cost nothing.
const DEEP_STACK_BYTES: usize = 256 << 20;

fn sanitize_fast(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
    links: &LinkProtection,
) -> Result<Sanitized, fused::Bail> {
    let mut parser = serde_json::Deserializer::from_str(body);
    let parsed = match &endpoint.response_schema {
        Some(schema) => stream_filter::filter_document(&mut parser, schema, &rules.definitions),
        None => Value::deserialize(&mut parser),
    };
    let mut doc = parsed.map_err(|_| fused::Bail)?;
    parser.end().map_err(|_| fused::Bail)?;
    if root_rejected(&doc, endpoint, rules) {
        return Err(fused::Bail);
    }
    let mut report = Report::default();
    fused::apply_all(&mut doc, endpoint, pseudonymizer, &mut report)?;
    links.protect_document(&mut doc);
    let mut out = String::with_capacity(body.len());
    jackson::write_compact(&doc, &mut out);
    Ok(Sanitized { body: out, report })
}

/// The reference: parse each top-level value, then [`sanitize_value`] and link protection.
fn sanitize_reference(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    body: &str,
    links: &LinkProtection,
    depth: Depth,
) -> Result<Sanitized, SanitizeError> {
    let mut report = Report::default();
    let mut out = String::with_capacity(body.len());
    let mut parser = serde_json::Deserializer::from_str(body);
    if depth == Depth::Jackson {
        // Bounded by the scan in `sanitize_jackson_input`, on a stack sized for it.
        parser.disable_recursion_limit();
    }
    let values = parser.into_iter::<Value>();
    for (i, value) in values.enumerate() {
        let value = value.map_err(|e| SanitizeError::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
        let mut sanitized = sanitize_value(rules, endpoint, pseudonymizer, value, &mut report)?;
        links.protect_document(&mut sanitized);
        if i > 0 {
            out.push('\n');
        }
        jackson::write_compact(&sanitized, &mut out);
    }
    Ok(Sanitized { body: out, report })
}

/// Whether the schema filtered the whole document away: it expects an object or an array
/// at the root and the result is `null` (the root was another type, or `null`).
fn root_rejected(filtered: &Value, endpoint: &Endpoint, rules: &RuleSet) -> bool {
    let Some(mut schema) = endpoint.response_schema.as_ref() else {
        return false;
    };
    while let Some(index) = schema.reference {
        match rules.definitions.get(index) {
            Some((_, target)) => schema = target,
            None => return false,
        }
    }
    filtered.is_null()
        && matches!(
            schema.kind,
            Some(crate::rules::SchemaType::Object | crate::rules::SchemaType::Array)
        )
}

/// The responseSchema filter alone, without the transforms: the document the transforms
/// of `endpoint` see. For tools that reason about rules (the linter checks its JSONPaths
/// against example responses filtered this way); the proxy uses [`sanitize`].
pub fn filter_by_schema(rules: &RuleSet, endpoint: &Endpoint, value: Value) -> Value {
    match &endpoint.response_schema {
        Some(schema) => schema_filter::filter_document(value, schema, &rules.definitions),
        None => value,
    }
}

/// Sanitize one already-parsed JSON value: the reference implementation — the schema
/// filter on the whole value, then each transform path by path (`JsonPath::locate`).
/// Straightforward and slower than [`sanitize`]; the differential tests hold the two equal.
pub fn sanitize_value(
    rules: &RuleSet,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    value: Value,
    report: &mut Report,
) -> Result<Value, SanitizeError> {
    let mut doc = match &endpoint.response_schema {
        Some(schema) => schema_filter::filter_document(value, schema, &rules.definitions),
        None => value,
    };
    if root_rejected(&doc, endpoint, rules) {
        return Err(SanitizeError::RootRejected);
    }
    for transform in &endpoint.transforms {
        transforms::apply(&mut doc, transform, pseudonymizer, report)?;
    }
    Ok(doc)
}
