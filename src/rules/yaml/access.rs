//! The access types `NodeDe` hands to visitors: sequences, mappings, structs (with
//! unknown-key reporting), enum variants and serde-saphyr's `Spanned` protocol.
//!
//! Invariant: entries and items pruned in an earlier pass are skipped here, before any
//! visitor sees them; a skipped mapping entry is noted as damage for `compile`.

use serde::de::value::{StrDeserializer, UnitDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde_saphyr::Location;

use super::Node;
use super::de::NodeDe;
use super::de_error::DeError;
use crate::rules::diagnostics::did_you_mean;

pub(crate) struct SeqAcc<'a> {
    de: NodeDe<'a>,
    items: std::slice::Iter<'a, Node>,
}

impl<'a> SeqAcc<'a> {
    pub(crate) fn new(de: NodeDe<'a>, items: &'a [Node]) -> SeqAcc<'a> {
        SeqAcc {
            de,
            items: items.iter(),
        }
    }
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.by_ref().find(|item| !self.de.cx.is_pruned(item)) {
            Some(item) => seed.deserialize(self.de.item(item)).map(Some),
            None => Ok(None),
        }
    }
}

/// A mapping read as a map (`OrderedMap`, JSON values): keys are nodes too.
pub(crate) struct MapAcc<'a> {
    de: NodeDe<'a>,
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'a> MapAcc<'a> {
    pub(crate) fn new(de: NodeDe<'a>, entries: &'a [(Node, Node)]) -> MapAcc<'a> {
        MapAcc {
            de,
            entries: entries.iter(),
            value: None,
        }
    }
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (key, value) in self.entries.by_ref() {
            let cx = self.de.cx;
            if cx.is_pruned(key) || cx.is_pruned(value) {
                cx.note_damage(self.de.node, key);
                continue;
            }
            self.value = Some(value);
            return seed.deserialize(self.de.child(key)).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(self.de.child(value)),
            None => Err(de::Error::custom("value requested before key")),
        }
    }
}

/// A mapping read as a struct: only known keys reach the visitor; unknown ones are
/// reported here and skipped, so one typo does not hide the rest of the file.
pub(crate) struct StructAcc<'a> {
    de: NodeDe<'a>,
    name: &'static str,
    fields: &'static [&'static str],
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<(&'a Node, &'static str)>,
}

impl<'a> StructAcc<'a> {
    pub(crate) fn new(
        de: NodeDe<'a>,
        name: &'static str,
        fields: &'static [&'static str],
        entries: &'a [(Node, Node)],
    ) -> StructAcc<'a> {
        StructAcc {
            de,
            name,
            fields,
            entries: entries.iter(),
            value: None,
        }
    }

    fn report_unknown(&self, key: &Node, text: &str) {
        let de = self.de.child(key);
        let label = self.de.label(self.name);
        if text == "augments" {
            // Psoxy's response augments add `+`-prefixed keys that its schemas let pass
            // by name — which lets an upstream key of that shape pass too. Unsupported,
            // and said so rather than skipped (docs/rules.md, "Differences from Psoxy").
            let problem = de
                .problem(format!(
                    "`augments` in {label} is not supported: pseudoproxy adds no keys to responses, and no key passes a schema unless the rules name it"
                ))
                .with_hint(Some(
                    "remove `augments`; derive what you need in the analytics platform".to_owned(),
                ));
            self.de.cx.record(None, Some(problem));
            return;
        }
        let hint = if text == "method" && self.de.variant.is_some() {
            Some("the kind is already given by the tag; remove `method`".to_owned())
        } else {
            did_you_mean(text, self.fields.iter().copied())
                .or_else(|| Some(format!("allowed keys: {}", self.fields.join(", "))))
        };
        let problem = de
            .problem(format!("unknown key `{text}` in {label}"))
            .with_hint(hint);
        self.de.cx.record(None, Some(problem));
    }
}

impl<'de> de::MapAccess<'de> for StructAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let cx = self.de.cx;
        while let Some((key, value)) = self.entries.next() {
            if cx.is_pruned(key) || cx.is_pruned(value) {
                cx.note_damage(self.de.node, key);
                continue;
            }
            let text = key.scalar_text(cx.src).unwrap_or_default();
            if text == "method" && self.de.variant.is_some_and(|v| v.via_method) {
                continue;
            }
            let Some(field) = self.fields.iter().copied().find(|f| *f == text) else {
                self.report_unknown(key, &text);
                continue;
            };
            self.value = Some((value, field));
            return seed
                .deserialize(StrDeserializer::<DeError>::new(field))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some((value, field)) => seed.deserialize(self.de.field(value, field)),
            None => Err(de::Error::custom("value requested before key")),
        }
    }
}

/// The content of a transform whose kind `NodeDe::deserialize_enum` already chose.
pub(crate) struct EnumAcc<'a>(pub NodeDe<'a>);

impl<'de, 'a> de::EnumAccess<'de> for EnumAcc<'a> {
    type Error = DeError;
    type Variant = NodeDe<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'a>), DeError> {
        let name = self.0.variant.map_or("", |v| v.name);
        let value = seed.deserialize(StrDeserializer::<DeError>::new(name))?;
        Ok((value, self.0))
    }
}

impl<'de> de::VariantAccess<'de> for NodeDe<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_struct("", fields, visitor)
    }
}

/// Answers `serde_saphyr::Spanned`'s request with the synthetic mapping it expects:
/// its private marker key first, then `value`, `referenced` and `defined`.
pub(crate) struct SpannedDe<'a>(pub NodeDe<'a>);

const SPANNED_KEYS: [&str; 4] = [
    "__serde_saphyr_private_spanned",
    "value",
    "referenced",
    "defined",
];

impl<'de> Deserializer<'de> for SpannedDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(SpannedAcc {
            de: self.0,
            next: 0,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct SpannedAcc<'a> {
    de: NodeDe<'a>,
    next: usize,
}

impl<'de> de::MapAccess<'de> for SpannedAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match SPANNED_KEYS.get(self.next) {
            Some(key) => seed
                .deserialize(StrDeserializer::<DeError>::new(key))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.next;
        self.next += 1;
        match step {
            0 => seed.deserialize(UnitDeserializer::<DeError>::new()),
            1 => seed.deserialize(self.de),
            2 => seed
                .deserialize(location_value(&self.de.node.at))
                .map_err(de::Error::custom),
            _ => seed
                .deserialize(location_value(&self.de.node.defined))
                .map_err(de::Error::custom),
        }
    }
}

/// A location as the mapping `serde_saphyr::Location` deserializes from.
fn location_value(location: &Location) -> serde_json::Value {
    let span = location.span();
    let unknown = u64::from(u32::MAX);
    serde_json::json!({
        "line": location.line(),
        "column": location.column(),
        "span": {
            "offset": span.offset(),
            "len": span.len(),
            "byte_info": [span.byte_offset().unwrap_or(unknown), span.byte_len().unwrap_or(unknown)],
        },
    })
}
