//! The string-to-string transforms and the text digest (docs/rules.md, "Text transforms", "textDigest").
//!
//! Pure functions over `&str`; the caller applies the common input rule (non-string →
//! null, blank → unchanged). Java semantics are reproduced where Psoxy's output depends
//! on them: `String.trim`, `String.split` (trailing empties dropped), UTF-16 lengths.

use regex::Regex;

/// Java's `String.isBlank`, shared with the pseudonymizer's notion of blank.
pub(crate) use crate::pseudonym::is_java_blank as is_blank;

/// redactRegexMatches: each regex in order removes all of its matches.
pub(crate) fn redact_regex_matches(text: &str, redactions: &[Regex]) -> String {
    redactions.iter().fold(text.to_owned(), |acc, re| {
        re.replace_all(&acc, regex::NoExpand("")).into_owned()
    })
}

/// redactExceptPhrases: the first find of each allowed phrase, joined with `,`.
pub(crate) fn redact_except_phrases(text: &str, phrases: &[Regex]) -> String {
    phrases
        .iter()
        .filter_map(|re| re.find(text).map(|m| m.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// redactExceptSubstringsMatchingRegexes: group 1 of each full match; the longest wins.
pub(crate) fn redact_except_substrings(text: &str, exceptions: &[Regex]) -> String {
    exceptions
        .iter()
        .filter_map(|re| re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str()))
        // The first of equally long candidates wins, as a strict `>` comparison would.
        .fold(None::<&str>, |best, s| match best {
            Some(b) if b.len() >= s.len() => Some(b),
            _ => Some(s),
        })
        .unwrap_or_default()
        .to_owned()
}

/// filterTokenByRegex: tokens that fully match a filter, joined by a space; none → None.
pub(crate) fn filter_tokens(text: &str, delimiter: &Regex, filters: &[Regex]) -> Option<String> {
    let kept: Vec<&str> = java_split(text, delimiter)
        .into_iter()
        .filter(|token| filters.iter().any(|f| f.is_match(token)))
        .collect();
    (!kept.is_empty()).then(|| kept.join(" "))
}

/// Java's `String.split(regex)`: trailing empty strings are removed, and a leading empty
/// string produced by a zero-width match at position 0 is not.
fn java_split<'t>(text: &'t str, delimiter: &Regex) -> Vec<&'t str> {
    let mut pieces: Vec<&str> = delimiter.split(text).collect();
    while pieces.len() > 1 && pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    if pieces.len() == 1 && pieces[0].is_empty() && !text.is_empty() {
        pieces.clear();
    }
    pieces
}

/// textDigest (docs/rules.md, "textDigest"): compact JSON with sorted keys, as a string.
pub(crate) fn text_digest(text: &str, keywords: &[String]) -> String {
    // UTF-16 units, as Java's `String.length()`; a lone surrogate (read as the
    // noncharacter that stands for it) is one unit.
    let surrogates = text.matches(crate::jackson::input::LONE_SURROGATE).count();
    let length = text.encode_utf16().count() - surrogates;
    let word_count = word_count(text);
    let mut out = String::from("{");
    let counts = keyword_counts(text, keywords);
    if !counts.is_empty() {
        out.push_str("\"keywords\":{");
        for (i, (keyword, n)) in counts.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::Value::from(keyword.as_str()).to_string());
            out.push(':');
            out.push_str(&n.to_string());
        }
        out.push_str("},");
    }
    out.push_str(&format!(
        "\"length\":{length},\"word_count\":{word_count}}}"
    ));
    out
}

/// Pieces of the Java-trimmed text split on runs of ASCII whitespace. Only the empty
/// string counts 0; a whitespace-only string trims to "" and splits into one piece.
fn word_count(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    let trimmed = text.trim_matches(|c: char| c <= '\u{20}');
    if trimmed.is_empty() {
        return 1;
    }
    trimmed
        .split([' ', '\t', '\n', '\u{0B}', '\u{0C}', '\r'])
        .filter(|p| !p.is_empty())
        .count()
}

/// Occurrences of each keyword (already lower-cased and sorted) among the lower-cased
/// text's tokens split on ASCII non-word characters; only keywords that occur.
fn keyword_counts<'k>(text: &str, keywords: &'k [String]) -> Vec<(&'k String, usize)> {
    if keywords.is_empty() {
        return Vec::new();
    }
    let lowered = text.to_lowercase();
    let tokens: Vec<&str> = lowered
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    keywords
        .iter()
        .map(|k| (k, tokens.iter().filter(|t| **t == k.as_str()).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(s: &str) -> Regex {
        Regex::new(s).unwrap()
    }

    #[test]
    fn text_digest_table() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("Hello world", &[], r#"{"length":11,"word_count":2}"#),
            ("   ", &[], r#"{"length":3,"word_count":1}"#),
            ("", &[], r#"{"length":0,"word_count":0}"#),
            ("  two\t\twords \n", &[], r#"{"length":14,"word_count":2}"#),
            // 😀 is two UTF-16 code units.
            ("héllo 😀", &[], r#"{"length":8,"word_count":2}"#),
            // "release-2" splits into "release" and "2" on the non-word "-".
            (
                "Release plan: release-2 RELEASE",
                &["plan", "release", "absent"],
                r#"{"keywords":{"plan":1,"release":3},"length":31,"word_count":4}"#,
            ),
            (
                "no match here",
                &["zebra"],
                r#"{"length":13,"word_count":3}"#,
            ),
        ];
        for (text, keywords, expected) in cases {
            let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
            assert_eq!(
                text_digest(text, &keywords),
                *expected,
                "textDigest({text:?})"
            );
        }
    }

    #[test]
    fn java_split_drops_trailing_empties_only() {
        let d = re(r"\s+");
        assert_eq!(java_split("a b  c  ", &d), vec!["a", "b", "c"]);
        assert_eq!(java_split(" a b", &d), vec!["", "a", "b"]);
        assert_eq!(java_split("", &d), vec![""]);
        assert_eq!(java_split("   ", &d), Vec::<&str>::new());
    }

    #[test]
    fn filter_tokens_keeps_full_matches() {
        let filters = [re(r"^(?:https://[^\s]*acme\.com[^\s]*)$")];
        assert_eq!(
            filter_tokens(
                "see https://x.acme.com/a and http://evil.com",
                &re(r"\s+"),
                &filters
            ),
            Some("https://x.acme.com/a".to_owned())
        );
        assert_eq!(filter_tokens("nothing here", &re(r"\s+"), &filters), None);
    }

    #[test]
    fn redaction_helpers() {
        assert_eq!(
            redact_regex_matches("call 555-1234 or 555-9876", &[re(r"\d{3}-\d{4}")]),
            "call  or "
        );
        let phrases = [
            re(r"(?i)\b(Meeting)[\s:]*\b"),
            re(r"(?i)\b(Absent)[\s:]*\b"),
        ];
        assert_eq!(
            redact_except_phrases("Weekly meeting: budget", &phrases),
            "meeting: "
        );
        assert_eq!(redact_except_phrases("nothing", &phrases), "");
        let exceptions = [re(r"^.*?(Zoom|Teams).*?$"), re(r"^.*?(Zoom Meeting).*?$")];
        assert_eq!(
            redact_except_substrings("Join Zoom Meeting now", &exceptions),
            "Zoom Meeting"
        );
        assert_eq!(redact_except_substrings("lunch", &exceptions), "");
    }
}
