//! Query-string parsing for the allow-list (docs/rules.md, "Request gating").
//!
//! Pieces are separated by `&`; each piece splits at its first `=`; name and value are
//! trimmed of ASCII whitespace, then form-decoded (`+` is a space, `%XX` a byte); pieces
//! with an empty name are skipped. A malformed escape or bytes that are not UTF-8 make
//! the whole query malformed: we cannot tell what the upstream would read, so the
//! request is refused rather than guessed at.
//!
//! **Diverges**: Psoxy also splits on `;`, which Confluence does not: `cql=A;=B` would be
//! checked as `cql=A` and read upstream as `cql=A;=B`. A raw `;` (the encoded `%3B` is
//! fine) therefore makes the query malformed, so what is checked is what is sent.

pub(crate) use crate::percent::Malformed;
use crate::percent::{self, Plus};

/// One decoded query parameter; the name keeps its case (comparisons fold it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryParam {
    pub name: String,
    /// `name` folded (`str::to_lowercase`) once, for the comparisons.
    pub folded: String,
    pub value: String,
}

pub(crate) fn parse(query: &str) -> Result<Vec<QueryParam>, Malformed> {
    if query.contains(';') {
        return Err(Malformed);
    }
    let mut params = Vec::new();
    for piece in query.split('&') {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = form_decode(name.trim_ascii())?;
        if name.is_empty() {
            continue;
        }
        let value = form_decode(value.trim_ascii())?;
        let folded = name.to_lowercase();
        params.push(QueryParam {
            name,
            folded,
            value,
        });
    }
    Ok(params)
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn form_decode(text: &str) -> Result<String, Malformed> {
    percent::decode_strict(text, Plus::IsSpace)
}

/// Percent-decoding of a path segment (no `+` rule in paths); `None` if not UTF-8 or
/// malformed.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    percent::decode_strict(text, Plus::IsPlus).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn pairs(query: &str) -> Result<Vec<(String, String)>, Malformed> {
        parse(query).map(|ps| ps.into_iter().map(|p| (p.name, p.value)).collect())
    }

    #[test]
    fn parses_like_a_form() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            ("a=1&b=2", &[("a", "1"), ("b", "2")]),
            ("a=1%3Bb=2", &[("a", "1;b=2")]),
            ("a=x=y", &[("a", "x=y")]),
            (" a = 1 ", &[("a", "1")]),
            ("flag", &[("flag", "")]),
            ("=1&&b", &[("b", "")]),
            ("q=a+b%2Bc", &[("q", "a b+c")]),
            ("%6Eame=%C3%A9", &[("name", "é")]),
            ("a=%20x", &[("a", " x")]),
        ];
        for (query, expected) in cases {
            let expected: Vec<_> = expected
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            assert_eq!(pairs(query), Ok(expected), "query {query:?}");
        }
    }

    #[test]
    fn malformed_escapes_and_bad_utf8_are_refused() {
        for query in [
            "a=%", "a=%4", "a=%zz", "%=1", "a=%FF", "a=%+1", "a=1;b=2", "cql=x;=y",
        ] {
            assert_eq!(pairs(query), Err(Malformed), "query {query:?}");
        }
    }

    #[test]
    fn path_segments_decode_without_the_plus_rule() {
        assert_eq!(percent_decode("a+b%40c").as_deref(), Some("a+b@c"));
        assert_eq!(percent_decode("%FF"), None);
    }
}
