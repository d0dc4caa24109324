//! CQL (Confluence Query Language) as a grammar, not a string: the lexer, recursive-descent
//! parser and checker behind the `cql` query parameter of content search.
//!
//! PURE. Owns: deciding whether a CQL query uses only the fields, operators, values and
//! sort keys that a rules file declares ([`CqlGrammar::check`]), and whether a query as
//! sent upstream — after the proxy replaced `p~` tokens by their originals — still has
//! the structure the caller's query was admitted with ([`CqlGrammar::check_structure`]).
//!
//! Invariants:
//! - What is admitted is a strict subset of CQL, chosen so that Confluence cannot read an
//!   admitted query differently from us: ASCII outside quoted strings, a closed set of
//!   tokens, no function calls, no keyword as a bare value, no value holding a quote or a
//!   backslash, and a quoted string never glued to a following word. Anything else is
//!   refused, never repaired.
//! - Pure and total: no I/O, never panics, time linear in the input (one pass to lex, one
//!   to parse; value rules are the rules layer's regexes), input length and parenthesis
//!   depth bounded by [`CqlLimits`].
//! - A [`CqlRefusal`] never quotes the caller's text: it names byte offsets, the kind of
//!   problem and things the rules file declared (field names, operators). Even a field name
//!   the caller typed is caller text, so an unknown one is "an undeclared field".
//! - Byte offsets and spans refer to the query as checked (after URL decoding).

mod lexer;
mod parser;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

use lexer::tokenize;
use parser::Parser;

/// Longest query admitted by default, in bytes. Worklytics' queries are about 100.
pub(crate) const DEFAULT_MAX_BYTES: usize = 2048;
/// Deepest parenthesis nesting admitted by default. Bounds the parser's recursion.
pub(crate) const DEFAULT_MAX_DEPTH: usize = 16;
/// Words with a meaning in CQL (or JQL, its sibling). A bare value spelled like one is
/// refused: Confluence may read it as syntax (`EMPTY`, `NULL`) or fail to parse.
const KEYWORDS: [&str; 11] = [
    "and", "or", "not", "in", "order", "by", "asc", "desc", "is", "empty", "null",
];

/// Checks one value against a field's declared values. Implemented by the rules layer with
/// its parameter schemas (`enum`, `pattern`, `type`, `format: reversible-pseudonym`, ...).
pub(crate) trait CqlValueRule {
    /// `value` is unquoted and unescaped, never empty, and holds no quote, backslash or
    /// control character (those are refused before any rule is asked).
    fn accepts(&self, value: &str) -> bool;
}

/// The CQL comparison operators (`IN` and `NOT IN` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CqlOperator {
    Equals,
    NotEquals,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Contains,
    NotContains,
    In,
    NotIn,
}

impl CqlOperator {
    const ALL: [CqlOperator; 10] = [
        CqlOperator::Equals,
        CqlOperator::NotEquals,
        CqlOperator::Greater,
        CqlOperator::GreaterOrEqual,
        CqlOperator::Less,
        CqlOperator::LessOrEqual,
        CqlOperator::Contains,
        CqlOperator::NotContains,
        CqlOperator::In,
        CqlOperator::NotIn,
    ];

    /// How the operator is written in CQL and in a rules file.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CqlOperator::Equals => "=",
            CqlOperator::NotEquals => "!=",
            CqlOperator::Greater => ">",
            CqlOperator::GreaterOrEqual => ">=",
            CqlOperator::Less => "<",
            CqlOperator::LessOrEqual => "<=",
            CqlOperator::Contains => "~",
            CqlOperator::NotContains => "!~",
            CqlOperator::In => "in",
            CqlOperator::NotIn => "not in",
        }
    }

    /// Parses an operator as a rules file declares it (`"="`, `"in"`, `"not in"`; word
    /// operators in any case, one space in `not in`).
    pub(crate) fn from_declaration(text: &str) -> Option<CqlOperator> {
        Self::ALL
            .into_iter()
            .find(|op| op.symbol().eq_ignore_ascii_case(text))
    }

    /// Confluence refuses a negative expression as the first clause of a query.
    fn is_negative(self) -> bool {
        matches!(
            self,
            CqlOperator::NotEquals | CqlOperator::NotContains | CqlOperator::NotIn
        )
    }

    fn takes_list(self) -> bool {
        matches!(self, CqlOperator::In | CqlOperator::NotIn)
    }
}

impl fmt::Display for CqlOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One searchable field: its name, the operators it may be used with and its values.
#[derive(Debug, Clone)]
pub(crate) struct CqlField<V> {
    /// Lower case; matched case-insensitively (Confluence reads `lastModified`, `Space`).
    pub name: String,
    pub operators: Vec<CqlOperator>,
    pub values: V,
}

