//! HTML escaping: the one way any text reaches the report page.
//!
//! PURE. The report shows untrusted text (example responses, URLs, rule patterns), so every
//! value goes through [`escape`] before it is written, in element content and in quoted
//! attribute values alike. Control characters other than tab and newline become U+FFFD:
//! they are never meaningful on the page and some are not allowed in HTML text.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_becomes_text() {
        let table = [
            ("plain text", "plain text"),
            ("", ""),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                r#""><img src=x onerror="alert(1)">"#,
                "&quot;&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;",
            ),
            ("it's & more", "it&#39;s &amp; more"),
            ("&amp;", "&amp;amp;"),
            ("a\tb\nc", "a\tb\nc"),
            (
                "esc\u{1b}nul\u{0}del\u{7f}",
                "esc\u{FFFD}nul\u{FFFD}del\u{FFFD}",
            ),
            ("Jürgen Weiß ⭐ 😀", "Jürgen Weiß ⭐ 😀"),
        ];
        for (input, expected) in table {
            assert_eq!(escape(input), expected, "{input:?}");
        }
    }

    #[test]
    fn escaped_text_holds_no_markup_character() {
        let hostile = "<>\"'&<!-- --><![CDATA[x]]></textarea></style></script>";
        let out = escape(hostile);
        assert!(!out.contains(['<', '>', '"', '\'']), "{out}");
    }
}
