//! Compiling one transform (docs/rules.md, "Transforms"): options validated, JSONPaths
//! and regexes compiled, defaults filled in.
//!
//! Regex shapes follow how Psoxy uses each one: `redactRegexMatches` and
//! `pseudonymizeRegexMatches` search (`find`); `tokenize`, `filterTokenByRegex` filters
//! and parameter patterns must match the whole value; `redactExceptSubstringsMatchingRegexes`
//! wraps each exception as Java's `.*?(R).*?` full match — with Java's `.`, which does not
//! cross line terminators (parity: a multi-line value keeps nothing unless R spans it).

use serde_saphyr::{Location, Spanned};

use super::compile::Compiler;
use super::java_regex::{self, Shape};
use super::model::{Encoding, Transform, TransformKind};
use super::raw::{RawFilterTokenByRegex, RawPseudonymize, RawTransform};
use crate::jsonpath::JsonPath;

const ENCODINGS: [(&str, Encoding); 3] = [
    ("URL_SAFE_TOKEN", Encoding::UrlSafeToken),
    ("URL_SAFE_HASH_ONLY", Encoding::UrlSafeHashOnly),
    ("JSON", Encoding::Json),
];

/// `filterTokenByRegex` splits on this when no `delimiter` is given.
const DEFAULT_DELIMITER: &str = r"\s+";

