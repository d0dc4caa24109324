//! Parses the inside of `[?( ... )]` into an `Expr`.
//!
//! ```text
//! or       = and (_ "||" and)*            and = unary (_ "&&" unary)*
//! unary    = _ "!" _ (path | unary) | _ "(" or _ ")" | relation
//! relation = operand [_ op _ operand] | operand _ "=~" _ regex
//! operand  = ("@" | "$") definite-steps | 'str' | "str" | number | true | false | null
//! op       = == != < <= > >=              regex = "/" body "/" [imsx]* followed by ")"
//! ```
//! Everything Jayway reads differently from how it looks is rejected with a hint: infix
//! list operators (`in`, `nin`, `subsetof`, ...), `!@.x == v` (Jayway drops the `!`), a
//! path glued to `&&` (Jayway reads it as part of the key), a regex followed by anything
//! but `)` or by a later `=` (Jayway swallows that text as regex flags), and operand
//! paths that are not definite (Jayway compares those as lists).

use regex::{Regex, RegexBuilder};

use super::{MAX_DEPTH, parse_segments};
use crate::jsonpath::JsonPathError;
use crate::jsonpath::ast::{CmpOp, Expr, Operand, OperandPath, OperandStep, Segment, Selector};
use crate::jsonpath::decimal::Decimal;
use crate::jsonpath::lexer::{Cursor, err};

/// Parses from just after `[?(` through the matching `)`; `open` is the `[` offset.
pub(crate) fn parse_filter(
    cur: &mut Cursor,
    open: usize,
    depth: usize,
) -> Result<Expr, JsonPathError> {
    if depth > MAX_DEPTH {
        return Err(err(open, "filters are nested too deeply"));
    }
    let mut p = FilterParser {
        cur,
        depth,
        nesting: 0,
        regex_ends: Vec::new(),
    };
    let expr = p.or()?;
    p.cur.skip_spaces();
    match p.cur.peek() {
        Some(')') => p.cur.bump(),
        None => {
            return Err(
                err(open, "unbalanced parentheses: this filter is never closed")
                    .hint("end it with `)]`"),
            );
        }
        Some(c) => return Err(err(p.cur.pos(), format!("unexpected `{c}` in filter"))),
    };
    let close = p.cur.pos() - 1;
    for end in &p.regex_ends {
        if p.cur.contains_between('=', *end, close) {
            return Err(err(*end, "a filter may not continue with `=` after a regex")
                .hint("Jayway reads the text up to the next `=` as regex flags; put the `=~` comparison last"));
        }
    }
    Ok(expr)
}

struct FilterParser<'c> {
    cur: &'c mut Cursor,
    depth: usize,
    nesting: usize,
    regex_ends: Vec<usize>,
}

enum Op {
    Cmp(CmpOp),
    Regex,
}

