//! Finding `p~` tokens in text (docs/rules.md, "Pseudonyms").
//!
//! A token is `p~[A-Za-z0-9_-]{43,}` optionally followed by a domain suffix, which is
//! consumed and dropped because the ciphertext already holds the whole original (domain
//! included). The suffix is `@` + `[A-Za-z0-9.-]+` as in Psoxy, and additionally `@e~…` /
//! `@h~…` (the encrypted and tokenized domain forms this proxy itself emits), which Psoxy's
//! pattern would cut in half.
//!
//! Invariant: matching is leftmost-first and non-overlapping, as a regex `find_iter` would
//! be; the scanner never reads outside the text.

/// Minimum body length: a 32-byte hash alone is 43 base64url characters.
const MIN_BODY: usize = 43;

/// One token found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenMatch<'a> {
    /// Byte offsets of the whole match (token and domain suffix).
    pub start: usize,
    pub end: usize,
    /// The base64url body after `p~`.
    pub body: &'a str,
}

fn is_body_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_plain_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

fn run_length(bytes: &[u8], from: usize, accept: fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|b| accept(**b)).count())
}

/// The token starting exactly at `start`, if there is one.
pub(crate) fn token_at(text: &str, start: usize) -> Option<TokenMatch<'_>> {
    let bytes = text.as_bytes();
    if bytes.get(start..start + 2) != Some(b"p~") {
        return None;
    }
    let body_start = start + 2;
    let body_len = run_length(bytes, body_start, is_body_byte);
    if body_len < MIN_BODY {
        return None;
    }
    let body_end = body_start + body_len;
    Some(TokenMatch {
        start,
        end: body_end + domain_suffix_len(bytes, body_end),
        body: text.get(body_start..body_end)?,
    })
}

/// Length of `@e~…`, `@h~…` or `@plain.domain` at `at`; 0 when there is none.
fn domain_suffix_len(bytes: &[u8], at: usize) -> usize {
    if bytes.get(at) != Some(&b'@') {
        return 0;
    }
    let prefixed = matches!(bytes.get(at + 1..at + 3), Some(b"e~" | b"h~"));
    if prefixed {
        let body = run_length(bytes, at + 3, is_body_byte);
        if body > 0 {
            return 3 + body;
        }
    }
    match run_length(bytes, at + 1, is_plain_domain_byte) {
        0 => 0,
        n => 1 + n,
    }
}

/// Every token in `text`, left to right, non-overlapping.
pub(crate) fn find_tokens(text: &str) -> Vec<TokenMatch<'_>> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(offset) = text.get(pos..).and_then(|rest| rest.find("p~")) {
        let start = pos + offset;
        match token_at(text, start) {
            Some(token) => {
                pos = token.end;
                found.push(token);
            }
            None => pos = start + 1,
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    const BODY: &str = "UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-";

    /// The matched substrings of `text`.
    fn matches(text: &str) -> Vec<&str> {
        find_tokens(text)
            .iter()
            .map(|m| &text[m.start..m.end])
            .collect()
    }

    #[test]
    fn finds_tokens_with_and_without_domains() {
        let tok = format!("p~{BODY}");
        let cases: Vec<(String, Vec<String>)> = vec![
            (format!("/users/{tok}/x"), vec![tok.clone()]),
            (
                format!("/users/{tok}@acme.com/x"),
                vec![format!("{tok}@acme.com")],
            ),
            (
                format!("?a={tok}@e~{BODY}&b=1"),
                vec![format!("{tok}@e~{BODY}")],
            ),
            (
                format!("?a={tok}@h~abc_-9"),
                vec![format!("{tok}@h~abc_-9")],
            ),
            (format!("{tok}@"), vec![tok.clone()]),
            (format!("{tok}@e~"), vec![format!("{tok}@e")]),
            (format!("{tok},{tok}"), vec![tok.clone(), tok.clone()]),
            (format!("p~p~{BODY}"), vec![tok.clone()]),
            (format!("xp~{BODY}"), vec![tok.clone()]),
            ("p~short".to_string(), vec![]),
            (format!("t~{BODY}"), vec![]),
            (format!("p~{}", &BODY[..42]), vec![]),
            (
                format!("p~{}", &BODY[..43]),
                vec![format!("p~{}", &BODY[..43])],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(matches(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn body_excludes_prefix_and_domain() {
        let text = format!("p~{BODY}@acme.com");
        let m = token_at(&text, 0).unwrap();
        assert_eq!(m.body, BODY);
        assert_eq!((m.start, m.end), (0, text.len()));
    }

    #[test]
    fn scanning_is_safe_around_multibyte_text() {
        let text = format!("é p~{BODY}☃p~");
        assert_eq!(matches(&text), vec![format!("p~{BODY}")]);
    }
}
