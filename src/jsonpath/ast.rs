//! The compiled form of a path: what the parser produces and the evaluator walks.
//!
//! Invariant: every shape representable here is one the evaluator handles with Jayway's
//! semantics; syntax we cannot evaluate faithfully never reaches this tree (the parser
//! rejects it). In particular a `Segment::Scan` over a wildcard, index or slice is always
//! the last segment, and filter operand paths are always definite (see `filter.rs`).

use regex::Regex;

use super::decimal::Decimal;

/// One step of a path after `$`.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// `.name`, `[...]`: applies the selector to the current node.
    Child(Selector),
    /// `..x`: applies the selector to the current node and every descendant container.
    Scan(Selector),
}

/// What a segment selects from a node.
#[derive(Debug, Clone)]
pub(crate) enum Selector {
    /// `.a`, `['a']`, `['a','b']`: the listed keys of an object, in listed order.
    Names(Vec<String>),
    /// `.*`, `[*]`: object values in key order or array elements in index order.
    Wildcard,
    /// `[0]`, `[-1]`, `[0,2]`: array elements; negative counts from the end.
    Indexes(Vec<i64>),
    /// `[a:b]`, `[a:]`, `[:b]` with Jayway's bounds handling (see `eval::slice_range`).
    Slice(Slice),
    /// `[?(...)]`: elements of an array, or an object itself, that pass the test.
    Filter(Box<Expr>),
}

/// The three slice forms Jayway distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slice {
    /// `[a:]`; a negative start counts from the end.
    From(i64),
    /// `[:b]`; a negative end counts from the end.
    To(i64),
    /// `[a:b]` with both bounds non-negative (the parser rejects negative ones).
    Between(i64, i64),
}

/// A filter expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    /// `@.x`: true when the path names an existing node (whatever its value, even null).
    Exists(OperandPath),
    Compare(Operand, CmpOp, Operand),
    /// `@.x =~ /re/flags`; the regex is already anchored for a whole-input match.
    Matches(Operand, Regex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Path(OperandPath),
    Str(String),
    Num(Decimal),
    Bool(bool),
    Null,
}

/// `@...` (relative to the tested node) or `$...` (from the document root); always definite:
/// it names at most one node.
#[derive(Debug, Clone)]
pub(crate) struct OperandPath {
    pub absolute: bool,
    pub steps: Vec<OperandStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OperandStep {
    Key(String),
    Index(i64),
}
