//! Pagination-link protection: reversed tokens echoed back by the source. The proxy sends
//! the *original* of every `p~` token upstream (docs/proxy.md, "Reversible tokens");
//! Confluence repeats the request's query (and path) in pagination links — `_links.next`
//! in the body, the `Link` header — which rules keep raw so that clients can page.
//! Without this module a caller's token would come back as the real id.
//!
//! PURE. [`LinkProtection`] is built from what the caller sent and the reversals the
//! proxy made (each token decrypted once, in `pseudonym::url`); [`super::sanitize_response`]
//! applies it to the parsed document before the one write, and the proxy applies
//! [`LinkProtection::protect_link_header`] to each `Link` header value.
//!
//! Invariant: in a response to a request that carried tokens, no string of a `_links`
//! object in the body and no `Link` header holds an original (in any percent-encoding)
//! of at least [`MIN_DETECTABLE`] characters. A path segment or query value the source
//! echoed exactly is put back as the caller sent it (with its token, so following the
//! link works); a link that still holds an original after that is dropped.

use serde_json::Value;

use crate::percent::{self, Plus};
use crate::pseudonym::url::ReversedUrl;
use crate::pseudonym::{Pseudonymizer, SEALED_PREFIX};

/// Shorter originals cannot be told apart from ordinary text in a URL (a `p~` for `42`
/// would drop every link with a 42 in it), so they are only re-tokenized, never detected.
pub(super) const MIN_DETECTABLE: usize = 4;

/// What this request revealed to the source, and how the caller spelled it.
#[derive(Debug, Default)]
pub struct LinkProtection {
    /// (path segment sent upstream, decoded; the caller's raw segment).
    segments: Vec<(String, String)>,
    /// (`name=value` pair sent upstream, decoded; the caller's raw pair). Whole pairs, so
    /// an echoed value is restored only under its own parameter name.
    values: Vec<(String, String)>,
    /// Every original of a token in the request, long enough to detect.
    originals: Vec<String>,
    /// Query parameters whose values are sealed in every link (`format: sealed-cursor`).
    sealing: Option<Sealing>,
}

/// Which link parameters are sealed, and the keys to seal them with.
#[derive(Debug)]
struct Sealing {
    /// Lower case.
    names: Vec<String>,
    pseudonymizer: Pseudonymizer,
}

impl LinkProtection {
    /// Protection for a request that revealed nothing (no token was reversed).
    pub fn none() -> LinkProtection {
        LinkProtection::default()
    }

    /// Pairs the caller's path and query with what was sent upstream. Reversal rewrites
    /// only runs of token characters and percent-encodes what it puts back, so `/`, `&`
    /// and `=` sit in the same places in both and the pieces align one to one.
    pub fn new(
        caller_path: &str,
        caller_query: Option<&str>,
        sent_path: &ReversedUrl,
        sent_query: Option<&ReversedUrl>,
    ) -> LinkProtection {
        let mut protection = LinkProtection::default();
        for (mine, sent) in caller_path.split('/').zip(sent_path.text.split('/')) {
            if mine != sent {
                protection
                    .segments
                    .push((decode(sent, false), mine.to_owned()));
            }
        }
        if let (Some(mine), Some(sent)) = (caller_query, sent_query) {
            for (mine, sent) in mine.split('&').zip(sent.text.split('&')) {
                if mine != sent {
                    protection
                        .values
                        .push((decode(sent, true), mine.to_owned()));
                }
            }
        }
        let reversals = sent_path
            .reversals
            .iter()
            .chain(sent_query.into_iter().flat_map(|q| &q.reversals));
        protection.originals = reversals
            .map(|r| r.original.clone())
            .filter(|original| original.chars().count() >= MIN_DETECTABLE)
            .collect();
        protection
    }

    /// The same protection, and the values of the query parameters `names` sealed in
    /// every link (`c~…`, docs/rules.md, "Sealed cursors"), so the caller can follow a
    /// link but neither read the cursor nor write one of its own.
    pub fn sealing(mut self, names: &[&str], pseudonymizer: &Pseudonymizer) -> LinkProtection {
        if !names.is_empty() {
            self.sealing = Some(Sealing {
                names: names.iter().map(|n| n.to_ascii_lowercase()).collect(),
                pseudonymizer: pseudonymizer.clone(),
            });
        }
        self
    }

