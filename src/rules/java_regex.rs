//! Java regexes (as written in Psoxy rule files) compiled with the `regex` crate.
//!
//! Rule files are written for `java.util.regex`; the same text must select the same
//! characters here. The syntax the two engines share is passed through; the shorthands
//! whose *meaning* differs are rewritten:
//!
//! - `\d \w \s` (and `\D \W \S`) are ASCII-only in Java, Unicode-aware in Rust → rewritten
//!   to explicit ASCII classes (also inside `[...]`);
//! - `.` excludes every Java line terminator (`\n \r \u0085 \u2028 \u2029`), Rust's only
//!   `\n` → rewritten to that class, unless the pattern turns on `s` (DOTALL) itself;
//! - `\Q...\E` quoting (Java only) → escaped literal text.
//!
//! Syntax Rust does not have (look-around, back-references, possessive quantifiers, `\Z`)
//! fails to compile and is reported at load: a rule never silently means something else.
//! Known remaining differences (documented, not emulated): Java's `(?i)` folds ASCII only,
//! `$` may match before a final line terminator, and `\b` follows the JDK's notion of a
//! word character (Unicode letters and digits before JDK 19), which Rust's `\b` matches.

use regex::Regex;

/// Java's `.` without DOTALL: anything but a line terminator.
pub(crate) const JAVA_DOT: &str = r"[^\n\r\x{85}\x{2028}\x{2029}]";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\x0B\x0C\r ";
const DIGIT: &str = "0-9";

