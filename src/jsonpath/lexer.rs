//! A character cursor over the path text with the token readers both parsers share:
//! quoted strings with Jayway's escapes, integers, dot-notation names, and error building.
//!
//! Offsets are 0-based **char** positions (not bytes), so an error points at the same
//! column a person counts in the rules file. Nothing here panics on any input.

use super::JsonPathError;

pub(crate) struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    pub(crate) fn new(text: &str) -> Cursor {
        Cursor {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub(crate) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// Consumes `c` if it is next.
    pub(crate) fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(crate) fn starts_with(&self, s: &str) -> bool {
        (self.pos..)
            .zip(s.chars())
            .all(|(at, c)| self.chars.get(at) == Some(&c))
    }

    /// Jayway treats only the space character as blank, so tabs and newlines are not
    /// skipped here and end up as "unexpected character" errors.
    pub(crate) fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.pos += 1;
        }
    }

    /// The text between two char offsets (clamped), for messages.
    pub(crate) fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.chars.len());
        self.chars
            .get(from.min(to)..to)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    /// Whether `c` occurs anywhere in `from..to`.
    pub(crate) fn contains_between(&self, c: char, from: usize, to: usize) -> bool {
        let to = to.min(self.chars.len());
        self.chars
            .get(from.min(to)..to)
            .is_some_and(|s| s.contains(&c))
    }

    /// Reads a quoted string starting at the opening quote; returns its unescaped content.
    pub(crate) fn read_quoted(&mut self) -> Result<String, JsonPathError> {
        let start = self.pos;
        let Some(quote) = self.bump() else {
            return Err(err(start, "expected a quoted string"));
        };
        let mut out = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(err(
                        start,
                        format!("string starting here is never closed with {quote}"),
                    )
                    .hint(format!("end the string with a matching {quote}")));
                }
                Some(c) if c == quote => return Ok(out),
                Some('\\') => self.read_escape(&mut out)?,
                Some(c) => out.push(c),
            }
        }
    }

    /// Jayway's unescape: `\\ \' \" \r \f \t \n \b \uXXXX`; any other escaped char stands
    /// for itself. A `\u` surrogate pair is joined; a lone surrogate cannot be a Rust
    /// string and is rejected.
    fn read_escape(&mut self, out: &mut String) -> Result<(), JsonPathError> {
        let at = self.pos.saturating_sub(1);
        let c = self
            .bump()
            .ok_or_else(|| err(at, "a string cannot end with a lone backslash"))?;
        let simple = match c {
            'r' => '\r',
            'f' => '\u{c}',
            't' => '\t',
            'n' => '\n',
            'b' => '\u{8}',
            'u' => return self.read_unicode_escape(at, out),
            other => other,
        };
        out.push(simple);
        Ok(())
    }

    fn read_unicode_escape(&mut self, at: usize, out: &mut String) -> Result<(), JsonPathError> {
        let high = self.read_hex4(at)?;
        let code = if (0xD800..0xDC00).contains(&high) && self.starts_with("\\u") {
            self.pos += 2;
            let low = self.read_hex4(at)?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(err(
                    at,
                    "a \\u high surrogate must be followed by a low surrogate",
                ));
            }
            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else {
            high
        };
        let c = char::from_u32(code)
            .ok_or_else(|| err(at, "a \\u escape names a lone surrogate, which is not text"))?;
        out.push(c);
        Ok(())
    }

    fn read_hex4(&mut self, at: usize) -> Result<u32, JsonPathError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|c| c.to_digit(16));
            let digit = digit.ok_or_else(|| err(at, "\\u must be followed by 4 hex digits"))?;
            value = value * 16 + digit;
            self.pos += 1;
        }
        Ok(value)
    }

    /// Reads an optionally negative decimal integer within Java's `int` range (Jayway
    /// parses indexes with `Integer.parseInt`).
    pub(crate) fn read_int(&mut self) -> Result<i64, JsonPathError> {
        let start = self.pos;
        let negative = self.eat('-');
        let digits_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.slice(digits_start, self.pos);
        if digits.is_empty() {
            return Err(err(start, "expected a number"));
        }
        let value: i64 = digits.parse().unwrap_or(i64::MAX);
        let value = if negative { -value } else { value };
        if value < i64::from(i32::MIN) || value > i64::from(i32::MAX) {
            return Err(err(
                start,
                format!("index {} is out of range", self.slice(start, self.pos)),
            ));
        }
        Ok(value)
    }

    /// Reads a dot-notation name (possibly empty: the caller reports that with context).
    pub(crate) fn read_name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        self.slice(start, self.pos)
    }
}

/// Characters allowed in a dot-notation name. Jayway reads a name up to `.`, `[`, `(` or a
/// space and accepts anything in between; we refuse the characters that would make the
/// path mean something else to a reader (brackets, quotes, operators, wildcards), so that
/// text is an error here instead of an odd key name.
pub(crate) fn is_name_char(c: char) -> bool {
    !c.is_whitespace()
        && !c.is_control()
        && !matches!(
            c,
            '.' | '['
                | ']'
                | '('
                | ')'
                | '\''
                | '"'
                | ','
                | '?'
                | '*'
                | '='
                | '<'
                | '>'
                | '!'
                | '~'
                | '&'
                | '|'
                | '/'
                | '\\'
        )
}

/// Builds a compile error at a char offset.
pub(crate) fn err(offset: usize, message: impl Into<String>) -> JsonPathError {
    JsonPathError {
        message: message.into(),
        offset,
        hint: None,
    }
}

impl JsonPathError {
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> JsonPathError {
        self.hint = Some(hint.into());
        self
    }
}
