//! A computed pseudonym and its three encodings (rules contract §6.1).
//!
//! Invariants: `hash` is always the 43-character base64url hash; `reversible`, when present,
//! is `p~` + base64url(reversible bytes) and never carries the domain — the domain is added
//! only when an encoding renders it.

/// The pseudonym of one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudonym {
    /// base64url(SHA-256(canonical ‖ salt)), 43 characters, no prefix.
    pub hash: String,
    /// For emails: the domain as the domain handling renders it (`acme.com` as written,
    /// `h~…` or `e~…`); `None` for non-emails and under `REDACT`.
    pub domain: Option<String>,
    /// `p~…` without the domain, when a reversible pseudonym was requested.
    pub reversible: Option<String>,
}

impl Pseudonym {
    /// `URL_SAFE_TOKEN`: `p~…` when reversible, else `t~<hash>`; then `@domain` for emails.
    pub fn url_safe_token(&self) -> String {
        let mut token = match &self.reversible {
            Some(reversible) => reversible.clone(),
            None => format!("t~{}", self.hash),
        };
        if let Some(domain) = &self.domain {
            token.push('@');
            token.push_str(domain);
        }
        token
    }

    /// `URL_SAFE_HASH_ONLY`: the bare hash, no prefix and no domain.
    pub fn hash_only(&self) -> &str {
        &self.hash
    }

    /// `JSON`: compact JSON with properties in Psoxy's order `domain`, `hash`, `h_4`,
    /// `original`, `reversible`, nulls omitted. `h_4` (a legacy-implementation hash) is
    /// therefore never written: v0.4 is the only implementation. As in Psoxy, `reversible`
    /// here carries the `@domain` suffix, exactly as the `URL_SAFE_TOKEN` form does.
    pub fn to_json(&self, original: Option<&str>) -> String {
        let reversible = self.reversible.as_ref().map(|_| self.url_safe_token());
        let fields = [
            ("domain", self.domain.as_deref()),
            ("hash", Some(self.hash.as_str())),
            ("original", original),
            ("reversible", reversible.as_deref()),
        ];
        let body: Vec<String> = fields
            .iter()
            .filter_map(|(name, value)| value.map(|v| format!("\"{name}\":{}", json_string(v))))
            .collect();
        format!("{{{}}}", body.join(","))
    }
}

/// A JSON string literal escaped as Jackson writes it: `"` and `\` escaped, `\b \t \n \f \r`
/// as short escapes, other control characters as `\u00XX` with uppercase hex, everything
/// else (including non-ASCII and `/`) literal.
fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    const HASH: &str = "UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk";

    fn email(reversible: Option<&str>) -> Pseudonym {
        Pseudonym {
            hash: HASH.into(),
            domain: Some("acme.com".into()),
            reversible: reversible.map(String::from),
        }
    }

    #[test]
    fn encodings_of_an_email() {
        let plain = email(None);
        assert_eq!(plain.url_safe_token(), format!("t~{HASH}@acme.com"));
        assert_eq!(plain.hash_only(), HASH);
        assert_eq!(
            plain.to_json(None),
            format!(r#"{{"domain":"acme.com","hash":"{HASH}"}}"#)
        );
        let rev = email(Some("p~abc"));
        assert_eq!(rev.url_safe_token(), "p~abc@acme.com");
        assert_eq!(
            rev.to_json(Some("alice@acme.com")),
            format!(
                r#"{{"domain":"acme.com","hash":"{HASH}","original":"alice@acme.com","reversible":"p~abc@acme.com"}}"#
            )
        );
    }

    #[test]
    fn encodings_of_a_non_email() {
        let p = Pseudonym {
            hash: HASH.into(),
            domain: None,
            reversible: None,
        };
        assert_eq!(p.url_safe_token(), format!("t~{HASH}"));
        assert_eq!(
            p.to_json(Some("42")),
            format!(r#"{{"hash":"{HASH}","original":"42"}}"#)
        );
    }

    #[test]
    fn json_escapes_like_jackson() {
        let cases = [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\u{8}\t\n\u{c}\r", r#""\b\t\n\f\r""#),
            ("\u{1}\u{1f}", r#""\u0001\u001F""#),
            ("é/☃\u{7f}", "\"é/☃\u{7f}\""),
        ];
        for (input, expected) in cases {
            assert_eq!(json_string(input), expected, "{input:?}");
            let back: String = serde_json::from_str(&json_string(input)).unwrap();
            assert_eq!(back, input);
        }
    }
}
