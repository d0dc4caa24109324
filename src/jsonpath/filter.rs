//! Evaluates a filter expression against one node, with Jayway's value semantics.
//!
//! How Jayway compares (and so how we do; each is a parity requirement, not a choice):
//! - a missing operand path is "undefined": it equals nothing, so `==`, `<`, `<=`, `>`,
//!   `>=` are false, and `!=` (defined by Jayway as "not equal") is **true**;
//! - numbers compare numerically as `BigDecimal`s built from the number's Java text;
//! - `==` between a number and a string converts: a document number equals a string
//!   literal that parses to the same `BigDecimal` (`@.n == '1.0'` holds for `1`), and a
//!   document string equals a number literal whose `BigDecimal.toString()` is the same
//!   text (`@.s == 1` holds for `"1"` but not for `"1.0"`);
//! - ordering is only defined number/number and string/string (UTF-16 code unit order);
//! - null equals null; booleans equal booleans; objects/arrays equal structurally;
//! - `=~` full-matches the operand's text: a string as is, a number as
//!   `BigDecimal.toString()`, a boolean as `true`/`false`, and anything else (missing,
//!   null, object, array) as the **empty string** — so `/.*/` matches a missing key.

use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use super::ast::{CmpOp, Expr, Operand, OperandPath, OperandStep};
use super::decimal::Decimal;
use crate::jackson::number_text;

/// The operand values Jayway distinguishes.
enum Val<'a> {
    Missing,
    Null,
    Bool(bool),
    Num(Decimal),
    Str(&'a str),
    /// An object or array from the document.
    Json(&'a Value),
}

/// Whether `node` (the `@` of the filter) passes `expr`; `root` is the `$` of the document.
pub(crate) fn test(expr: &Expr, node: &Value, root: &Value) -> bool {
    match expr {
        Expr::Or(items) => items.iter().any(|e| test(e, node, root)),
        Expr::And(items) => items.iter().all(|e| test(e, node, root)),
        Expr::Not(inner) => !test(inner, node, root),
        Expr::Exists(path) => resolve(path, node, root).is_some(),
        Expr::Compare(left, op, right) => {
            compare(&value(left, node, root), *op, &value(right, node, root))
        }
        Expr::Matches(operand, regex) => regex_matches(regex, &value(operand, node, root)),
    }
}

/// Follows a definite path; `None` when any step is missing or lands on the wrong type.
fn resolve<'a>(path: &OperandPath, node: &'a Value, root: &'a Value) -> Option<&'a Value> {
    let start = if path.absolute { root } else { node };
    path.steps
        .iter()
        .try_fold(start, |at, step| match (step, at) {
            (OperandStep::Key(key), Value::Object(map)) => map.get(key),
            (OperandStep::Index(i), Value::Array(items)) => {
                let len = i64::try_from(items.len()).ok()?;
                let idx = if *i < 0 { len + i } else { *i };
                usize::try_from(idx).ok().and_then(|idx| items.get(idx))
            }
            _ => None,
        })
}

fn value<'a>(operand: &'a Operand, node: &'a Value, root: &'a Value) -> Val<'a> {
    match operand {
        Operand::Path(path) => match resolve(path, node, root) {
            None => Val::Missing,
            Some(Value::Null) => Val::Null,
            Some(Value::Bool(b)) => Val::Bool(*b),
            Some(Value::Number(n)) => {
                Decimal::parse(&number_text(n)).map_or(Val::Missing, Val::Num)
            }
            Some(Value::String(s)) => Val::Str(s),
            Some(json) => Val::Json(json),
        },
        Operand::Str(s) => Val::Str(s),
        Operand::Num(d) => Val::Num(d.clone()),
        Operand::Bool(b) => Val::Bool(*b),
        Operand::Null => Val::Null,
    }
}

fn compare(left: &Val, op: CmpOp, right: &Val) -> bool {
    match op {
        CmpOp::Eq => equals(left, right),
        CmpOp::Ne => !equals(left, right),
        CmpOp::Lt => order(left, right) == Some(Ordering::Less),
        CmpOp::Le => matches!(order(left, right), Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => order(left, right) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(
            order(left, right),
            Some(Ordering::Greater | Ordering::Equal)
        ),
    }
}

/// Jayway's `left.equals(right)`; note the number/string conversion depends on the side.
fn equals(left: &Val, right: &Val) -> bool {
    match (left, right) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Num(a), Val::Num(b)) => a.cmp_value(b) == Ordering::Equal,
        (Val::Num(a), Val::Str(s)) => {
            Decimal::parse(s).is_some_and(|b| a.cmp_value(&b) == Ordering::Equal)
        }
        (Val::Str(s), Val::Num(b)) => *s == b.to_java_string(),
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Json(a), Val::Json(b)) => a == b,
        _ => false,
    }
}

fn order(left: &Val, right: &Val) -> Option<Ordering> {
    match (left, right) {
        (Val::Num(a), Val::Num(b)) => Some(a.cmp_value(b)),
        // Java's String.compareTo orders by UTF-16 code units, not code points.
        (Val::Str(a), Val::Str(b)) => Some(a.encode_utf16().cmp(b.encode_utf16())),
        _ => None,
    }
}

fn regex_matches(regex: &Regex, value: &Val) -> bool {
    match value {
        Val::Str(s) => regex.is_match(s),
        Val::Num(d) => regex.is_match(&d.to_java_string()),
        Val::Bool(b) => regex.is_match(if *b { "true" } else { "false" }),
        Val::Missing | Val::Null | Val::Json(_) => regex.is_match(""),
    }
}
