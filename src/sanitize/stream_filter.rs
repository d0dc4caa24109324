//! The responseSchema filter applied while parsing (the fast path of docs/rules.md, "responseSchema").
//!
//! Same result as parsing the whole body into a `Value` and then running
//! `schema_filter::filter_document` — but a member or element the schema drops is only
//! checked for JSON validity (by serde_json's own parser, through the same `deserialize_any`
//! calls a `Value` makes) and never allocated. Most of a Confluence response is dropped
//! (names, avatars, links, expandables), so this is where the sanitizer beats its floor.
//!
//! Schemas that look at a node more than once (`anyOf`, `const`, `if`) get the node parsed
//! into a `Value` and filtered by `schema_filter`, so their semantics live in one place.
//! Duplicate keys behave as for a parsed `Value`: the last value wins, at the first key's
//! position.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::schema_filter::{self, Filtered};
use crate::rules::{Schema, SchemaType};

/// Parses one JSON value from `deserializer`, keeping what `schema` allows.
pub(super) fn filter_document<'de, D: Deserializer<'de>>(
    deserializer: D,
    schema: &Schema,
    definitions: &[(String, Schema)],
) -> Result<Value, D::Error> {
    let seed = FilterSeed {
        schema,
        defs: definitions,
    };
    Ok(seed.deserialize(deserializer)?.into_value())
}

#[derive(Clone, Copy)]
struct FilterSeed<'s> {
    schema: &'s Schema,
    defs: &'s [(String, Schema)],
}

impl<'de> DeserializeSeed<'de> for FilterSeed<'_> {
    type Value = Filtered;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Filtered, D::Error> {
        let schema = self.schema;
        if let Some(index) = schema.reference {
            return match self.defs.get(index) {
                Some((_, target)) => FilterSeed {
                    schema: target,
                    defs: self.defs,
                }
                .deserialize(deserializer),
                None => {
                    Discard::deserialize(deserializer)?;
                    Ok(Filtered::Kept(Value::Null))
                }
            };
        }
        if schema.any_of.is_some() || schema.constant.is_some() || schema.if_.is_some() {
            let node = Value::deserialize(deserializer)?;
            return Ok(schema_filter::filter(node, schema, self.defs));
        }
        deserializer.deserialize_any(NodeVisitor(self))
    }
}

/// Filters one node by the `type` of a schema without `$ref`, `anyOf`, `const` or `if`.
struct NodeVisitor<'s>(FilterSeed<'s>);

impl NodeVisitor<'_> {
    /// A scalar goes through the same code as in `schema_filter`.
    fn scalar(&self, value: Value) -> Filtered {
        match self.0.schema.kind {
            None => Filtered::Kept(value),
            Some(kind) => schema_filter::filter_typed(value, kind, self.0.schema, self.0.defs),
        }
    }

    /// Whether a string would be kept (and so is worth allocating); under any other type
    /// `filter_typed` turns a string into null.
    fn keeps_strings(&self) -> bool {
        matches!(self.0.schema.kind, None | Some(SchemaType::String))
    }
}

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = Filtered;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Bool(b)))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Number(n.into())))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Number(n.into())))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Filtered, E> {
        Ok(self.scalar(Number::from_f64(n).map_or(Value::Null, Value::Number)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Filtered, E> {
        Ok(match self.keeps_strings() {
            true => Filtered::Kept(Value::String(s.to_owned())),
            false => Filtered::Kept(Value::Null),
        })
    }

    fn visit_string<E>(self, s: String) -> Result<Filtered, E> {
        Ok(match self.keeps_strings() {
            true => Filtered::Kept(Value::String(s)),
            false => Filtered::Kept(Value::Null),
        })
    }

    fn visit_unit<E>(self) -> Result<Filtered, E> {
        Ok(self.scalar(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Filtered, A::Error> {
        if self.0.schema.kind != Some(SchemaType::Array) {
            while seq.next_element::<Discard>()?.is_some() {}
            return Ok(Filtered::Kept(Value::Null));
        }
        let empty = Schema::default();
        let items = FilterSeed {
            schema: self.0.schema.items.as_deref().unwrap_or(&empty),
            defs: self.0.defs,
        };
        let mut kept = Vec::new();
        while let Some(item) = seq.next_element_seed(items)? {
            match item {
                Filtered::Kept(Value::Null) | Filtered::ConstMismatch => {}
                Filtered::Kept(value) => kept.push(value),
            }
        }
        Ok(Filtered::Kept(Value::Array(kept)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Filtered, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(match self.0.schema.kind {
                Some(SchemaType::Object) => Filtered::Kept(Value::Object(Map::new())),
                _ => Filtered::Kept(Value::Null),
            });
        };
        // A number serde_json keeps as its literal (a float, or an integer beyond 64
        // bits) arrives as a one-entry map under serde_json's private key.
        if first == NUMBER_TOKEN {
            let literal: String = map.next_value()?;
            let number = literal.parse::<Number>().map_err(de::Error::custom)?;
            return Ok(self.scalar(Value::Number(number)));
        }
        if self.0.schema.kind != Some(SchemaType::Object) {
            map.next_value::<Discard>()?;
            while map.next_entry::<Discard, Discard>()?.is_some() {}
            return Ok(Filtered::Kept(Value::Null));
        }
        let properties = self.0.schema.properties.as_deref().unwrap_or(&[]);
        // At most every property is kept: sized once, no regrowth. No key passes unnamed,
        // not even Psoxy's `+`-prefixed ones (docs/rules.md, "Differences from Psoxy").
        let mut out = Map::with_capacity(properties.len());
        // Keys whose (last) value was a `const` mismatch; their slot in `out` is held by a
        // placeholder so that a later duplicate lands at the first position.
        let mut mismatched: Vec<String> = Vec::new();
        let mut next = Some(first);
        while let Some(key) = next.take() {
            let Some((_, schema)) = properties.iter().find(|(name, _)| *name == *key) else {
                map.next_value::<Discard>()?;
                next = map.next_key_seed(KeySeed)?;
                continue;
            };
            let seed = FilterSeed {
                schema,
                defs: self.0.defs,
            };
            let value = match map.next_value_seed(seed)? {
                Filtered::Kept(value) => {
                    mismatched.retain(|k| *k != *key);
                    value
                }
                Filtered::ConstMismatch => {
                    if !mismatched.iter().any(|k| *k == *key) {
                        mismatched.push(key.clone().into_owned());
                    }
                    Value::Null
                }
            };
            out.insert(key.into_owned(), value);
            next = map.next_key_seed(KeySeed)?;
        }
        Ok(match mismatched.is_empty() {
            true => Filtered::Kept(Value::Object(out)),
            false => Filtered::ConstMismatch,
        })
    }
}

/// The key serde_json's `arbitrary_precision` uses to hand a number over as its literal.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// An object key, borrowed from the body when it has no escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(KeySeed)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s))
    }
}

/// A value that is parsed (and so validated exactly as for a `Value`) but not kept.
struct Discard;

impl<'de> Deserialize<'de> for Discard {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Discard, D::Error> {
        deserializer.deserialize_any(Discard)
    }
}

impl<'de> Visitor<'de> for Discard {
    type Value = Discard;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_str<E>(self, _: &str) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_unit<E>(self) -> Result<Discard, E> {
        Ok(Discard)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Discard, A::Error> {
        while seq.next_element::<Discard>()?.is_some() {}
        Ok(Discard)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Discard, A::Error> {
        while map.next_entry::<Discard, Discard>()?.is_some() {}
        Ok(Discard)
    }
}