impl FilterParser<'_> {
    fn or(&mut self) -> Result<Expr, JsonPathError> {
        let mut items = vec![self.and()?];
        loop {
            self.cur.skip_spaces();
            if !self.cur.starts_with("||") {
                break;
            }
            self.cur.bump();
            self.cur.bump();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, JsonPathError> {
        let mut items = vec![self.unary()?];
        loop {
            self.cur.skip_spaces();
            if !self.cur.starts_with("&&") {
                break;
            }
            self.cur.bump();
            self.cur.bump();
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, JsonPathError> {
        self.cur.skip_spaces();
        self.nesting += 1;
        if self.nesting > 4 * MAX_DEPTH {
            return Err(err(
                self.cur.pos(),
                "filter expression is nested too deeply",
            ));
        }
        let result = match self.cur.peek() {
            Some('!') => self.not(),
            Some('(') => self.group(),
            _ => self.relation(),
        };
        self.nesting -= 1;
        result
    }

    fn not(&mut self) -> Result<Expr, JsonPathError> {
        let bang = self.cur.pos();
        self.cur.bump();
        self.cur.skip_spaces();
        if !matches!(self.cur.peek(), Some('@' | '$')) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        let path = self.path_operand()?;
        self.cur.skip_spaces();
        if self
            .cur
            .peek()
            .is_some_and(|c| is_op_char(c) || c.is_ascii_alphabetic())
        {
            return Err(err(bang, "`!` before a comparison is ignored by Jayway")
                .hint("wrap the comparison: write `!(@.x == 'a')`, or use `!=`"));
        }
        Ok(Expr::Not(Box::new(Expr::Exists(path))))
    }

    fn group(&mut self) -> Result<Expr, JsonPathError> {
        let open = self.cur.pos();
        self.cur.bump();
        let inner = self.or()?;
        self.cur.skip_spaces();
        if !self.cur.eat(')') {
            return Err(
                err(open, "unbalanced parentheses: this `(` is never closed")
                    .hint("add the missing `)`"),
            );
        }
        Ok(inner)
    }

    fn relation(&mut self) -> Result<Expr, JsonPathError> {
        let start = self.cur.pos();
        let left = self.operand()?;
        self.cur.skip_spaces();
        match self.operator()? {
            Some(Op::Cmp(op)) => Ok(Expr::Compare(left, op, self.operand()?)),
            Some(Op::Regex) => Ok(Expr::Matches(left, self.regex()?)),
            None => match left {
                Operand::Path(path) => Ok(Expr::Exists(path)),
                _ => Err(err(start, "a literal alone is not a condition")
                    .hint("compare it with a path, e.g. `@.x == 'a'`")),
            },
        }
    }

    fn operator(&mut self) -> Result<Option<Op>, JsonPathError> {
        let start = self.cur.pos();
        let Some(c) = self.cur.peek() else {
            return Ok(None);
        };
        if is_op_char(c) {
            while self.cur.peek().is_some_and(is_op_char) {
                self.cur.bump();
            }
            let text = self.cur.slice(start, self.cur.pos());
            let op = match text.as_str() {
                "==" => Op::Cmp(CmpOp::Eq),
                "!=" => Op::Cmp(CmpOp::Ne),
                "<" => Op::Cmp(CmpOp::Lt),
                "<=" => Op::Cmp(CmpOp::Le),
                ">" => Op::Cmp(CmpOp::Gt),
                ">=" => Op::Cmp(CmpOp::Ge),
                "=~" => Op::Regex,
                "===" | "!==" => {
                    return Err(
                        err(start, format!("`{text}` is not supported")).hint("use `==` or `!=`")
                    );
                }
                _ => {
                    return Err(err(start, format!("unknown operator `{text}`"))
                        .hint("operators are == != < <= > >= =~ && || !"));
                }
            };
            return Ok(Some(op));
        }
        if c.is_ascii_alphabetic() {
            while self.cur.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                self.cur.bump();
            }
            return Err(word_operator(start, &self.cur.slice(start, self.cur.pos())));
        }
        Ok(None)
    }

    fn operand(&mut self) -> Result<Operand, JsonPathError> {
        self.cur.skip_spaces();
        let start = self.cur.pos();
        match self.cur.peek() {
            Some('@' | '$') => Ok(Operand::Path(self.path_operand()?)),
            Some('\'' | '"') => Ok(Operand::Str(self.cur.read_quoted()?)),
            Some(c) if c == '-' || c.is_ascii_digit() => Ok(Operand::Num(self.number()?)),
            Some(c) if c.is_ascii_alphabetic() => {
                while self.cur.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                    self.cur.bump();
                }
                match self.cur.slice(start, self.cur.pos()).as_str() {
                    "true" => Ok(Operand::Bool(true)),
                    "false" => Ok(Operand::Bool(false)),
                    "null" => Ok(Operand::Null),
                    word => Err(err(start, format!("unexpected `{word}` in filter"))
                        .hint("literals are 'text', \"text\", numbers, true, false and null")),
                }
            }
            Some('/') => Err(err(
                start,
                "a regex `/.../` is only valid on the right of `=~`",
            )),
            Some('[' | '{') => Err(err(start, "JSON literals in filters are not supported")
                .hint("compare with each value: `@.x == 'a' || @.x == 'b'`")),
            Some(c) => Err(err(start, format!("unexpected `{c}` in filter"))),
            None => Err(err(start, "the filter ends where a value was expected")
                .hint("end the filter with `)]`")),
        }
    }

    /// `@...` or `$...` with definite steps only.
    fn path_operand(&mut self) -> Result<OperandPath, JsonPathError> {
        let start = self.cur.pos();
        let absolute = self.cur.bump() == Some('$');
        let segments = parse_segments(self.cur, self.depth)?;
        let steps = segments
            .into_iter()
            .map(|(offset, segment)| definite_step(offset, segment));
        let steps = steps.collect::<Result<Vec<_>, _>>()?;
        match self.cur.peek() {
            None | Some(' ' | ')') => {}
            Some(c) if is_op_char(c) => {}
            Some(c) => {
                let path = self.cur.slice(start, self.cur.pos());
                return Err(err(self.cur.pos(), format!("`{c}` cannot follow the path `{path}`"))
                    .hint("Jayway reads a filter path up to a space, `)` or operator; add a space, e.g. `@.a && @.b`"));
            }
        }
        Ok(OperandPath { absolute, steps })
    }

    /// `-?digits(.digits)?`; Jayway versions disagree on exponents, so they are refused.
    fn number(&mut self) -> Result<Decimal, JsonPathError> {
        let start = self.cur.pos();
        self.cur.eat('-');
        let digits = |cur: &mut Cursor| {
            let from = cur.pos();
            while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
                cur.bump();
            }
            cur.pos() > from
        };
        let mut ok = digits(self.cur);
        if ok && self.cur.peek() == Some('.') {
            self.cur.bump();
            ok = digits(self.cur);
        }
        if matches!(self.cur.peek(), Some('e' | 'E')) {
            return Err(err(start, "exponents are not supported in filter numbers")
                .hint("write the number in plain decimal, e.g. 1000"));
        }
        let text = self.cur.slice(start, self.cur.pos());
        match Decimal::parse(&text) {
            Some(decimal) if ok => Ok(decimal),
            _ => Err(err(start, format!("`{text}` is not a number"))),
        }
    }

    /// `/body/flags`, compiled for a whole-input match like Java's `Matcher.matches()`.
    fn regex(&mut self) -> Result<Regex, JsonPathError> {
        self.cur.skip_spaces();
        let start = self.cur.pos();
        if !self.cur.eat('/') {
            return Err(
                err(start, "`=~` must be followed by a regex `/.../`").hint("e.g. `@.x =~ /a.*/i`")
            );
        }
        let body = self.regex_body(start)?;
        let flags_start = self.cur.pos();
        let mut builder_flags = [false; 4];
        while let Some(c) = self.cur.peek().filter(|c| c.is_ascii_alphabetic()) {
            let Some(i) = "imsx".find(c) else {
                return Err(err(self.cur.pos(), format!("unsupported regex flag `{c}`"))
                    .hint("supported flags: i, m, s, x"));
            };
            builder_flags[i] = true;
            self.cur.bump();
        }
        if self.cur.peek() != Some(')') {
            return Err(err(flags_start, "a regex must be followed directly by `)`")
                .hint("Jayway reads the text up to the next `)` as regex flags; end the comparison right after the flags, e.g. `[?(@.a == 1 && @.x =~ /re/i)]`"));
        }
        self.regex_ends.push(self.cur.pos());
        let [i, m, s, x] = builder_flags;
        // In x mode a trailing `#` comment would swallow our closing anchor without the newline.
        let anchored = if x {
            format!("\\A(?:{body}\n)\\z")
        } else {
            format!("\\A(?:{body})\\z")
        };
        RegexBuilder::new(&anchored)
            .case_insensitive(i)
            .multi_line(m)
            .dot_matches_new_line(s)
            .ignore_whitespace(x)
            .build()
            .map_err(|e| err(start, format!("invalid regex: {e}")).hint("the regex must be valid for the Rust `regex` crate (no look-around or back-references)"))
    }

    fn regex_body(&mut self, start: usize) -> Result<String, JsonPathError> {
        let mut body = String::new();
        loop {
            match self.cur.bump() {
                None => return Err(err(start, "regex is never closed with `/`")),
                Some('/') => return Ok(body),
                // `\/` is how a slash is written inside the delimiters; it means `/`.
                Some('\\') if self.cur.peek() == Some('/') => {
                    self.cur.bump();
                    body.push('/');
                }
                Some('\\') => {
                    body.push('\\');
                    if let Some(c) = self.cur.bump() {
                        body.push(c);
                    }
                }
                Some(c) => body.push(c),
            }
        }
    }
}