    /// Whether there is nothing to do (otherwise responses pass untouched).
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
            && self.values.is_empty()
            && self.originals.is_empty()
            && self.sealing.is_none()
    }

    /// `url` with echoed originals re-tokenized, or `None` when one remains (drop it).
    pub fn protect_link(&self, url: &str) -> Option<String> {
        let (url, fragment) = url
            .split_once('#')
            .map_or((url, None), |(u, f)| (u, Some(f)));
        let (path, query) = url
            .split_once('?')
            .map_or((url, None), |(p, q)| (p, Some(q)));
        let mut out = path
            .split('/')
            .map(|segment| self.restore(&self.segments, segment, false))
            .collect::<Vec<_>>()
            .join("/");
        if let Some(query) = query {
            let pairs = query
                .split('&')
                .map(|pair| self.seal(self.restore(&self.values, pair, true)));
            out = format!("{out}?{}", pairs.collect::<Vec<_>>().join("&"));
        }
        if let Some(fragment) = fragment {
            out = format!("{out}#{fragment}");
        }
        (!self.reveals(&out) && !self.holds_unsealed_cursor(&out)).then_some(out)
    }

    /// Whether a sealed parameter still appears unsealed anywhere in `text` — in a shape
    /// the pair-wise sealing did not parse (`&amp;cursor=`, after a `;`, in the fragment):
    /// such a link is dropped rather than passed with a raw cursor.
    fn holds_unsealed_cursor(&self, text: &str) -> bool {
        let Some(sealing) = &self.sealing else {
            return false;
        };
        let lower = text.to_ascii_lowercase();
        sealing.names.iter().any(|name| {
            let needle = format!("{name}=");
            lower.match_indices(&needle).any(|(at, _)| {
                let boundary = lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_' && c != '-');
                let value = &lower[at + needle.len()..];
                boundary
                    && !value.starts_with(SEALED_PREFIX)
                    && !value.is_empty()
                    && !value.starts_with('&')
            })
        })
    }

    /// Every `_links` string of a sanitized document protected (dropped when it cannot
    /// be), at any depth.
    pub fn protect_document(&self, value: &mut Value) {
        if !self.is_empty() {
            self.protect_value(value);
        }
    }

    /// A `Link` header value (RFC 8288 `<url>; rel=…, <url>; …`) with each `<url>`
    /// protected; `None` when one cannot be (drop the header value).
    pub fn protect_link_header(&self, text: &str) -> Option<String> {
        if self.is_empty() {
            return Some(text.to_owned());
        }
        // Not RFC 8288's `<url>` form: nothing can be protected in it, so it is dropped.
        if !text.contains('<') {
            return None;
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let close = rest[open..].find('>')? + open;
            out.push_str(&rest[..=open]);
            out.push_str(&self.protect_link(&rest[open + 1..close])?);
            out.push('>');
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        (!self.reveals(&out)).then_some(out)
    }

    fn protect_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(links)) = map.get_mut("_links") {
                    links.retain(|_, link| match link {
                        Value::String(url) => match self.protect_link(url) {
                            Some(safe) => {
                                *url = safe;
                                true
                            }
                            None => false,
                        },
                        _ => true,
                    });
                }
                map.values_mut().for_each(|v| self.protect_value(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.protect_value(v)),
            _ => {}
        }
    }

    /// `pair` with its value sealed when its name is a sealed parameter (a value the
    /// caller sent, restored above, is sealed already).
    fn seal(&self, pair: String) -> String {
        let Some(sealing) = &self.sealing else {
            return pair;
        };
        let (name, value) = pair.split_once('=').unwrap_or((&pair, ""));
        let sealed_name = sealing
            .names
            .contains(&decode(name, true).trim().to_ascii_lowercase());
        if !sealed_name || value.starts_with(SEALED_PREFIX) || value.is_empty() {
            return pair;
        }
        // `+` stays a plus sign: cursors are base64, and the source escapes what it means.
        let cursor = decode(value, false);
        format!("{name}={}", sealing.pseudonymizer.seal(&cursor))
    }

    /// The caller's spelling of `piece` when the source echoed a sent piece exactly.
    fn restore(&self, pairs: &[(String, String)], piece: &str, query: bool) -> String {
        if pairs.is_empty() {
            return piece.to_owned();
        }
        let decoded = decode(piece, query);
        pairs
            .iter()
            .find(|(sent, _)| *sent == decoded)
            .map_or_else(|| piece.to_owned(), |(_, mine)| mine.clone())
    }

    /// Whether `text`, raw or percent-decoded, holds a detectable original.
    fn reveals(&self, text: &str) -> bool {
        if self.originals.is_empty() {
            return false;
        }
        let decoded = decode(text, true);
        self.originals
            .iter()
            .any(|o| text.contains(o.as_str()) || decoded.contains(o.as_str()))
    }
}