/// Rewrites a Java pattern into an equivalent Rust pattern (see module docs). Fails on
/// possessive quantifiers (`a*+`): Rust would read them as a nested greedy repetition,
/// which matches differently, so they must not pass silently.
pub(crate) fn translate(java: &str) -> Result<String, String> {
    let dotall = has_dotall_flag(java);
    let mut out = String::with_capacity(java.len() + 16);
    let mut chars = java.chars().peekable();
    let mut class_depth = 0usize;
    // The last token was a quantifier, so a `+` now would make it possessive.
    let mut after_quantifier = false;
    while let Some(c) = chars.next() {
        let quantified = after_quantifier;
        after_quantifier = false;
        match c {
            '\\' => match chars.next() {
                Some('Q') => out.push_str(&quoted_literal(&mut chars)),
                Some(next) => out.push_str(&shorthand(next, class_depth > 0)),
                None => out.push('\\'),
            },
            '[' => {
                class_depth += 1;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal in both engines.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            _ if class_depth > 0 => out.push(c),
            '.' if !dotall => out.push_str(JAVA_DOT),
            '+' if quantified => return Err("possessive quantifiers are not supported".to_owned()),
            // `*?`, `+?`: lazy, not a new quantifier.
            '?' if quantified => out.push('?'),
            '*' | '+' => {
                out.push(c);
                after_quantifier = true;
            }
            '?' => {
                // `(?` opens a group construct; any other `?` quantifies.
                after_quantifier = !out.ends_with('(') || out.ends_with("\\(");
                out.push('?');
            }
            '{' => {
                let counted = counted_repetition(&mut chars);
                after_quantifier = counted.is_some();
                out.push('{');
                out.push_str(&counted.unwrap_or_default());
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// After a `{`: consumes `n}`, `n,}` or `n,m}` and returns it; otherwise consumes nothing
/// (a `{` that does not start a count is left for the regex engine to judge).
fn counted_repetition(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let rest: String = chars.clone().take_while(|c| *c != '}').collect();
    let closed = chars.clone().nth(rest.chars().count()) == Some('}');
    let (min, max) = rest.split_once(',').unwrap_or((&rest, "0"));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !closed || min.is_empty() || !digits(min) || !digits(max) {
        return None;
    }
    let taken: String = chars.take(rest.chars().count() + 1).collect();
    Some(taken)
}

/// The text of `\Q...\E` (up to `\E` or the end), escaped for Rust.
fn quoted_literal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut literal = String::new();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'E') {
            chars.next();
            break;
        }
        literal.push(c);
    }
    regex::escape(&literal)
}

/// A backslash escape, with Java's ASCII meaning for the class shorthands.
fn shorthand(c: char, in_class: bool) -> String {
    let (set, negated) = match c {
        'd' => (DIGIT, false),
        'D' => (DIGIT, true),
        'w' => (WORD, false),
        'W' => (WORD, true),
        's' => (SPACE, false),
        'S' => (SPACE, true),
        other => return format!("\\{other}"),
    };
    match (in_class, negated) {
        (true, false) => set.to_owned(),
        // Rust allows a nested class inside a class: `[a[^0-9]]`.
        (_, true) => format!("[^{set}]"),
        (false, false) => format!("[{set}]"),
    }
}

/// Whether an inline flag group such as `(?s)` or `(?is:` turns DOTALL on somewhere.
fn has_dotall_flag(java: &str) -> bool {
    java.match_indices("(?").any(|(i, _)| {
        let flags: String = java[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .collect();
        flags.split('-').next().is_some_and(|on| on.contains('s'))
    })
}

/// The ways a rule's regex is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// Searched for anywhere (`find`).
    Find,
    /// Must match the whole input (`matches`): anchored `^(?:…)$`.
    Full,
    /// `redactExceptSubstringsMatchingRegexes`: whole input `.*?(R).*?` with Java's `.`.
    Surrounded,
}

/// Compiles a Java pattern for the given use. The error is the regex crate's reason.
pub(crate) fn compile(java: &str, shape: Shape) -> Result<Regex, String> {
    let rust = translate(java)?;
    let pattern = match shape {
        Shape::Find => rust,
        Shape::Full => format!("^(?:{rust})$"),
        Shape::Surrounded => format!("^{JAVA_DOT}*?({rust}){JAVA_DOT}*?$"),
    };
    Regex::new(&pattern).map_err(|e| reason(&e))
}

/// The one-line reason of a regex error (its Display repeats the pattern with carets).
fn reason(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.strip_prefix("error: "))
        .unwrap_or(text.lines().last().unwrap_or("invalid regex"))
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_what_differs() {
        let cases = [
            (r"\d+", r"[0-9]+"),
            (r"[\w.-]+@x", r"[0-9A-Za-z_.-]+@x"),
            (r"[^\s]", r"[^\t\n\x0B\x0C\r ]"),
            (r"[a\D]", r"[a[^0-9]]"),
            (r"a.b", r"a[^\n\r\x{85}\x{2028}\x{2029}]b"),
            (r"(?s)a.b", r"(?s)a.b"),
            (r"\Qa.b\E.", r"a\.b[^\n\r\x{85}\x{2028}\x{2029}]"),
            (r"[]a]", r"[\]a]"),
            (r"\bx\.", r"\bx\."),
            (r"\(\)", r"\(\)"),
            (r"a+?b*?c??", r"a+?b*?c??"),
            (r"(?:x)?(?i)y{2,3}?", r"(?:x)?(?i)y{2,3}?"),
            (r"\(?x", r"\(?x"),
            (r"[+*]+", r"[+*]+"),
            (r"a{x}", r"a{x}"),
        ];
        for (java, rust) in cases {
            assert_eq!(translate(java).as_deref(), Ok(rust), "java {java:?}");
        }
    }

    #[test]
    fn behaves_like_java() {
        // (pattern, shape, input, matches?)
        let cases = [
            (r"\d+", Shape::Full, "123", true),
            (r"\d+", Shape::Full, "١٢٣", false), // Arabic-Indic digits are not \d in Java
            (r"\w+", Shape::Full, "é", false),
            (r"a.c", Shape::Find, "a\rc", false),
            (r"a.c", Shape::Find, "a\u{2028}c", false),
            (r"(?s)a.c", Shape::Find, "a\nc", true),
            (r"abc", Shape::Full, "xabc", false),
            (r"a|b", Shape::Full, "ab", false),
            (r"\d{3}", Shape::Surrounded, "id 123 here", true),
            (r"\d{3}", Shape::Surrounded, "id 123\nhere", false),
        ];
        for (pattern, shape, input, expected) in cases {
            let regex = compile(pattern, shape).unwrap();
            assert_eq!(
                regex.is_match(input),
                expected,
                "{pattern:?} {shape:?} on {input:?}"
            );
        }
    }

    #[test]
    fn unsupported_syntax_is_an_error_with_a_short_reason() {
        let unsupported = [
            r"(?<=a)b",
            r"(a)\1",
            r"a*+",
            r"a++",
            r"a?+",
            r"(ab)*+",
            r"a{2}+",
            r"a{2,}+",
            r"abc\Z",
            "(unclosed",
        ];
        for pattern in unsupported {
            let reason = compile(pattern, Shape::Find).unwrap_err();
            assert!(
                !reason.contains('\n') && !reason.is_empty(),
                "{pattern:?}: {reason:?}"
            );
        }
    }
}