impl Compiler<'_> {
    /// `None` when anything about the transform is wrong (each problem is recorded).
    pub(crate) fn transform(&mut self, transform: &Spanned<RawTransform>) -> Option<Transform> {
        let before = self.problems.len();
        let (paths, apply_only_when) = common(&transform.value);
        let json_paths: Vec<Option<JsonPath>> = paths.iter().map(|p| self.json_path(p)).collect();
        let apply_only_when = apply_only_when.map(|p| self.json_path(p));
        let kind = self.kind(transform);
        if self.problems.len() > before {
            return None;
        }
        Some(Transform {
            kind: kind?,
            json_paths: json_paths.into_iter().collect::<Option<_>>()?,
            apply_only_when: apply_only_when.map_or(Some(None), |p| p.map(Some))?,
        })
    }

    fn kind(&mut self, transform: &Spanned<RawTransform>) -> Option<TransformKind> {
        use RawTransform as R;
        Some(match &transform.value {
            R::Redact(_) => TransformKind::Redact,
            R::HashIp(_) => TransformKind::HashIp,
            R::EncryptIp(_) => TransformKind::EncryptIp,
            R::Pseudonymize(raw) => self.pseudonymize(raw, &transform.referenced)?,
            R::PseudonymizeEmailHeader(raw) => TransformKind::PseudonymizeEmailHeader {
                encoding: self.encoding(raw.encoding.as_ref())?,
            },
            R::PseudonymizeRegexMatches(raw) => TransformKind::PseudonymizeRegexMatches {
                regex: self.regex(&raw.regex, Shape::Find, "regex")?,
                include_reversible: raw.include_reversible.unwrap_or(false),
            },
            R::RedactRegexMatches(raw) => TransformKind::RedactRegexMatches {
                redactions: self.regexes(raw.redactions.as_deref(), Shape::Find, "redactions")?,
            },
            R::RedactExceptPhrases(raw) => TransformKind::RedactExceptPhrases {
                phrases: self.phrases(raw.allowed_phrases.as_deref(), transform)?,
            },
            R::RedactExceptSubstringsMatchingRegexes(raw) => {
                TransformKind::RedactExceptSubstringsMatchingRegexes {
                    exceptions: self.regexes(
                        raw.exceptions.as_deref(),
                        Shape::Surrounded,
                        "exceptions",
                    )?,
                }
            }
            R::FilterTokenByRegex(raw) => self.filter_token_by_regex(raw)?,
            R::Tokenize(raw) => TransformKind::Tokenize {
                regex: self.tokenize_regex(raw.regex.as_ref())?,
            },
            R::TextDigest(raw) => TransformKind::TextDigest {
                is_json_escaped: raw.is_json_escaped.unwrap_or(false),
                json_path_to_process_when_escaped: match &raw.json_path_to_process_when_escaped {
                    Some(path) => Some(self.json_path(path)?),
                    None => None,
                },
                keywords: keywords(raw.keywords.as_deref()),
            },
        })
    }

    /// Java's `\b(Pattern.quote(P))[\s:]*\b` with CASE_INSENSITIVE, per phrase: the phrase
    /// folds ASCII case only (hence `(?-u:…)` around it), `\s` is ASCII, `\b` Unicode as
    /// in JDK 17. A quoted literal only fails to compile when absurdly long.
    fn phrases(
        &mut self,
        phrases: Option<&[String]>,
        transform: &Spanned<RawTransform>,
    ) -> Option<Vec<regex::Regex>> {
        let mut out = Vec::new();
        for phrase in phrases.unwrap_or_default() {
            let pattern = format!(
                r"(?i)\b((?-u:{}))[\t\n\x0B\x0C\r :]*\b",
                regex::escape(phrase)
            );
            match regex::Regex::new(&pattern) {
                Ok(regex) => out.push(regex),
                Err(_) => {
                    let message = format!("allowed phrase `{phrase}` cannot be compiled");
                    self.error(&transform.referenced, message);
                    return None;
                }
            }
        }
        Some(out)
    }

    fn pseudonymize(&mut self, raw: &RawPseudonymize, at: &Location) -> Option<TransformKind> {
        let encoding = self.encoding(raw.encoding.as_ref())?;
        let include_original = raw.include_original.as_ref();
        let clash = include_original.filter(|o| o.value && encoding == Encoding::UrlSafeToken);
        // A pruned (mistyped) `encoding` reads as the default; do not blame it twice.
        let encoding_pruned = self.damage.has(at, "encoding");
        if let Some(flag) = clash.filter(|_| !encoding_pruned) {
            self.error_hint(
                &flag.referenced,
                "`includeOriginal: true` cannot be combined with encoding `URL_SAFE_TOKEN`",
                "use `encoding: JSON` to keep the original, or drop `includeOriginal`",
            );
        }
        Some(TransformKind::Pseudonymize {
            encoding,
            include_reversible: raw.include_reversible.unwrap_or(false),
            include_original: include_original.is_some_and(|o| o.value),
        })
    }

    fn filter_token_by_regex(&mut self, raw: &RawFilterTokenByRegex) -> Option<TransformKind> {
        // Both compiled before either can end this: both problems get reported.
        let delimiter = match &raw.delimiter {
            Some(d) => self.regex(d, Shape::Find, "delimiter"),
            None => java_regex::compile(DEFAULT_DELIMITER, Shape::Find).ok(),
        };
        let filters = self.regexes(raw.filters.as_deref(), Shape::Full, "filters");
        Some(TransformKind::FilterTokenByRegex {
            delimiter: delimiter?,
            filters: filters?,
        })
    }

    fn encoding(&mut self, text: Option<&Spanned<String>>) -> Option<Encoding> {
        match text {
            Some(text) => self.named(text, &ENCODINGS, "encoding"),
            None => Some(Encoding::default()),
        }
    }

    /// `Some(None)` without a regex; the regex must have group 1, which is what is tokenized.
    fn tokenize_regex(&mut self, text: Option<&Spanned<String>>) -> Option<Option<regex::Regex>> {
        let Some(text) = text else { return Some(None) };
        let regex = self.regex(text, Shape::Full, "regex")?;
        if regex.captures_len() < 2 {
            self.error_hint(
                &text.referenced,
                "tokenize `regex` has no capture group",
                "wrap the part to tokenize in parentheses: group 1 is tokenized",
            );
            return None;
        }
        Some(Some(regex))
    }
}

/// Every transform's `jsonPaths` and `applyOnlyWhen`.
fn common(raw: &RawTransform) -> (&[Spanned<String>], Option<&Spanned<String>>) {
    use RawTransform as R;
    match raw {
        R::Redact(r) | R::HashIp(r) | R::EncryptIp(r) => {
            (&r.json_paths, r.apply_only_when.as_ref())
        }
        R::Pseudonymize(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::PseudonymizeEmailHeader(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::PseudonymizeRegexMatches(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::RedactRegexMatches(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::RedactExceptPhrases(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::RedactExceptSubstringsMatchingRegexes(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::FilterTokenByRegex(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::Tokenize(r) => (&r.json_paths, r.apply_only_when.as_ref()),
        R::TextDigest(r) => (&r.json_paths, r.apply_only_when.as_ref()),
    }
}

/// Lower-cased, sorted, de-duplicated: the digest counts keywords case-insensitively and
/// lists them sorted.
fn keywords(raw: Option<&[String]>) -> Vec<String> {
    let mut out: Vec<String> = raw
        .unwrap_or_default()
        .iter()
        .map(|k| k.to_lowercase())
        .collect();
    out.sort();
    out.dedup();
    out
}
