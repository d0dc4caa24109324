//! Applying an endpoint's transforms to a schema-filtered document (docs/rules.md, "JSONPath"):
//! the reference, path-by-path application, and what each transform does to one value
//! (`transform_value`, shared with the one-walk application of `fused.rs`).
//!
//! For each transform, in file order: skip it unless `applyOnlyWhen` matches; then for
//! each of its JSONPaths, in order, locate every match on the current document and apply
//! the transform deepest-first with array indexes descending, so a removal never shifts a
//! location that is still to be visited. A value matched twice is transformed twice.
//!
//! Fail closed: a value a transform cannot handle (an object given to `pseudonymize`,
//! a path that selects the whole document for removal) is an error, never a pass-through.

use serde_json::Value;

use super::text;
use super::{Report, SanitizeError};
use crate::jackson::number_text;
use crate::jsonpath::{self, JsonPath, Location};
use crate::pseudonym::{Pseudonym, Pseudonymizer, email};
use crate::rules::{Encoding, Transform, TransformKind};

/// Apply one transform to the whole document.
pub(crate) fn apply(
    doc: &mut Value,
    transform: &Transform,
    pseudonymizer: &Pseudonymizer,
    report: &mut Report,
) -> Result<(), SanitizeError> {
    if let Some(condition) = &transform.apply_only_when
        && !condition.matches_any(doc)
    {
        return Ok(());
    }
    for path in &transform.json_paths {
        apply_path(doc, path, &transform.kind, pseudonymizer, report)?;
    }
    Ok(())
}

/// Apply one path of a transform: locate every match, then apply deepest-first.
pub(super) fn apply_path(
    doc: &mut Value,
    path: &JsonPath,
    kind: &TransformKind,
    pseudonymizer: &Pseudonymizer,
    report: &mut Report,
) -> Result<(), SanitizeError> {
    let mut locations = path.locate(doc);
    // Descending order puts descendants before their ancestors and higher array
    // indexes before lower ones.
    locations.sort_unstable_by(|a, b| b.cmp(a));
    for location in &locations {
        apply_at(doc, location, path, kind, pseudonymizer, report)?;
    }
    Ok(())
}

fn apply_at(
    doc: &mut Value,
    at: &Location,
    path: &JsonPath,
    kind: &TransformKind,
    pseudonymizer: &Pseudonymizer,
    report: &mut Report,
) -> Result<(), SanitizeError> {
    if let TransformKind::Redact = kind {
        if at.0.is_empty() {
            return Err(SanitizeError::RedactsWholeDocument {
                path: path.source().to_owned(),
            });
        }
        if jsonpath::remove(doc, at).is_some() {
            report.redacted += 1;
        }
        return Ok(());
    }
    let Some(slot) = jsonpath::get_mut(doc, at) else {
        return Ok(());
    };
    let input = std::mem::take(slot);
    *slot = transform_value(input, kind, pseudonymizer, report).map_err(|reason| {
        SanitizeError::Unsupported {
            path: path.source().to_owned(),
            reason,
        }
    })?;
    Ok(())
}

