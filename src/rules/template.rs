//! `pathTemplate` → anchored, case-insensitive regex (docs/rules.md, "Request gating").
//!
//! `{name}` captures exactly one non-empty segment (`[^/]+`), `{name?}` an optional one
//! (`[^/]*`); every other character is literal. Capture groups are numbered in template
//! order, so group `i + 1` holds `params[i]`. No trailing-slash tolerance.
//!
//! The regex is built for ASCII paths only: the gate refuses any path with a non-ASCII
//! byte before matching (`path_guard`), so a segment is "any ASCII character but `/`"
//! and case folding is ASCII's (as Java's `CASE_INSENSITIVE` without `UNICODE_CASE`).
//! On ASCII input that is exactly the Unicode `(?i)` and `[^/]` of the contract, and it
//! compiles several times faster (Unicode classes and folding dominated start-up).

use regex::Regex;

/// A template that does not compile: the reason and the char offset it refers to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub message: String,
    pub offset: usize,
}

/// The compiled template regex and its parameter names in capture order.
pub(crate) fn compile(template: &str) -> Result<(Regex, Vec<String>), TemplateError> {
    let mut pattern = String::from("(?i-u)^");
    let mut params: Vec<String> = Vec::new();
    let mut chars = template.char_indices().enumerate();
    while let Some((offset, (_, c))) = chars.next() {
        match c {
            '{' => {
                let mut name = String::new();
                let closed = chars.by_ref().any(|(_, (_, c))| {
                    let done = c == '}';
                    if !done {
                        name.push(c);
                    }
                    done
                });
                let err = |message: String| TemplateError { message, offset };
                if !closed {
                    return Err(err("`{` is never closed".to_owned()));
                }
                let (name, class) = match name.strip_suffix('?') {
                    Some(optional) => (optional, r"([\x00-\x2E\x30-\x7F]*)"),
                    None => (name.as_str(), r"([\x00-\x2E\x30-\x7F]+)"),
                };
                if name.is_empty() || name.contains(['{', '/']) {
                    return Err(err(format!("invalid parameter name `{name}`")));
                }
                if params.iter().any(|p| p == name) {
                    return Err(err(format!("parameter `{{{name}}}` appears twice")));
                }
                params.push(name.to_owned());
                pattern.push_str(class);
            }
            '}' => {
                return Err(TemplateError {
                    message: "`}` without `{`".to_owned(),
                    offset,
                });
            }
            other => pattern.push_str(&regex::escape(other.encode_utf8(&mut [0; 4]))),
        }
    }
    pattern.push('$');
    let regex = Regex::new(&pattern).map_err(|e| TemplateError {
        message: format!("cannot compile: {e}"),
        offset: 0,
    })?;
    Ok((regex, params))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn templates_match_like_the_contract_says() {
        // (template, path, captures or None for no match)
        let cases: &[(&str, &str, Option<&[&str]>)] = &[
            ("/api/{id}", "/api/42", Some(&["42"])),
            ("/api/{id}", "/API/42", Some(&["42"])),
            ("/api/{id}", "/api/", None),
            ("/api/{id}", "/api/4/2", None),
            ("/api/{id}", "/api/42/", None),
            ("/api/{id?}", "/api/", Some(&[""])),
            ("/a/{x}/b/{y}", "/a/1/b/2", Some(&["1", "2"])),
            ("/v1.0/items", "/v1x0/items", None),
            ("/v1.0/items", "/v1.0/items", Some(&[])),
            ("/a+b/(c)", "/a+b/(c)", Some(&[])),
        ];
        for (template, path, expected) in cases {
            let (regex, params) = compile(template).unwrap();
            let got = regex.captures(path).map(|c| {
                (1..=params.len())
                    .map(|i| c.get(i).map_or("", |m| m.as_str()))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got.as_deref(), *expected, "{template} on {path}");
        }
    }

    /// The contract's regex, with Unicode classes and folding: the reference on ASCII.
    fn contract_regex(template: &str) -> Regex {
        let mut pattern = String::from("(?i)^");
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            pattern.push_str(&regex::escape(&rest[..open]));
            let close = open + rest[open..].find('}').unwrap();
            let optional = rest[open..close].ends_with('?');
            pattern.push_str(if optional { "([^/]*)" } else { "([^/]+)" });
            rest = &rest[close + 1..];
        }
        pattern.push_str(&regex::escape(rest));
        pattern.push('$');
        Regex::new(&pattern).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn on_ascii_paths_the_fast_regex_is_the_contracts(
            template in proptest::collection::vec(
                proptest::sample::select(vec!["ks", "KS", "a.b", "x-1", "{id}", "{key?}"]), 1..4),
            path in proptest::collection::vec(
                proptest::sample::select(vec![
                    "ks", "Ks", "kS", "KS", "a.b", "aXb", "x-1", "X-1", "", "42", "a/b", "%41~",
                ]), 1..4),
        ) {
            // A parameter name may appear once only.
            let ids = template.iter().filter(|s| **s == "{id}").count();
            let keys = template.iter().filter(|s| **s == "{key?}").count();
            proptest::prop_assume!(ids <= 1 && keys <= 1);
            let template = format!("/{}", template.join("/"));
            let path = format!("/{}", path.join("/"));
            let (fast, _) = compile(&template).unwrap();
            let reference = contract_regex(&template);
            let capture = |re: &Regex| re.captures(&path).map(|c| {
                c.iter().skip(1).map(|m| m.map(|m| m.as_str().to_owned())).collect::<Vec<_>>()
            });
            proptest::prop_assert_eq!(capture(&fast), capture(&reference), "{} on {}", template, path);
        }
    }

    #[test]
    fn malformed_templates_say_where() {
        let cases = [
            ("/a/{id", "`{` is never closed", 3),
            ("/a/id}", "`}` without `{`", 5),
            ("/a/{}", "invalid parameter name ``", 3),
            ("/{x}/{x}", "parameter `{x}` appears twice", 5),
        ];
        for (template, message, offset) in cases {
            let expected = TemplateError {
                message: message.to_owned(),
                offset,
            };
            assert_eq!(compile(template).unwrap_err(), expected, "{template}");
        }
    }
}
