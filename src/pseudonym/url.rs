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
//! token, so `/`, `&`, `=` and `?` stand in the same places in both; an original is
//! encoded whole — `.` and every reserved character included — so it can never become a
//! dot segment, a path separator or a new query parameter (the proxy also re-checks the
//! result, `RuleSet::check_upstream`).

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
    out.text.push_str(&percent::encode_value(&original));
    out.reversals.push(Reversal {
        sent_by_caller: run.to_owned(),
        original,
    });
    Ok(())
}

/// `query` with the value of every parameter named in `sealed` (lower case) unsealed and
/// percent-encoded: what the source issued, before the proxy sealed it. A value that is
/// not a valid sealed token fails the call (a raw cursor from the caller is refused: it
/// could seek by a field the rules do not allow).
pub fn unseal_params(
    query: &str,
    sealed: &[&str],
    pseudonymizer: &Pseudonymizer,
) -> Result<String, PseudonymError> {
    if sealed.is_empty() {
        return Ok(query.to_owned());
    }
    let mut pieces = Vec::new();
    for piece in query.split('&') {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let decoded_name = percent::decode_lossy(name, percent::Plus::IsSpace);
        let named = sealed.contains(&decoded_name.trim().to_ascii_lowercase().as_str());
        match named {
            true => {
                let token = percent::decode_lossy(value, percent::Plus::IsPlus);
                let cursor = pseudonymizer.unseal(token.trim())?;
                pieces.push(format!("{name}={}", percent::encode_value(&cursor)));
            }
            false => pieces.push(piece.to_owned()),
        }
    }
    Ok(pieces.join("&"))
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
                "/users/ana%40acme%2Eexample/x".to_owned(),
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

    #[test]
    fn sealed_parameters_are_unsealed_and_others_kept() {
        let p = pseudonymizer();
        let sealed = p.seal("eyJpZCI6IjEifQ==");
        let query = format!("limit=5&cursor={sealed}&next=true");
        assert_eq!(
            unseal_params(&query, &["cursor"], &p).unwrap(),
            "limit=5&cursor=eyJpZCI6IjEifQ%3D%3D&next=true"
        );
        assert_eq!(unseal_params(&query, &[], &p).unwrap(), query);
        for raw in ["cursor=eyJpZCI6IjEifQ", "CURSOR=x", "cursor="] {
            assert!(unseal_params(raw, &["cursor"], &p).is_err(), "{raw}");
        }
    }
}