/// Size bounds of an admitted query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CqlLimits {
    pub max_bytes: usize,
    pub max_depth: usize,
}

impl Default for CqlLimits {
    fn default() -> Self {
        CqlLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// The CQL a rules file admits for one parameter.
#[derive(Debug, Clone)]
pub(crate) struct CqlGrammar<V> {
    pub fields: Vec<CqlField<V>>,
    /// Fields results may be ordered by; lower case, matched case-insensitively.
    pub order_by: Vec<String>,
    pub limits: CqlLimits,
}

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CqlQuoting {
    Bare,
    Double,
    Single,
}

/// One value of a clause, as it appears in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CqlValue {
    /// Unquoted and unescaped: what the field's rule accepted.
    pub text: String,
    /// The whole token, quotes included.
    pub span: Range<usize>,
    pub quoting: CqlQuoting,
}

/// One `field op value` or `field [NOT] IN (values)` clause of an admitted query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CqlClause {
    /// The declared (lower-case) name, whatever case the caller wrote.
    pub field: String,
    pub field_span: Range<usize>,
    pub operator: CqlOperator,
    /// One value, or the list of `IN` / `NOT IN`, in query order.
    pub values: Vec<CqlValue>,
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CqlOrder {
    /// The declared (lower-case) name.
    pub field: String,
    pub descending: bool,
}

/// An admitted query: its clauses in query order (spans increase) and its sort keys.
/// The boolean structure is not kept: checking needs only that it is well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CqlQuery {
    pub source: String,
    pub clauses: Vec<CqlClause>,
    pub order_by: Vec<CqlOrder>,
}

/// Why a query was refused. Messages name byte offsets and declared things only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CqlRefusal {
    #[error("the CQL query is empty")]
    Empty,
    #[error("the CQL query is {len} bytes long; at most {max} are allowed")]
    TooLong { len: usize, max: usize },
    #[error(
        "character not allowed at byte {at} (outside quoted strings only ASCII letters, digits, \
         `_-./`, operators, parentheses, commas and ASCII spaces; no control characters)"
    )]
    ForbiddenCharacter { at: usize },
    #[error("quoted string opened at byte {at} is not closed")]
    UnterminatedString { at: usize },
    #[error("escape at byte {at} is not supported (only \\\\, \\\" and \\')")]
    UnsupportedEscape { at: usize },
    #[error(
        "missing space before the token at byte {at} (a quoted string may not touch a word or a quote)"
    )]
    MissingSeparator { at: usize },
    #[error("unexpected token at byte {at}: expected {expected}")]
    UnexpectedToken { at: usize, expected: &'static str },
    #[error("the CQL query ends early: expected {expected}")]
    UnexpectedEnd { expected: &'static str },
    #[error("an undeclared field at byte {at}")]
    UndeclaredField { at: usize },
    #[error("operator `{operator}` at byte {at} is not allowed for field `{field}`")]
    OperatorNotAllowed {
        at: usize,
        operator: CqlOperator,
        field: String,
    },
    #[error("function call at byte {at}: only literal values are allowed")]
    FunctionCall { at: usize },
    #[error("bare value at byte {at} is a CQL keyword; quote it")]
    KeywordAsValue { at: usize },
    #[error("empty value at byte {at}")]
    EmptyValue { at: usize },
    #[error("value at byte {at} holds a quote, a backslash or a control character")]
    ValueCharacters { at: usize },
    #[error("value at byte {at} is not allowed for field `{field}`")]
    ValueNotAllowed { at: usize, field: String },
    #[error("empty value list at byte {at}")]
    EmptyList { at: usize },
    #[error("empty parentheses at byte {at}")]
    EmptyGroup { at: usize },
    #[error("parentheses at byte {at} nest deeper than {max}")]
    TooDeep { at: usize, max: usize },
    #[error("the first clause (at byte {at}) is negative; Confluence refuses that")]
    NegativeFirst { at: usize },
    #[error("ORDER BY without a condition is not allowed")]
    NoCondition,
    #[error("ordering by the field at byte {at} is not allowed")]
    OrderByNotAllowed { at: usize },
}

impl CqlRefusal {
    /// A stable name for the kind of refusal, for tests, logs and metrics.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            CqlRefusal::Empty => "empty",
            CqlRefusal::TooLong { .. } => "too_long",
            CqlRefusal::ForbiddenCharacter { .. } => "forbidden_character",
            CqlRefusal::UnterminatedString { .. } => "unterminated_string",
            CqlRefusal::UnsupportedEscape { .. } => "unsupported_escape",
            CqlRefusal::MissingSeparator { .. } => "missing_separator",
            CqlRefusal::UnexpectedToken { .. } => "unexpected_token",
            CqlRefusal::UnexpectedEnd { .. } => "unexpected_end",
            CqlRefusal::UndeclaredField { .. } => "undeclared_field",
            CqlRefusal::OperatorNotAllowed { .. } => "operator_not_allowed",
            CqlRefusal::FunctionCall { .. } => "function_call",
            CqlRefusal::KeywordAsValue { .. } => "keyword_as_value",
            CqlRefusal::EmptyValue { .. } => "empty_value",
            CqlRefusal::ValueCharacters { .. } => "value_characters",
            CqlRefusal::ValueNotAllowed { .. } => "value_not_allowed",
            CqlRefusal::EmptyList { .. } => "empty_list",
            CqlRefusal::EmptyGroup { .. } => "empty_group",
            CqlRefusal::TooDeep { .. } => "too_deep",
            CqlRefusal::NegativeFirst { .. } => "negative_first",
            CqlRefusal::NoCondition => "no_condition",
            CqlRefusal::OrderByNotAllowed { .. } => "order_by_not_allowed",
        }
    }
}

