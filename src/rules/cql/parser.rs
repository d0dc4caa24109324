//! The CQL parser and checker: tokens → clauses, each field, operator and value checked
//! against the grammar as it is read.
//!
//!   query  := expr [ORDER BY key {, key}]
//!   expr   := term {(AND | OR) term}
//!   term   := [NOT] ( '(' expr ')' | clause )
//!   clause := field op value | field [NOT] IN '(' value {, value} ')'
//!   key    := field [ASC | DESC]
//!
//! AND and OR are not given precedence: checking needs only that the query is well formed,
//! and every clause is checked whatever it is combined with. Recursion is bounded by the
//! grammar's parenthesis depth.

use std::iter::Peekable;
use std::ops::Range;
use std::vec;

use super::lexer::{Token, TokenKind};
use super::{
    CqlClause, CqlField, CqlGrammar, CqlOperator, CqlOrder, CqlQuery, CqlQuoting, CqlRefusal,
    CqlValue, CqlValueRule, is_keyword,
};

pub(super) struct Parser<'g, V> {
    grammar: &'g CqlGrammar<V>,
    tokens: Peekable<vec::IntoIter<Token>>,
    /// No clause parsed yet: a negation here would be the query's first clause.
    leading: bool,
    clauses: Vec<CqlClause>,
    /// Ask each field's value rule (else only the structure and the value characters).
    check_values: bool,
}

impl<'g, V: CqlValueRule> Parser<'g, V> {
    pub(super) fn new(grammar: &'g CqlGrammar<V>, tokens: Vec<Token>, check_values: bool) -> Self {
        Parser {
            grammar,
            tokens: tokens.into_iter().peekable(),
            leading: true,
            clauses: Vec::new(),
            check_values,
        }
    }

    pub(super) fn query(mut self, cql: &str) -> Result<CqlQuery, CqlRefusal> {
        if self.tokens.peek().is_none() {
            return Err(CqlRefusal::Empty);
        }
        // Confluence sorts the whole site for a bare ORDER BY; a condition is required.
        if self.next_is_keyword("order") {
            return Err(CqlRefusal::NoCondition);
        }
        self.expression(0)?;
        let order_by = if self.next_is_keyword("order") {
            self.order_by()?
        } else {
            Vec::new()
        };
        if let Some(extra) = self.tokens.next() {
            return Err(CqlRefusal::UnexpectedToken {
                at: extra.span.start,
                expected: "AND, OR, ORDER BY or the end of the query",
            });
        }
        Ok(CqlQuery {
            source: cql.to_owned(),
            clauses: self.clauses,
            order_by,
        })
    }

    fn expression(&mut self, depth: usize) -> Result<(), CqlRefusal> {
        self.term(depth)?;
        while self.next_is_keyword("and") || self.next_is_keyword("or") {
            self.tokens.next();
            self.term(depth)?;
        }
        Ok(())
    }

    fn term(&mut self, depth: usize) -> Result<(), CqlRefusal> {
        if self.next_is_keyword("not") {
            let not = self.next_token("NOT")?;
            if self.leading {
                return Err(CqlRefusal::NegativeFirst { at: not.span.start });
            }
        }
        if self.next_is(&TokenKind::Open) {
            self.group(depth)
        } else {
            self.clause()
        }
    }

    fn group(&mut self, depth: usize) -> Result<(), CqlRefusal> {
        let open = self.next_token("`(`")?;
        let max = self.grammar.limits.max_depth;
        if depth >= max {
            return Err(CqlRefusal::TooDeep {
                at: open.span.start,
                max,
            });
        }
        if self.next_is(&TokenKind::Close) {
            return Err(CqlRefusal::EmptyGroup {
                at: open.span.start,
            });
        }
        self.expression(depth + 1)?;
        self.expect(&TokenKind::Close, "`)`")
    }

    fn clause(&mut self) -> Result<(), CqlRefusal> {
        let (field, field_span) = self.field()?;
        let (operator, operator_at) = self.operator()?;
        if !field.operators.contains(&operator) {
            return Err(CqlRefusal::OperatorNotAllowed {
                at: operator_at,
                operator,
                field: field.name.clone(),
            });
        }
        if self.leading && operator.is_negative() {
            return Err(CqlRefusal::NegativeFirst {
                at: field_span.start,
            });
        }
        let values = if operator.takes_list() {
            self.value_list(field)?
        } else {
            vec![self.value(field)?]
        };
        self.leading = false;
        self.clauses.push(CqlClause {
            field: field.name.clone(),
            field_span,
            operator,
            values,
        });
        Ok(())
    }

