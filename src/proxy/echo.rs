//! Reversed tokens echoed back by the source. Spec §2.7 sends the *original* of every
//! `p~` token upstream; Confluence repeats the request's query (and path) in pagination
//! links — `_links.next` in the body, the `Link` header — which rules keep raw so that
//! clients can page. Without this module a caller's token would come back as the real id.
//!
//! Invariant: in a response to a request that carried tokens, no string of a `_links`
//! object in the body and no `Link` header holds an original (in any percent-encoding)
//! of at least [`MIN_DETECTABLE`] characters. A path segment or query value the source
//! echoed exactly is put back as the caller sent it (with its token, so following the
//! link works); a link that still holds an original after that is dropped.

use axum::http::{HeaderMap, HeaderValue, header};
use serde_json::Value;

use super::target::Target;
use crate::pseudonym::Pseudonymizer;

/// Shorter originals cannot be told apart from ordinary text in a URL (a `p~` for `42`
/// would drop every link with a 42 in it), so they are only re-tokenized, never detected.
pub const MIN_DETECTABLE: usize = 4;

/// What this request revealed to the source, and how the caller spelled it.
#[derive(Debug, Default)]
pub struct Echoes {
    /// (path segment sent upstream, decoded; the caller's raw segment).
    segments: Vec<(String, String)>,
    /// (`name=value` pair sent upstream, decoded; the caller's raw pair). Whole pairs, so
    /// an echoed value is restored only under its own parameter name.
    values: Vec<(String, String)>,
    /// Every original of a token in the request, long enough to detect.
    originals: Vec<String>,
}

impl Echoes {
    /// Pairs the caller's target with what was sent upstream. `reverse_tokens` rewrites
    /// only runs of token characters and percent-encodes what it puts back, so `/`, `&`
    /// and `=` sit in the same places in both and the pieces align one to one.
    pub fn new(
        caller: &Target,
        sent_path: &str,
        sent_query: Option<&str>,
        pseudonymizer: &Pseudonymizer,
    ) -> Echoes {
        let mut echoes = Echoes::default();
        for (mine, sent) in caller.path.split('/').zip(sent_path.split('/')) {
            if mine != sent {
                echoes.segments.push((decode(sent, false), mine.to_owned()));
            }
        }
        if let (Some(mine), Some(sent)) = (caller.query.as_deref(), sent_query) {
            for (mine, sent) in mine.split('&').zip(sent.split('&')) {
                if mine != sent {
                    echoes.values.push((decode(sent, true), mine.to_owned()));
                }
            }
        }
        let caller_text = format!("{}?{}", caller.path, caller.query.as_deref().unwrap_or(""));
        echoes.originals = token_runs(&caller_text)
            .filter_map(|run| pseudonymizer.reverse_all(run).ok())
            .filter(|original| original.chars().count() >= MIN_DETECTABLE)
            .collect();
        echoes
    }

    /// Whether the request revealed anything (otherwise responses pass untouched).
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.values.is_empty() && self.originals.is_empty()
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
                .map(|pair| self.restore(&self.values, pair, true));
            out = format!("{out}?{}", pairs.collect::<Vec<_>>().join("&"));
        }
        if let Some(fragment) = fragment {
            out = format!("{out}#{fragment}");
        }
        (!self.reveals(&out)).then_some(out)
    }

    /// A sanitized body with every `_links` string protected (dropped when it cannot be).
    /// Bodies that reveal nothing, or are not one JSON value, are returned as they are.
    pub fn protect_body(&self, body: String) -> String {
        if self.is_empty() || !self.reveals(&body) {
            return body;
        }
        match serde_json::from_str::<Value>(&body) {
            Ok(mut value) => {
                self.protect_value(&mut value);
                crate::jackson::to_compact_string(&value)
            }
            Err(_) => body,
        }
    }

    /// Every `Link` header value protected; a value that cannot be is removed.
    pub fn protect_headers(&self, headers: &mut HeaderMap) {
        let links: Vec<HeaderValue> = headers.get_all(header::LINK).iter().cloned().collect();
        if links.is_empty() || self.is_empty() {
            return;
        }
        headers.remove(header::LINK);
        for value in links {
            let protected = value
                .to_str()
                .ok()
                .and_then(|text| self.protect_link_header(text))
                .and_then(|text| HeaderValue::from_str(&text).ok());
            if let Some(protected) = protected {
                headers.append(header::LINK, protected);
            }
        }
    }

    /// RFC 8288 `<url>; rel=…, <url>; …`: each `<url>` protected; `None` if one fails.
    fn protect_link_header(&self, text: &str) -> Option<String> {
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

    /// The caller's spelling of `piece` when the source echoed a sent piece exactly.
    fn restore(&self, pairs: &[(String, String)], piece: &str, query: bool) -> String {
        let decoded = decode(piece, query);
        pairs
            .iter()
            .find(|(sent, _)| *sent == decoded)
            .map_or_else(|| piece.to_owned(), |(_, mine)| mine.clone())
    }

    /// Whether `text`, raw or percent-decoded, holds a detectable original.
    fn reveals(&self, text: &str) -> bool {
        let decoded = decode(text, true);
        self.originals
            .iter()
            .any(|o| text.contains(o.as_str()) || decoded.contains(o.as_str()))
    }
}