/// The new value for one matched value. The error is a static description of why the
/// value cannot be transformed; it never contains the value itself.
pub(super) fn transform_value(
    value: Value,
    kind: &TransformKind,
    p: &Pseudonymizer,
    report: &mut Report,
) -> Result<Value, &'static str> {
    use TransformKind as K;
    let out = match kind {
        K::Redact => Value::Null,
        K::Pseudonymize {
            encoding,
            include_reversible,
            include_original,
        } => {
            report.pseudonymized += 1;
            pseudonymize(value, *encoding, *include_reversible, *include_original, p)?
        }
        K::PseudonymizeEmailHeader { encoding } => {
            report.pseudonymized += 1;
            email_header(value, *encoding, p)?
        }
        K::PseudonymizeRegexMatches {
            regex,
            include_reversible,
        } => {
            report.pseudonymized += 1;
            match value {
                Value::String(s) if !text::is_blank(&s) => {
                    regex_matches(&s, regex, *include_reversible, p)?
                }
                _ => Value::Null,
            }
        }
        K::RedactRegexMatches { redactions } => {
            report.redacted += 1;
            on_text(value, |s| {
                Ok(text::redact_regex_matches(s, redactions).into())
            })?
        }
        K::RedactExceptPhrases { phrases } => {
            report.redacted += 1;
            on_text(
                value,
                |s| Ok(text::redact_except_phrases(s, phrases).into()),
            )?
        }
        K::RedactExceptSubstringsMatchingRegexes { exceptions } => {
            report.redacted += 1;
            on_text(value, |s| {
                Ok(text::redact_except_substrings(s, exceptions).into())
            })?
        }
        K::FilterTokenByRegex { delimiter, filters } => {
            report.redacted += 1;
            on_text(value, |s| {
                Ok(text::filter_tokens(s, delimiter, filters).map_or(Value::Null, Value::from))
            })?
        }
        K::Tokenize { regex } => {
            report.pseudonymized += 1;
            on_text(value, |s| tokenize(s, regex.as_ref(), p))?
        }
        K::TextDigest {
            is_json_escaped,
            json_path_to_process_when_escaped,
            keywords,
        } => {
            report.digested += 1;
            text_digest(
                value,
                *is_json_escaped,
                json_path_to_process_when_escaped.as_ref(),
                keywords,
            )
        }
        K::HashIp => {
            report.pseudonymized += 1;
            on_text(value, |s| Ok(p.hash_ip(s).map_or(Value::Null, Value::from)))?
        }
        K::EncryptIp => {
            report.pseudonymized += 1;
            on_text(value, |s| {
                p.encrypt_ip(s)
                    .map(|t| t.map_or(Value::Null, Value::from))
                    .map_err(|_| NO_KEY)
            })?
        }
    };
    Ok(out)
}

const NO_KEY: &str =
    "a reversible pseudonym was requested but no PSOXY_ENCRYPTION_KEY is configured";

/// The common input rule of the text transforms: non-string (null included) → null;
/// a blank string is returned unchanged; otherwise `f` decides.
fn on_text(
    value: Value,
    f: impl FnOnce(&str) -> Result<Value, &'static str>,
) -> Result<Value, &'static str> {
    match value {
        Value::String(s) if text::is_blank(&s) => Ok(Value::String(s)),
        Value::String(s) => f(&s),
        _ => Ok(Value::Null),
    }
}

/// The text a pseudonym is computed from: strings as they are, numbers as Java prints them.
fn identity_text(value: &Value) -> Result<Option<String>, &'static str> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(number_text(n))),
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err(
            "pseudonymize matched a boolean, array or object; only strings and numbers can be pseudonymized",
        ),
    }
}

fn pseudonym_of(
    text: &str,
    reversible: bool,
    p: &Pseudonymizer,
) -> Result<Option<Pseudonym>, &'static str> {
    p.pseudonymize(text, reversible).map_err(|_| NO_KEY)
}

fn pseudonymize(
    value: Value,
    encoding: Encoding,
    reversible: bool,
    include_original: bool,
    p: &Pseudonymizer,
) -> Result<Value, &'static str> {
    let original = identity_text(&value)?;
    let pseudonym = match &original {
        Some(text) => pseudonym_of(text, reversible, p)?,
        None => None,
    };
    Ok(match (encoding, pseudonym) {
        (Encoding::Json, None) => Value::from("null"),
        (_, None) => Value::Null,
        (Encoding::UrlSafeToken, Some(id)) => Value::from(id.url_safe_token()),
        (Encoding::UrlSafeHashOnly, Some(id)) => Value::from(id.hash_only()),
        (Encoding::Json, Some(id)) => {
            Value::from(id.to_json(original.as_deref().filter(|_| include_original)))
        }
    })
}