    /// A bare word naming a declared field (case-insensitively). Quoted field names, which
    /// Confluence reads for custom fields, are refused.
    fn field(&mut self) -> Result<(&'g CqlField<V>, Range<usize>), CqlRefusal> {
        let expected = "a field name";
        let token = self.next_token(expected)?;
        let at = token.span.start;
        let TokenKind::Word(name) = &token.kind else {
            return Err(CqlRefusal::UnexpectedToken { at, expected });
        };
        if is_keyword(name) {
            return Err(CqlRefusal::UnexpectedToken { at, expected });
        }
        let grammar = self.grammar;
        let field = grammar
            .fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name));
        field
            .map(|field| (field, token.span))
            .ok_or(CqlRefusal::UndeclaredField { at })
    }

    fn operator(&mut self) -> Result<(CqlOperator, usize), CqlRefusal> {
        let expected = "an operator";
        let token = self.next_token(expected)?;
        let at = token.span.start;
        match &token.kind {
            TokenKind::Operator(operator) => Ok((*operator, at)),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("in") => Ok((CqlOperator::In, at)),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("not") => {
                let next = self.next_token("IN")?;
                match &next.kind {
                    TokenKind::Word(word) if word.eq_ignore_ascii_case("in") => {
                        Ok((CqlOperator::NotIn, at))
                    }
                    _ => Err(CqlRefusal::UnexpectedToken {
                        at: next.span.start,
                        expected: "IN",
                    }),
                }
            }
            _ => Err(CqlRefusal::UnexpectedToken { at, expected }),
        }
    }

    fn value_list(&mut self, field: &CqlField<V>) -> Result<Vec<CqlValue>, CqlRefusal> {
        let open = self.next_token("`(`")?;
        if open.kind != TokenKind::Open {
            return Err(CqlRefusal::UnexpectedToken {
                at: open.span.start,
                expected: "`(`",
            });
        }
        if self.next_is(&TokenKind::Close) {
            return Err(CqlRefusal::EmptyList {
                at: open.span.start,
            });
        }
        let mut values = Vec::new();
        loop {
            values.push(self.value(field)?);
            let expected = "`,` or `)`";
            let token = self.next_token(expected)?;
            match token.kind {
                TokenKind::Comma => continue,
                TokenKind::Close => return Ok(values),
                _ => {
                    let at = token.span.start;
                    return Err(CqlRefusal::UnexpectedToken { at, expected });
                }
            }
        }
    }

    /// One literal value, checked by the field's rule.
    fn value(&mut self, field: &CqlField<V>) -> Result<CqlValue, CqlRefusal> {
        let expected = "a value";
        let token = self.next_token(expected)?;
        let at = token.span.start;
        let (text, quoting) = match token.kind {
            TokenKind::Word(word) if is_keyword(&word) => {
                return Err(CqlRefusal::KeywordAsValue { at });
            }
            TokenKind::Word(word) => (word, CqlQuoting::Bare),
            TokenKind::Quoted { text, quoting } => (text, quoting),
            _ => return Err(CqlRefusal::UnexpectedToken { at, expected }),
        };
        // `now("-4w")`, `currentUser()`: functions are evaluated by Confluence, so their
        // value cannot be checked here.
        if self.next_is(&TokenKind::Open) {
            return Err(CqlRefusal::FunctionCall { at });
        }
        check_value_text(&text, at)?;
        if self.check_values && !field.values.accepts(&text) {
            let field = field.name.clone();
            return Err(CqlRefusal::ValueNotAllowed { at, field });
        }
        Ok(CqlValue {
            text,
            span: token.span,
            quoting,
        })
    }

    fn order_by(&mut self) -> Result<Vec<CqlOrder>, CqlRefusal> {
        self.tokens.next();
        self.expect_keyword("by", "BY")?;
        let mut orders = Vec::new();
        loop {
            let token = self.next_token("a field to order by")?;
            let at = token.span.start;
            let declared = match &token.kind {
                TokenKind::Word(name) => self
                    .grammar
                    .order_by
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(name)),
                _ => None,
            };
            let field = declared
                .ok_or(CqlRefusal::OrderByNotAllowed { at })?
                .clone();
            let descending = self.next_is_keyword("desc");
            if descending || self.next_is_keyword("asc") {
                self.tokens.next();
            }
            orders.push(CqlOrder { field, descending });
            if !self.next_is(&TokenKind::Comma) {
                return Ok(orders);
            }
            self.tokens.next();
        }
    }

    fn next_token(&mut self, expected: &'static str) -> Result<Token, CqlRefusal> {
        self.tokens
            .next()
            .ok_or(CqlRefusal::UnexpectedEnd { expected })
    }

    fn next_is(&mut self, kind: &TokenKind) -> bool {
        self.tokens.peek().is_some_and(|token| token.kind == *kind)
    }

    fn next_is_keyword(&mut self, keyword: &str) -> bool {
        self.tokens.peek().is_some_and(
            |token| matches!(&token.kind, TokenKind::Word(w) if w.eq_ignore_ascii_case(keyword)),
        )
    }

    fn expect(&mut self, kind: &TokenKind, expected: &'static str) -> Result<(), CqlRefusal> {
        let token = self.next_token(expected)?;
        if token.kind == *kind {
            Ok(())
        } else {
            let at = token.span.start;
            Err(CqlRefusal::UnexpectedToken { at, expected })
        }
    }

    fn expect_keyword(&mut self, keyword: &str, expected: &'static str) -> Result<(), CqlRefusal> {
        if self.next_is_keyword(keyword) {
            self.tokens.next();
            return Ok(());
        }
        let token = self.next_token(expected)?;
        let at = token.span.start;
        Err(CqlRefusal::UnexpectedToken { at, expected })
    }
}

/// No value holds a quote, a backslash or a control character, whatever its rule says:
/// then no admitted query depends on how Confluence reads escapes, and a value can be
/// logged or re-quoted as is.
fn check_value_text(text: &str, at: usize) -> Result<(), CqlRefusal> {
    if text.is_empty() {
        return Err(CqlRefusal::EmptyValue { at });
    }
    let unsafe_char = |c: char| c.is_control() || matches!(c, '"' | '\'' | '\\');
    if text.chars().any(unsafe_char) {
        return Err(CqlRefusal::ValueCharacters { at });
    }
    Ok(())
}
