//! What Jackson reads that serde_json does not, made readable (docs/rules.md, "Input").
//!
//! PURE. Two differences between Psoxy's parser (Jackson, default settings) and ours:
//! - **depth**: Jackson reads documents nested up to [`MAX_DEPTH`] (1000) levels and
//!   refuses deeper ones; serde_json stops at 128. [`depth_exceeds`] finds a document
//!   deeper than a limit without recursion (so a million `[` cost a scan, not the stack);
//! - **lone surrogates**: `"\ud800"` is valid JSON text to Jackson, which decodes it to an
//!   unpaired UTF-16 unit that Psoxy's output (and its hash input) encodes as `?`;
//!   serde_json refuses the whole document. [`replace_lone_surrogates`] rewrites each
//!   unpaired `\uD800`–`\uDFFF` escape as the escape of [`LONE_SURROGATE`], a Unicode
//!   noncharacter (reserved for exactly this kind of internal use): to the email grammar
//!   it is, like the surrogate, a non-ASCII non-control character; hashing
//!   ([`java_utf8`]), the output and UTF-16 lengths treat it as the surrogate (`?`, one
//!   unit). A genuine U+10FFFF in a body is read the same way (a documented difference).
//!
//! Both are used only when serde_json refused a body (the rare path), so the common path
//! costs nothing.

use std::borrow::Cow;

/// The deepest nesting Jackson (2.15+) reads by default: `StreamReadConstraints`'
/// `maxNestingDepth`. Depth 1000 is read; 1001 is refused.
pub const MAX_DEPTH: usize = 1000;

/// Whether `text` opens more than `limit` arrays/objects inside one another, counting
/// only brackets outside strings. Linear, no recursion.
pub fn depth_exceeds(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// What a lone surrogate escape reads as: U+10FFFF, a noncharacter.
pub const LONE_SURROGATE: char = '\u{10FFFF}';

/// The JSON escape of [`LONE_SURROGATE`] (a valid surrogate pair).
const LONE_SURROGATE_ESCAPE: &str = "\\udbff\\udfff";

/// `text` as Java encodes it to UTF-8: each [`LONE_SURROGATE`] becomes `?` (what
/// `String.getBytes(UTF_8)` writes for an unpaired surrogate). Borrowed when there is none.
pub fn java_utf8(text: &str) -> Cow<'_, str> {
    match text.contains(LONE_SURROGATE) {
        true => Cow::Owned(text.replace(LONE_SURROGATE, "?")),
        false => Cow::Borrowed(text),
    }
}

/// Whether `text` holds a `\u` escape of a surrogate (`\uD800`–`\uDFFF`), paired or not:
/// the cheap test before [`replace_lone_surrogates`].
pub fn has_surrogate_escape(text: &str) -> bool {
    text.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && (w[2] == b'd' || w[2] == b'D')
            && matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

/// `text` with every unpaired surrogate escape (`\uD800`–`\uDBFF` not followed by a
/// `\uDC00`–`\uDFFF` escape, or a `\uDC00`–`\uDFFF` escape not preceded by one) replaced
/// by the escape of [`LONE_SURROGATE`]. Escaped backslashes (`\\ud800` is a backslash and
/// text) are left alone.
pub fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    if !has_surrogate_escape(text) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = unit_at(bytes, i) else {
            // Some other escape: skip it whole (so `\\` never starts a `\u` here).
            i += 2;
            continue;
        };
        match unit {
            0xD800..=0xDBFF if unit_at(bytes, i + 6).is_some_and(is_low) => i += 12,
            0xD800..=0xDFFF => {
                out.push_str(&text[copied..i]);
                out.push_str(LONE_SURROGATE_ESCAPE);
                i += 6;
                copied = i;
            }
            _ => i += 6,
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

fn is_low(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// The UTF-16 unit of a `\uXXXX` escape starting at `at`.
fn unit_at(bytes: &[u8], at: usize) -> Option<u16> {
    match bytes.get(at..at + 6)? {
        [b'\\', b'u', hex @ ..] => {
            let text = std::str::from_utf8(hex).ok()?;
            u16::from_str_radix(text, 16)
                .ok()
                .filter(|_| hex.iter().all(u8::is_ascii_hexdigit))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_is_counted_outside_strings_only() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(!depth_exceeds(&nested(1000), MAX_DEPTH));
        assert!(depth_exceeds(&nested(1001), MAX_DEPTH));
        assert!(depth_exceeds(&"[".repeat(1_000_000), MAX_DEPTH));
        let in_strings = format!(r#"{{"a":"{}","b":"\"[[["}}"#, "[".repeat(5000));
        assert!(!depth_exceeds(&in_strings, 2));
        assert!(depth_exceeds(r#"{"a":{"b":[1]}}"#, 2));
    }

    #[test]
    fn only_unpaired_surrogate_escapes_become_question_marks() {
        let cases = [
            (r#""\ud800 lone""#, r#""? lone""#),
            (r#""x\udc00""#, r#""x?""#),
            (r#""\udc00\ud800""#, r#""??""#),
            (r#""ok \ud83d\ude00""#, r#""ok \ud83d\ude00""#),
            (r#""\ud83d\u0041""#, r#""?\u0041""#),
            (r#""\\ud800""#, r#""\\ud800""#),
            (r#""\\\ud800""#, r#""\\?""#),
            (r#""\uD800\uDC00\uD800""#, r#""\uD800\uDC00?""#),
            (r#""plain \u00e9""#, r#""plain \u00e9""#),
        ];
        for (input, want) in cases {
            let got = replace_lone_surrogates(input).replace(LONE_SURROGATE_ESCAPE, "?");
            assert_eq!(got, want, "{input}");
        }
        let read: String = serde_json::from_str(&replace_lone_surrogates(r#""a\ud800b""#)).unwrap();
        assert_eq!(read, format!("a{LONE_SURROGATE}b"));
        assert_eq!(java_utf8(&read), "a?b");
    }
}
