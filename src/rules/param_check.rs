//! Does a path or query parameter value satisfy its schema (docs/rules.md, "File structure")?
//!
//! Every keyword present must hold: `type`, `format`, `pattern` (full match, already
//! anchored at compile), `enum`, and — when given — at least one of `anyOf`.

use super::model::{ParamFormat, ParamSchema, ParamType};

/// Length of the hash body of a pseudonym: 32 bytes in unpadded base64url.
const MIN_TOKEN_BODY: usize = 43;
/// Shortest sealed value: a 16-byte SIV and one AES block, in unpadded base64url.
const MIN_SEALED_BODY: usize = 43;

impl ParamSchema {
    pub(crate) fn accepts(&self, value: &str) -> bool {
        self.kind.is_none_or(|kind| type_holds(kind, value))
            && self.format.is_none_or(|format| format_holds(format, value))
            && self.pattern.as_ref().is_none_or(|p| p.is_match(value))
            && self
                .enumeration
                .as_ref()
                .is_none_or(|values| values.iter().any(|v| v == value))
            && (self.any_of.is_empty() || self.any_of.iter().any(|s| s.accepts(value)))
            && self.cql.as_ref().is_none_or(|cql| cql.check(value).is_ok())
    }
}

/// The values of a CQL field are declared with a parameter schema.
impl super::cql::CqlValueRule for ParamSchema {
    fn accepts(&self, value: &str) -> bool {
        ParamSchema::accepts(self, value)
    }
}

fn type_holds(kind: ParamType, value: &str) -> bool {
    let trimmed = value.trim();
    match kind {
        ParamType::String => true,
        // Java's `\d+`: ASCII digits only.
        ParamType::Integer => !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()),
        // Non-finite spellings (`NaN`, `inf`) are refused: no API parameter means them, and
        // Rust and Java disagree on their spelling.
        ParamType::Number => trimmed.parse::<f64>().is_ok_and(f64::is_finite),
    }
}

/// Both pseudonym formats accept a reversible token `p~` + at least 43 base64url chars
/// (the contract's `p~[A-Za-z0-9_-]{43,}`, matched in full).
fn format_holds(format: ParamFormat, value: &str) -> bool {
    match format {
        // The grammar itself is checked with the schema's `cql` (compiled together).
        ParamFormat::Cql => true,
        ParamFormat::CqlDate => super::cql::is_cql_date(value),
        // What is inside is checked when the proxy unseals it (an invalid token is 409).
        ParamFormat::SealedCursor => value
            .strip_prefix(crate::pseudonym::SEALED_PREFIX)
            .is_some_and(|body| {
                body.len() >= MIN_SEALED_BODY
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }),
        ParamFormat::Pseudonym | ParamFormat::ReversiblePseudonym => {
            value.strip_prefix("p~").is_some_and(|body| {
                body.len() >= MIN_TOKEN_BODY
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use regex::Regex;

    fn typed(kind: ParamType) -> ParamSchema {
        ParamSchema {
            kind: Some(kind),
            ..ParamSchema::default()
        }
    }

    fn formatted(format: ParamFormat) -> ParamSchema {
        ParamSchema {
            format: Some(format),
            ..ParamSchema::default()
        }
    }

    fn pattern() -> ParamSchema {
        let pattern = Some(Regex::new("^(?:[a-z]+)$").unwrap());
        ParamSchema {
            pattern,
            ..ParamSchema::default()
        }
    }

    fn enumeration() -> ParamSchema {
        let values = Some(vec!["current".to_owned(), "archived".to_owned()]);
        ParamSchema {
            enumeration: values,
            ..ParamSchema::default()
        }
    }

    fn any_of() -> ParamSchema {
        let any_of = vec![typed(ParamType::Integer), enumeration()];
        ParamSchema {
            any_of,
            ..ParamSchema::default()
        }
    }

    #[test]
    fn each_keyword_constrains_the_value() {
        let token = format!("p~{}", "A".repeat(43));
        let short = format!("p~{}", "A".repeat(42));
        let with_domain = format!("{token}@acme.com");
        let cases: Vec<(ParamSchema, &str, bool)> = vec![
            (ParamSchema::default(), "anything", true),
            (typed(ParamType::String), "", true),
            (typed(ParamType::Integer), " 42 ", true),
            (typed(ParamType::Integer), "-1", false),
            (typed(ParamType::Integer), "", false),
            (typed(ParamType::Integer), "٤٢", false),
            (typed(ParamType::Number), "1.5e3", true),
            (typed(ParamType::Number), "-7", true),
            (typed(ParamType::Number), "NaN", false),
            (typed(ParamType::Number), "abc", false),
            (formatted(ParamFormat::Pseudonym), &token, true),
            (formatted(ParamFormat::ReversiblePseudonym), &token, true),
            (formatted(ParamFormat::Pseudonym), &short, false),
            (formatted(ParamFormat::Pseudonym), &with_domain, false),
            (formatted(ParamFormat::Pseudonym), "t~AAAA", false),
            (pattern(), "abc", true),
            (pattern(), "abc1", false),
            (enumeration(), "current", true),
            (enumeration(), "Current", false),
            (any_of(), "7", true),
            (any_of(), "archived", true),
            (any_of(), "other", false),
        ];
        for (schema, value, expected) in cases {
            assert_eq!(
                schema.accepts(value),
                expected,
                "{value:?} against {schema:?}"
            );
        }
    }
}
