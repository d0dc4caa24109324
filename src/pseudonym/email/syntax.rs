//! RFC 2822 lexical pieces over ASCII text: folding whitespace, (nested) comments, atoms,
//! dot-atoms and quoted strings.
//!
//! Invariant: every scanner either consumes a well-formed piece and returns its span, or
//! leaves the cursor where it was and returns `None`/`false`. No recursion, so deeply
//! nested comments cannot overflow the stack.

/// RFC 2822 `atext`: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
pub(super) fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Printable ASCII (`VCHAR`).
fn is_vchar(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

/// A position in ASCII text.
pub(super) struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(text: &'a str) -> Cursor<'a> {
        Cursor { text, pos: 0 }
    }

    /// A cursor at byte `pos` of `text`.
    pub(super) fn at(text: &'a str, pos: usize) -> Cursor<'a> {
        Cursor { text, pos }
    }

    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves back to a position saved with [`Cursor::pos`].
    pub(super) fn reset(&mut self, pos: usize) {
        self.pos = pos;
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    pub(super) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Folding whitespace: runs of SP/HTAB, each optionally preceded by CRLF.
    fn skip_fws(&mut self) {
        loop {
            let bytes = self.text.as_bytes();
            if self.peek().is_some_and(is_wsp) {
                self.pos += 1;
            } else if bytes.get(self.pos..self.pos + 2) == Some(b"\r\n")
                && bytes.get(self.pos + 2).is_some_and(|b| is_wsp(*b))
            {
                self.pos += 3;
            } else {
                return;
            }
        }
    }

    /// Comments and folding whitespace. `false` (cursor unmoved) for an unterminated or
    /// malformed comment.
    pub(super) fn skip_cfws(&mut self) -> bool {
        let start = self.pos;
        loop {
            self.skip_fws();
            if self.peek() != Some(b'(') {
                return true;
            }
            if !self.skip_comment() {
                self.pos = start;
                return false;
            }
        }
    }

    /// One comment starting at `(`, nesting allowed; `ctext` or quoted pairs inside.
    fn skip_comment(&mut self) -> bool {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                b'\\' if !self.eat_quoted_pair_tail() => return false,
                b'\\' => {}
                b'\r' => {
                    self.pos -= 1;
                    let before = self.pos;
                    self.skip_fws();
                    if self.pos == before {
                        return false;
                    }
                }
                _ if is_vchar(b) || is_wsp(b) => {}
                _ => return false,
            }
        }
        false
    }

    /// The character after a backslash: any VCHAR or WSP.
    fn eat_quoted_pair_tail(&mut self) -> bool {
        match self.peek() {
            Some(b) if is_vchar(b) || is_wsp(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// `1*atext`; returns the span.
    pub(super) fn atom(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        while self.peek().is_some_and(is_atext) {
            self.pos += 1;
        }
        (self.pos > start).then_some((start, self.pos))
    }

    /// `"…"` with qtext, quoted pairs and folding whitespace; the span includes the quotes.
    pub(super) fn quoted_string(&mut self) -> Option<(usize, usize)> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        loop {
            self.skip_fws();
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Some((start, self.pos));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    if !self.eat_quoted_pair_tail() {
                        break;
                    }
                }
                Some(b) if is_vchar(b) => self.pos += 1,
                _ => break,
            }
        }
        self.pos = start;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `scan` on `input`; returns the consumed text and the rest.
    fn run(input: &str, scan: impl Fn(&mut Cursor) -> bool) -> (String, String) {
        let mut c = Cursor::new(input);
        let ok = scan(&mut c);
        let consumed = if ok {
            input[..c.pos()].to_string()
        } else {
            "<fail>".into()
        };
        (consumed, input[c.pos()..].to_string())
    }

    #[test]
    fn cfws_consumes_whitespace_folds_and_nested_comments() {
        let cases = [
            ("  x", "  ", "x"),
            ("\t(a comment) x", "\t(a comment) ", "x"),
            ("(outer (inner) \\) text)x", "(outer (inner) \\) text)", "x"),
            ("\r\n x", "\r\n ", "x"),
            ("\r\nx", "", "\r\nx"),
            ("x", "", "x"),
        ];
        for (input, consumed, rest) in cases {
            assert_eq!(
                run(input, |c| c.skip_cfws()),
                (consumed.into(), rest.into()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn cfws_rejects_unterminated_comments() {
        for input in ["(open", "((nested)", "(bad \u{1} char)"] {
            assert_eq!(
                run(input, |c| c.skip_cfws()),
                ("<fail>".into(), input.into()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn quoted_string_handles_escapes_and_rejects_unterminated() {
        let cases = [
            (r#""john doe"@x"#, r#""john doe""#, "@x"),
            (r#""a\"b"x"#, r#""a\"b""#, "x"),
            (r#""""#, r#""""#, ""),
        ];
        for (input, consumed, rest) in cases {
            assert_eq!(
                run(input, |c| c.quoted_string().is_some()),
                (consumed.into(), rest.into()),
                "{input:?}"
            );
        }
        for input in [r#""open"#, "\"bad\u{1}\"", r#""ends with \"#] {
            assert_eq!(
                run(input, |c| c.quoted_string().is_some()),
                ("<fail>".into(), input.into()),
                "{input:?}"
            );
        }
    }
}