/// Maximal runs of token characters that hold a `p~` (as `reverse_tokens` sees them).
fn token_runs(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '~' | '.' | '@' | '-')))
        .filter(|run| run.contains("p~"))
}

/// Percent-decoding (and `+` as space in query text); invalid escapes stay literal and
/// invalid UTF-8 is replaced, which can only make a comparison fail, never leak.
fn decode(text: &str, query: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(hex_byte);
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
                continue;
            }
            (None, b'+') if query => out.push(b' '),
            (None, b) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte two hex digits spell.
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digits = std::str::from_utf8(pair).ok()?;
    match pair.iter().all(u8::is_ascii_hexdigit) {
        true => u8::from_str_radix(digits, 16).ok(),
        false => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::proxy::target::reverse_tokens;
    use crate::pseudonym::PseudonymConfig;

    const ACCOUNT: &str = "557058:2f1c9e7a-0b1d-4c3e-9f20-aa11bb22cc33";
    const SHORT: &str = "42";

    fn pseudonymizer() -> Pseudonymizer {
        Pseudonymizer::new(PseudonymConfig {
            salt: "salt".into(),
            encryption_key: Some("secret".into()),
            ..PseudonymConfig::default()
        })
    }

    /// The echoes of a caller's path and query, reversed exactly as the pipeline does.
    fn echoes(path: &str, query: &str) -> Echoes {
        let p = pseudonymizer();
        let caller = Target {
            path: path.to_owned(),
            query: Some(query.to_owned()),
        };
        let sent_path = reverse_tokens(path, &p).unwrap();
        let sent_query = reverse_tokens(query, &p).unwrap();
        Echoes::new(&caller, &sent_path, Some(&sent_query), &p)
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
        assert_eq!(e.protect_body(body), expected);
        let untouched = r#"{"_links": {"next": "/wiki/api/v2/spaces?cursor=1"}}"#.to_owned();
        assert_eq!(e.protect_body(untouched.clone()), untouched);

        let mut headers = HeaderMap::new();
        let next = format!(r#"</wiki/api/v2/spaces?favorited-by={colon}>; rel="next""#);
        let rewritten = format!(r#"</wiki/api/v2/spaces?favorited-by=%22{colon}%22>; rel="next""#);
        headers.append(header::LINK, HeaderValue::from_str(&next).unwrap());
        headers.append(header::LINK, HeaderValue::from_str(&rewritten).unwrap());
        headers.append(
            header::LINK,
            HeaderValue::from_static("</a?b=1>; rel=\"prev\""),
        );
        e.protect_headers(&mut headers);
        let links: Vec<&str> = headers
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let expected_next = format!(r#"</wiki/api/v2/spaces?favorited-by={token}>; rel="next""#);
        assert_eq!(links, [expected_next.as_str(), "</a?b=1>; rel=\"prev\""]);
    }

    #[test]
    fn requests_without_tokens_reveal_nothing() {
        let e = echoes("/wiki/api/v2/spaces", "limit=3&cursor=abc");
        assert!(e.is_empty());
        let link = "/wiki/api/v2/spaces?limit=3";
        assert_eq!(e.protect_link(link).as_deref(), Some(link));
    }
}