impl<V: CqlValueRule> CqlGrammar<V> {
    /// Admits `cql` when every clause uses a declared field with one of its operators and
    /// values its rule accepts, and every sort key is declared. See the module invariants.
    pub(crate) fn check(&self, cql: &str) -> Result<CqlQuery, CqlRefusal> {
        self.parse(cql, true)
    }

    /// Admits `cql` when its structure is one [`CqlGrammar::check`] admits — declared
    /// fields, operators and sort keys, every value free of quotes, backslashes and control
    /// characters — whatever the values are. For the query *as sent upstream*, after the
    /// proxy replaced `p~` tokens by their originals (which no longer look like
    /// pseudonyms): an original can never have changed the query's structure.
    pub(crate) fn check_structure(&self, cql: &str) -> Result<CqlQuery, CqlRefusal> {
        self.parse(cql, false)
    }

    fn parse(&self, cql: &str, check_values: bool) -> Result<CqlQuery, CqlRefusal> {
        if cql.len() > self.limits.max_bytes {
            return Err(CqlRefusal::TooLong {
                len: cql.len(),
                max: self.limits.max_bytes,
            });
        }
        let tokens = tokenize(cql)?;
        Parser::new(self, tokens, check_values).query(cql)
    }
}

impl<V> CqlGrammar<V> {
    /// Problems of the declaration itself, for the rules compiler to report: names that
    /// could never match (not lower case, not a CQL word, a keyword), duplicates, fields
    /// without operators.
    pub(crate) fn declaration_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (index, field) in self.fields.iter().enumerate() {
            if !is_declarable_name(&field.name) {
                problems.push(format!(
                    "CQL field `{}` is not a lower-case CQL name",
                    field.name
                ));
            }
            if self.fields.iter().take(index).any(|f| f.name == field.name) {
                problems.push(format!("CQL field `{}` is declared twice", field.name));
            }
            if field.operators.is_empty() {
                problems.push(format!("CQL field `{}` declares no operator", field.name));
            }
        }
        for name in &self.order_by {
            if !is_declarable_name(name) {
                problems.push(format!(
                    "CQL order-by field `{name}` is not a lower-case CQL name"
                ));
            }
        }
        if self.limits.max_depth == 0 || self.limits.max_bytes == 0 {
            problems.push("CQL limits must be positive".to_owned());
        }
        problems
    }
}

fn is_declarable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.'))
        && !is_keyword(name)
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `value` is a date in one of the two spellings admitted for `created` and
/// `lastmodified`: `YYYY-MM-DD` or `YYYY-MM-DD HH:mm` (months 01-12, days 01-31, hours
/// 00-23, minutes 00-59). Confluence also reads `/` for `-`; one spelling is enough.
pub(crate) fn is_cql_date(value: &str) -> bool {
    let (date, time) = match value.split_once(' ') {
        Some((date, time)) => (date, Some(time)),
        None => (value, None),
    };
    let mut parts = date.split('-');
    let date_ok = matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(y), Some(m), Some(d), None)
            if number_within(y, 4, 0, 9999) && number_within(m, 2, 1, 12) && number_within(d, 2, 1, 31)
    );
    date_ok
        && time.is_none_or(|time| {
            matches!(time.split_once(':'), Some((h, m))
                if number_within(h, 2, 0, 23) && number_within(m, 2, 0, 59))
        })
}

/// `text` is exactly `digits` ASCII digits and its value lies in `min..=max`.
fn number_within(text: &str, digits: usize, min: u32, max: u32) -> bool {
    text.len() == digits
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok_and(|n| (min..=max).contains(&n))
}