/// `pseudonymizeEmailHeader`: each address of an RFC 2822 list is pseudonymized.
fn email_header(
    value: Value,
    encoding: Encoding,
    p: &Pseudonymizer,
) -> Result<Value, &'static str> {
    let header = match value {
        Value::Null => return Ok(Value::Null),
        Value::String(s) if text::is_blank(&s) => return Ok(Value::from("")),
        Value::String(s) => s,
        _ => return Ok(Value::Null),
    };
    let Some(addresses) = email::parse_address_list(&header) else {
        return Ok(Value::Null);
    };
    let mut ids = Vec::with_capacity(addresses.len());
    for address in &addresses {
        if let Some(id) = pseudonym_of(address, false, p)? {
            ids.push(id);
        }
    }
    Ok(Value::from(match encoding {
        Encoding::Json => format!(
            "[{}]",
            ids.iter()
                .map(|id| id.to_json(None))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Encoding::UrlSafeHashOnly => ids
            .iter()
            .map(|id| id.hash_only())
            .collect::<Vec<_>>()
            .join(","),
        Encoding::UrlSafeToken => ids
            .iter()
            .map(Pseudonym::url_safe_token)
            .collect::<Vec<_>>()
            .join(","),
    }))
}

/// `pseudonymizeRegexMatches`: replace each match (group 1 when the regex has groups) by its pseudonym.
fn regex_matches(
    s: &str,
    regex: &regex::Regex,
    reversible: bool,
    p: &Pseudonymizer,
) -> Result<Value, &'static str> {
    let group = usize::from(regex.captures_len() > 1);
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut replaced = false;
    for captures in regex.captures_iter(s) {
        let Some(span) = captures.get(group) else {
            continue;
        };
        if text::is_blank(span.as_str()) {
            continue;
        }
        if let Some(id) = pseudonym_of(span.as_str(), reversible, p)? {
            out.push_str(&s[last..span.start()]);
            out.push_str(&id.url_safe_token());
            last = span.end();
            replaced = true;
        }
    }
    if !replaced {
        return Ok(Value::Null);
    }
    out.push_str(&s[last..]);
    Ok(Value::from(out))
}

/// `tokenize`: without a regex the whole value is tokenized; with one that fully matches,
/// group 1's text is tokenized and every occurrence of it replaced.
fn tokenize(
    s: &str,
    regex: Option<&regex::Regex>,
    p: &Pseudonymizer,
) -> Result<Value, &'static str> {
    let Some(regex) = regex else {
        return p.tokenize(s).map(Value::from).map_err(|_| NO_KEY);
    };
    let Some(target) = regex.captures(s).and_then(|c| c.get(1)).map(|m| m.as_str()) else {
        return Ok(Value::from(s));
    };
    if target.is_empty() {
        return Ok(Value::from(s));
    }
    let token = p.tokenize(target).map_err(|_| NO_KEY)?;
    Ok(Value::from(s.replace(target, &token)))
}

/// `textDigest`. With `isJsonEscaped` the string holds JSON: the digest is of the first string
/// that `jsonPathToProcessWhenEscaped` selects in it (null when it is not JSON or the path
/// selects no string), so no other part of the embedded document survives.
fn text_digest(
    value: Value,
    json_escaped: bool,
    inner_path: Option<&JsonPath>,
    keywords: &[String],
) -> Value {
    let Value::String(s) = value else {
        return Value::Null;
    };
    if !json_escaped {
        return Value::from(text::text_digest(&s, keywords));
    }
    let Ok(inner) = serde_json::from_str::<Value>(&s) else {
        return Value::Null;
    };
    let selected = match inner_path {
        Some(path) => {
            path.locate(&inner)
                .into_iter()
                .find_map(|at| match jsonpath::get(&inner, &at) {
                    Some(Value::String(t)) => Some(t.clone()),
                    _ => None,
                })
        }
        None => match &inner {
            Value::String(t) => Some(t.clone()),
            _ => None,
        },
    };
    selected.map_or(Value::Null, |t| {
        Value::from(text::text_digest(&t, keywords))
    })
}
