//! The CQL lexer: characters → tokens, refusing everything outside the admitted subset
//! (see the parent module's invariants).

use std::iter::Peekable;
use std::ops::Range;
use std::str::CharIndices;

use super::{CqlOperator, CqlQuoting, CqlRefusal};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenKind {
    /// Letters, digits and `_-./`, starting with a letter, digit or `_`: a field name, a
    /// keyword or a bare value, told apart by the parser.
    Word(String),
    /// Unescaped contents.
    Quoted {
        text: String,
        quoting: CqlQuoting,
    },
    Operator(CqlOperator),
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) span: Range<usize>,
}

/// Only these separate tokens. Form feed and vertical tab are ASCII whitespace too, but
/// nothing says Confluence's lexer skips them, so they are refused as control characters.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `-` for dates (`2025-08-01`), `/` for Confluence's other date spelling, `.` for dotted
/// field names (`space.key`) so they are read whole and never as a shorter declared one.
fn is_word_char(c: char) -> bool {
    is_word_start(c) || matches!(c, '-' | '.' | '/')
}

struct Lexer<'a> {
    chars: Peekable<CharIndices<'a>>,
}

pub(super) fn tokenize(cql: &str) -> Result<Vec<Token>, CqlRefusal> {
    let mut lexer = Lexer {
        chars: cql.char_indices().peekable(),
    };
    let mut tokens: Vec<Token> = Vec::new();
    loop {
        let spaced = lexer.skip_spaces();
        let Some(&(at, c)) = lexer.chars.peek() else {
            return Ok(tokens);
        };
        if !spaced && let Some(previous) = tokens.last() {
            check_separation(previous, c, at)?;
        }
        tokens.push(lexer.token(at, c)?);
    }
}

/// A quoted string glued to a following word or string (`"A"text`), or a word glued to a
/// quote (`A"B"`), is refused: lexers disagree on such input, and no valid query needs it.
fn check_separation(previous: &Token, next: char, at: usize) -> Result<(), CqlRefusal> {
    let next_is_quote = matches!(next, '"' | '\'');
    let glued = match previous.kind {
        TokenKind::Quoted { .. } => next_is_quote || is_word_char(next),
        TokenKind::Word(_) => next_is_quote,
        _ => false,
    };
    if glued {
        Err(CqlRefusal::MissingSeparator { at })
    } else {
        Ok(())
    }
}

impl Lexer<'_> {
    /// Skips spaces; tells whether there were any.
    fn skip_spaces(&mut self) -> bool {
        let mut skipped = false;
        while self.chars.next_if(|&(_, c)| is_space(c)).is_some() {
            skipped = true;
        }
        skipped
    }

    /// The token starting with `c` at `at` (not yet consumed).
    fn token(&mut self, at: usize, c: char) -> Result<Token, CqlRefusal> {
        let single = |kind| Token {
            kind,
            span: at..at + 1,
        };
        match c {
            '(' | ')' | ',' | '=' | '~' => {
                self.chars.next();
                Ok(single(match c {
                    '(' => TokenKind::Open,
                    ')' => TokenKind::Close,
                    ',' => TokenKind::Comma,
                    '=' => TokenKind::Operator(CqlOperator::Equals),
                    _ => TokenKind::Operator(CqlOperator::Contains),
                }))
            }
            '!' | '<' | '>' => self.comparison(at, c),
            '"' => self.quoted(at, '"', CqlQuoting::Double),
            '\'' => self.quoted(at, '\'', CqlQuoting::Single),
            _ if is_word_start(c) => Ok(self.word(at)),
            _ => Err(CqlRefusal::ForbiddenCharacter { at }),
        }
    }

    /// `!=`, `!~`, `<`, `<=`, `>`, `>=`. A lone `!` (JQL's NOT) is refused.
    fn comparison(&mut self, at: usize, first: char) -> Result<Token, CqlRefusal> {
        self.chars.next();
        let second = self.chars.peek().map(|&(_, c)| c);
        let (operator, len) = match (first, second) {
            ('!', Some('=')) => (CqlOperator::NotEquals, 2),
            ('!', Some('~')) => (CqlOperator::NotContains, 2),
            ('<', Some('=')) => (CqlOperator::LessOrEqual, 2),
            ('>', Some('=')) => (CqlOperator::GreaterOrEqual, 2),
            ('<', _) => (CqlOperator::Less, 1),
            ('>', _) => (CqlOperator::Greater, 1),
            _ => return Err(CqlRefusal::ForbiddenCharacter { at }),
        };
        if len == 2 {
            self.chars.next();
        }
        Ok(Token {
            kind: TokenKind::Operator(operator),
            span: at..at + len,
        })
    }

    fn word(&mut self, at: usize) -> Token {
        let mut text = String::new();
        let mut end = at;
        while let Some((i, c)) = self.chars.next_if(|&(_, c)| is_word_char(c)) {
            text.push(c);
            end = i + c.len_utf8();
        }
        Token {
            kind: TokenKind::Word(text),
            span: at..end,
        }
    }

    /// A string in `quote`s. Only `\\`, `\"` and `\'` are escapes; control characters are
    /// refused even inside quotes (no value needs them, and they could split a log line).
    fn quoted(
        &mut self,
        start: usize,
        quote: char,
        quoting: CqlQuoting,
    ) -> Result<Token, CqlRefusal> {
        self.chars.next();
        let mut text = String::new();
        while let Some((at, c)) = self.chars.next() {
            if c == quote {
                let kind = TokenKind::Quoted { text, quoting };
                return Ok(Token {
                    kind,
                    span: start..at + c.len_utf8(),
                });
            }
            match c {
                '\\' => match self.chars.next() {
                    Some((_, escaped @ ('\\' | '"' | '\''))) => text.push(escaped),
                    Some(_) => return Err(CqlRefusal::UnsupportedEscape { at }),
                    None => break,
                },
                _ if c.is_control() => return Err(CqlRefusal::ForbiddenCharacter { at }),
                _ => text.push(c),
            }
        }
        Err(CqlRefusal::UnterminatedString { at: start })
    }
}
