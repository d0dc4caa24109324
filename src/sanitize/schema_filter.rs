//! responseSchema as an allow-list filter (docs/rules.md, "responseSchema") — not a validator.
//!
//! Invariant: the output never contains a key or array element the schema does not allow;
//! properties missing from the input are never added. The filter consumes its input so
//! that kept values move into the output without copying.
//!
//! Keyword precedence, as the contract orders it: `$ref`, then `anyOf`, then `const`,
//! then `if`/`then`/`else`, then `type`; a schema with none of these keeps scalars and
//! drops objects and arrays.

use serde_json::{Map, Value};

use crate::rules::{Schema, SchemaType};

/// The result of filtering one node.
#[derive(Debug, PartialEq)]
pub(crate) enum Filtered {
    Kept(Value),
    /// A `const` did not match: the enclosing object does not match either, which is how
    /// `anyOf` picks between variants.
    ConstMismatch,
}

impl Filtered {
    pub(crate) fn into_value(self) -> Value {
        match self {
            Filtered::Kept(v) => v,
            Filtered::ConstMismatch => Value::Null,
        }
    }
}

/// Filter a whole document with an endpoint's responseSchema.
pub(crate) fn filter_document(
    doc: Value,
    schema: &Schema,
    definitions: &[(String, Schema)],
) -> Value {
    filter(doc, schema, definitions).into_value()
}

pub(crate) fn filter(node: Value, schema: &Schema, defs: &[(String, Schema)]) -> Filtered {
    if let Some(index) = schema.reference {
        // Compile guarantees the index exists; a missing one is treated as "drop".
        return match defs.get(index) {
            Some((_, target)) => filter(node, target, defs),
            None => Filtered::Kept(Value::Null),
        };
    }
    if let Some(candidates) = &schema.any_of {
        return filter_any_of(node, candidates, defs);
    }
    if let Some(constant) = &schema.constant {
        return if constant_matches(&node, constant) {
            Filtered::Kept(Value::String(String::new()))
        } else {
            Filtered::ConstMismatch
        };
    }
    if let Some(condition) = &schema.if_ {
        let holds = filter(node.clone(), condition, defs) != Filtered::ConstMismatch;
        let branch = if holds { &schema.then } else { &schema.else_ };
        if let Some(branch) = branch {
            return filter(node, branch, defs);
        }
    }
    match schema.kind {
        Some(kind) => filter_typed(node, kind, schema, defs),
        None => Filtered::Kept(match node {
            Value::Object(_) | Value::Array(_) => Value::Null,
            scalar => scalar,
        }),
    }
}

fn filter_any_of(node: Value, candidates: &[Schema], defs: &[(String, Schema)]) -> Filtered {
    let Some((last, others)) = candidates.split_last() else {
        return Filtered::Kept(Value::Null);
    };
    for candidate in others {
        if let kept @ Filtered::Kept(_) = filter(node.clone(), candidate, defs) {
            return kept;
        }
    }
    match filter(node, last, defs) {
        Filtered::ConstMismatch => Filtered::Kept(Value::Null),
        kept => kept,
    }
}

/// `const` compares against the node's text form for scalars (a `const: 1` matches `1`
/// and `"1"`), and structurally otherwise.
fn constant_matches(node: &Value, constant: &Value) -> bool {
    match (node, constant) {
        (Value::String(a), Value::String(b)) => a == b,
        (Value::String(a), Value::Number(b)) | (Value::Number(b), Value::String(a)) => {
            *a == b.to_string()
        }
        (a, b) => a == b,
    }
}

pub(crate) fn filter_typed(
    node: Value,
    kind: SchemaType,
    schema: &Schema,
    defs: &[(String, Schema)],
) -> Filtered {
    let kept = match (kind, node) {
        (SchemaType::String, s @ Value::String(_)) => s,
        (SchemaType::Integer, Value::Number(n)) => integer_of(&n),
        // Psoxy's pipeline has turned a float beyond `double`'s range into the string
        // "Infinity" before its schema runs: not a number, but a string.
        (SchemaType::Number, Value::Number(n)) if crate::jackson::is_infinite(&n) => Value::Null,
        (SchemaType::Number, n @ Value::Number(_)) => n,
        (SchemaType::String, Value::Number(n)) if crate::jackson::is_infinite(&n) => {
            Value::String(crate::jackson::number_text(&n))
        }
        (SchemaType::Boolean, b @ Value::Bool(_)) => b,
        // Parity quirk: Psoxy turns a null boolean into false.
        (SchemaType::Boolean, Value::Null) => Value::Bool(false),
        (SchemaType::Object, Value::Object(map)) => return filter_object(map, schema, defs),
        (SchemaType::Array, Value::Array(items)) => filter_array(items, schema, defs),
        _ => Value::Null,
    };
    Filtered::Kept(kept)
}

/// Jackson's `integer` rule: a value a Java `long` holds passes as that long (a float
/// truncated toward zero); anything beyond a `long` — an integer literal past 64 bits
/// signed, a float past ±2^63, an infinity — is `null`.
fn integer_of(n: &serde_json::Number) -> Value {
    if let Some(i) = n.as_i64() {
        return Value::from(i);
    }
    let text = n.as_str();
    if !text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
        return Value::Null; // an integer literal no `long` holds (`u64` beyond i64 too)
    }
    // `(double) Long.MIN_VALUE` and `(double) Long.MAX_VALUE` (= 2^63): Jackson's range
    // check for a `double`; `as` then saturates, as Java's cast does.
    const LONG_RANGE: std::ops::RangeInclusive<f64> =
        -9_223_372_036_854_775_808.0..=9_223_372_036_854_775_808.0;
    match text.parse::<f64>() {
        Ok(f) if LONG_RANGE.contains(&f) => Value::from(f.trunc() as i64),
        _ => Value::Null,
    }
}

fn filter_object(map: Map<String, Value>, schema: &Schema, defs: &[(String, Schema)]) -> Filtered {
    let properties = schema.properties.as_deref().unwrap_or(&[]);
    let mut out = Map::with_capacity(map.len().min(properties.len() + 1));
    // No key passes unnamed — not even Psoxy's `+`-prefixed ones (docs/rules.md,
    // "Differences from Psoxy"): upstream keys are chosen by the source's users.
    for (key, value) in map {
        let Some((_, property_schema)) = properties.iter().find(|(name, _)| *name == key) else {
            continue;
        };
        match filter(value, property_schema, defs) {
            Filtered::Kept(v) => {
                out.insert(key, v);
            }
            Filtered::ConstMismatch => return Filtered::ConstMismatch,
        }
    }
    Filtered::Kept(Value::Object(out))
}

fn filter_array(items: Vec<Value>, schema: &Schema, defs: &[(String, Schema)]) -> Value {
    let empty = Schema::default();
    let item_schema = schema.items.as_deref().unwrap_or(&empty);
    let kept = items
        .into_iter()
        .filter_map(|item| match filter(item, item_schema, defs) {
            Filtered::Kept(Value::Null) | Filtered::ConstMismatch => None,
            Filtered::Kept(v) => Some(v),
        })
        .collect();
    Value::Array(kept)
}