fn is_op_char(c: char) -> bool {
    matches!(c, '=' | '<' | '>' | '!' | '~')
}

fn definite_step(offset: usize, segment: Segment) -> Result<OperandStep, JsonPathError> {
    match segment {
        Segment::Child(Selector::Names(mut names)) if names.len() == 1 => {
            Ok(OperandStep::Key(names.pop().unwrap_or_default()))
        }
        Segment::Child(Selector::Indexes(indexes)) if indexes.len() == 1 => Ok(OperandStep::Index(indexes[0])),
        _ => Err(err(offset, "a filter operand must name a single value")
            .hint("use only `.name`, `['name']` or `[n]` steps here; Jayway compares wildcards, scans, unions, slices and filters as lists")),
    }
}

/// Jayway's word operators, all refused; `in`/`nin` get the rewrite that keeps their meaning.
fn word_operator(start: usize, word: &str) -> JsonPathError {
    match word {
        "in" => err(start, "the `in` operator is not supported")
            .hint("rewrite `@.x in ['a','b']` as `@.x == 'a' || @.x == 'b'`"),
        "nin" => err(start, "the `nin` operator is not supported")
            .hint("rewrite `@.x nin ['a','b']` as `@.x != 'a' && @.x != 'b'`"),
        "subsetof" | "anyof" | "noneof" | "size" | "empty" | "contains" | "all" | "type"
        | "matches" => err(start, format!("the `{word}` operator is not supported"))
            .hint("use == != < <= > >= =~ combined with && || !"),
        _ => err(start, format!("unknown operator `{word}`"))
            .hint("operators are == != < <= > >= =~ && || !"),
    }
}