/// Percent-decoding (and `+` as space in query text); invalid escapes stay literal and
/// invalid UTF-8 is replaced, which can only make a comparison fail, never leak.
fn decode(text: &str, query: bool) -> String {
    let plus = if query { Plus::IsSpace } else { Plus::IsPlus };
    percent::decode_lossy(text, plus)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::pseudonym::url::reverse_tokens;
    use crate::pseudonym::{PseudonymConfig, Pseudonymizer};

    const ACCOUNT: &str = "557058:2f1c9e7a-0b1d-4c3e-9f20-aa11bb22cc33";
    const SHORT: &str = "42";

    fn pseudonymizer() -> Pseudonymizer {
        Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            encryption_key: Some("secret".into()),
            ..PseudonymConfig::default()
        })
    }

    /// The protection for a caller's path and query, reversed exactly as the proxy does.
    fn echoes(path: &str, query: &str) -> LinkProtection {
        let p = pseudonymizer();
        let sent_path = reverse_tokens(path, &p).unwrap();
        let sent_query = reverse_tokens(query, &p).unwrap();
        LinkProtection::new(path, Some(query), &sent_path, Some(&sent_query))
    }

    /// `body` parsed, protected and written once, as the sanitizer does.
    fn protect_body(e: &LinkProtection, body: &str) -> String {
        let mut value: Value = serde_json::from_str(body).unwrap();
        e.protect_document(&mut value);
        crate::jackson::to_compact_string(&value)
    }

    #[test]
    fn links_are_retokenized_or_dropped() {
        let p = pseudonymizer();
        let token = p.tokenize(ACCOUNT).unwrap();
        let short = p.tokenize(SHORT).unwrap();
        let query = format!("favorited-by={token}&cql=creator%3D{token}&limit=3&x={short}");
        let e = echoes(&format!("/wiki/api/v2/pages/{short}/versions"), &query);
        let colon = "557058%3A2f1c9e7a-0b1d-4c3e-9f20-aa11bb22cc33";
        let lower = "557058%3a2f1c9e7a-0b1d-4c3e-9f20-aa11bb22cc33";
        let cases: Vec<(String, Option<String>)> = vec![
            // Echoed exactly: the caller's token comes back, so following the link works.
            (
                format!("/wiki/api/v2/spaces?cursor=abc&favorited-by={colon}&limit=3"),
                Some(format!(
                    "/wiki/api/v2/spaces?cursor=abc&favorited-by={token}&limit=3"
                )),
            ),
            // Another spelling of the same value (lower-case escape, `+`-free).
            (
                format!("/wiki/api/v2/spaces?favorited-by={lower}"),
                Some(format!("/wiki/api/v2/spaces?favorited-by={token}")),
            ),
            (
                format!("/wiki/rest/api/content/search?cql=creator%3D{colon}&next=true"),
                Some(format!(
                    "/wiki/rest/api/content/search?cql=creator%3D{token}&next=true"
                )),
            ),
            // The source rewrote the value: the original cannot be put back, so drop.
            (
                format!("/wiki/rest/api/content/search?cql=creator+%3D+%22{colon}%22"),
                None,
            ),
            (format!("/wiki/api/v2/spaces#{ACCOUNT}"), None),
            // A short original is re-tokenized in place, never detected elsewhere.
            (
                format!("/wiki/api/v2/pages/{SHORT}/versions?cursor=x&x={SHORT}&limit=42"),
                Some(format!(
                    "/wiki/api/v2/pages/{short}/versions?cursor=x&x={short}&limit=42"
                )),
            ),
            // Nothing revealed: byte-identical.
            (
                "/wiki/api/v2/spaces?cursor=eyJpZCI6MX0%3D&limit=3".to_owned(),
                Some("/wiki/api/v2/spaces?cursor=eyJpZCI6MX0%3D&limit=3".to_owned()),
            ),
        ];
        for (link, expected) in cases {
            assert_eq!(e.protect_link(&link), expected, "link {link}");
        }
    }

    #[test]
    fn body_links_and_link_headers() {
        let token = pseudonymizer().tokenize(ACCOUNT).unwrap();
        let e = echoes("/wiki/api/v2/spaces", &format!("favorited-by={token}"));
        let colon = "557058%3A2f1c9e7a-0b1d-4c3e-9f20-aa11bb22cc33";
        let body = format!(
            r#"{{"results":[{{"id":"1","_links":{{"self":"/x/{ACCOUNT}-y"}}}}],"_links":{{"next":"/wiki/api/v2/spaces?favorited-by={colon}","base":"https://acme.example/wiki"}}}}"#
        );
        let expected = format!(
            r#"{{"results":[{{"id":"1","_links":{{}}}}],"_links":{{"next":"/wiki/api/v2/spaces?favorited-by={token}","base":"https://acme.example/wiki"}}}}"#
        );
        assert_eq!(protect_body(&e, &body), expected);
        let untouched = r#"{"_links":{"next":"/wiki/api/v2/spaces?cursor=1"}}"#;
        assert_eq!(protect_body(&e, untouched), untouched);

        let next = format!(r#"</wiki/api/v2/spaces?favorited-by={colon}>; rel="next""#);
        let rewritten = format!(r#"</wiki/api/v2/spaces?favorited-by=%22{colon}%22>; rel="next""#);
        let expected_next = format!(r#"</wiki/api/v2/spaces?favorited-by={token}>; rel="next""#);
        assert_eq!(e.protect_link_header(&next), Some(expected_next));
        assert_eq!(e.protect_link_header(&rewritten), None);
        let prev = "</a?b=1>; rel=\"prev\"";
        assert_eq!(e.protect_link_header(prev).as_deref(), Some(prev));
    }

    #[test]
    fn requests_without_tokens_reveal_nothing() {
        let e = echoes("/wiki/api/v2/spaces", "limit=3&cursor=abc");
        assert!(e.is_empty());
        let link = "/wiki/api/v2/spaces?limit=3";
        assert_eq!(e.protect_link(link).as_deref(), Some(link));
    }

    #[test]
    fn cursors_are_sealed_and_odd_link_shapes_dropped() {
        let p = pseudonymizer();
        let e = LinkProtection::default().sealing(&["cursor"], &p);
        let sealed = p.seal("eyJpZCI6IjEifQ==");
        let cases: Vec<(&str, Option<String>)> = vec![
            (
                "/wiki/api/v2/spaces?limit=3&cursor=eyJpZCI6IjEifQ%3D%3D",
                Some(format!("/wiki/api/v2/spaces?limit=3&cursor={sealed}")),
            ),
            (
                "/wiki/api/v2/spaces?limit=3&amp;cursor=eyJpZCI6IjEifQ",
                None,
            ),
            ("/wiki/api/v2/spaces?limit=3;cursor=eyJpZCI6IjEifQ", None),
            ("/wiki/api/v2/spaces?limit=3#cursor=eyJpZCI6IjEifQ", None),
            (
                "/wiki/api/v2/spaces?limit=3&precursor=x",
                Some("/wiki/api/v2/spaces?limit=3&precursor=x".into()),
            ),
            (
                "/wiki/api/v2/spaces?limit=3",
                Some("/wiki/api/v2/spaces?limit=3".into()),
            ),
        ];
        for (link, expected) in cases {
            assert_eq!(e.protect_link(link), expected, "{link}");
        }
        let bare = "/wiki/api/v2/spaces?cursor=eyJpZCI6IjEifQ; rel=\"next\"";
        assert_eq!(e.protect_link_header(bare), None);
    }
}
