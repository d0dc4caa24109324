//! A computed pseudonym and its three encodings (docs/rules.md, "Transforms").
//!
//! Invariants: `hash` is always the 43-character base64url hash; `reversible`, when present,
//! is `p~` + base64url(reversible bytes) and never carries the domain — the domain is added
//! only when an encoding renders it.

use crate::jackson;

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
        let mut out = String::from('{');
        for (name, value) in fields.iter().filter_map(|(n, v)| v.map(|v| (n, v))) {
            if out.len() > 1 {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            // The one Jackson string escaper of the crate, shared with the sanitizer's writer.
            jackson::write_string(value, &mut out);
        }
        out.push('}');
        out
    }
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
        let p = Pseudonym {
            hash: HASH.into(),
            domain: None,
            reversible: None,
        };
        for (input, expected) in cases {
            let json = p.to_json(Some(input));
            assert_eq!(
                json,
                format!(r#"{{"hash":"{HASH}","original":{expected}}}"#),
                "{input:?}"
            );
            let back: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(back["original"], input);
        }
    }
}
