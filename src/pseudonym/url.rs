//! Reversal of `p~` tokens in a request's path and query (docs/rules.md, "Pseudonyms"): the text
//! sent upstream, and what was revealed to the source doing so.
//!
//! PURE. Tokens (with their `@domain` suffix) consist only of `[A-Za-z0-9_~.@-]`, so each
//! maximal run of those characters is reversed on its own and, when it held a token,
//! replaced by its percent-encoded original; `%xx` escapes and delimiters between runs are
//! left untouched. Each token is decrypted once: the pairs of what the caller sent and
//! what went upstream travel on in [`ReversedUrl`] (link protection needs them).
//!
//! Invariant: the reversed text differs from the caller's only inside runs that held a
//! token, so `/`, `&`, `=` and `?` stand in the same places in both.

use super::{PseudonymError, Pseudonymizer};
use crate::percent;

/// One run of token characters the caller sent and what replaced it upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    /// The caller's run, e.g. `p~Tt8H…` or `x-p~Tt8H…@acme.com`.
    pub sent_by_caller: String,
    /// The run with every token replaced by its original (not yet percent-encoded).
    pub original: String,
}

/// Path or query text with its tokens reversed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReversedUrl {
    /// The text to send upstream.
    pub text: String,
    /// Every run that held a token, in order.
    pub reversals: Vec<Reversal>,
}

fn is_run_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '~' | '.' | '@' | '-')
}

/// Every `p~` token in `text` replaced by its percent-encoded original.
pub fn reverse_tokens(
    text: &str,
    pseudonymizer: &Pseudonymizer,
) -> Result<ReversedUrl, PseudonymError> {
    let mut reversed = ReversedUrl {
        text: String::with_capacity(text.len()),
        reversals: Vec::new(),
    };
    if !text.contains("p~") {
        reversed.text.push_str(text);
        return Ok(reversed);
    }
    let mut rest = text;
    while !rest.is_empty() {
        let run_len = rest.find(|c: char| !is_run_char(c)).unwrap_or(rest.len());
        let (run, after) = rest.split_at(run_len);
        reverse_run(run, pseudonymizer, &mut reversed)?;
        let gap_len = after.find(is_run_char).unwrap_or(after.len());
        let (gap, next) = after.split_at(gap_len);
        reversed.text.push_str(gap);
        rest = next;
    }
    Ok(reversed)
}

fn reverse_run(
    run: &str,
    pseudonymizer: &Pseudonymizer,
    out: &mut ReversedUrl,
) -> Result<(), PseudonymError> {
    if !run.contains("p~") {
        out.text.push_str(run);
        return Ok(());
    }
    let original = pseudonymizer.reverse_all(run)?;
    if original == run {
        out.text.push_str(run);
        return Ok(());
    }
    out.text.push_str(&percent::encode(&original));
    out.reversals.push(Reversal {
        sent_by_caller: run.to_owned(),
        original,
    });
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::pseudonym::PseudonymConfig;

    fn pseudonymizer() -> Pseudonymizer {
        Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            encryption_key: Some("secret".into()),
            ..PseudonymConfig::default()
        })
    }

    #[test]
    fn reversal_encodes_originals_and_keeps_the_rest() {
        let p = pseudonymizer();
        let email = p.pseudonymize("ana@acme.example", true).unwrap().unwrap();
        let token = email.url_safe_token();
        let plain = p.tokenize("a/b c&d").unwrap();
        let cases = [
            (
                format!("/users/{token}/x"),
                "/users/ana%40acme.example/x".to_owned(),
                vec![(token.clone(), "ana@acme.example")],
            ),
            (
                format!("q=1&id={plain}&z=%20"),
                "q=1&id=a%2Fb%20c%26d&z=%20".to_owned(),
                vec![(plain.clone(), "a/b c&d")],
            ),
            (
                "/no/tokens%2e".to_owned(),
                "/no/tokens%2e".to_owned(),
                vec![],
            ),
        ];
        for (input, expected, reversals) in cases {
            let got = reverse_tokens(&input, &p).unwrap();
            assert_eq!(got.text, expected, "{input}");
            let pairs: Vec<(String, &str)> = got
                .reversals
                .iter()
                .map(|r| (r.sent_by_caller.clone(), r.original.as_str()))
                .collect();
            assert_eq!(pairs, reversals, "{input}");
        }
        let bad = format!("/users/p~{}", "A".repeat(43));
        assert!(reverse_tokens(&bad, &p).is_err());
    }
}
