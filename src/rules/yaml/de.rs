//! A serde `Deserializer` over the located node tree, feeding the raw mirror.
//!
//! What it adds over deserializing the text directly:
//! - every error is *located* at the node it concerns and recorded in the pass context
//!   (see `recover`), so the caller can prune that node and go on;
//! - unknown keys of a struct are reported (with a did-you-mean hint) and skipped, so they
//!   never stop deserialization — `deny_unknown_fields` stays as a second line of defence;
//! - enums (transforms) take their variant from a YAML tag in any spelling (`!<redact>`,
//!   `!redact`) or from a `method:` key;
//! - `serde_saphyr::Spanned` gets its location through serde-saphyr's span protocol
//!   (a test checks it against serde-saphyr's own deserializer).
//!
//! Invariant: an error leaving a `NodeDe` method is always `DeError::Reported`
//! (see `de_error`).

use serde::de::{self, Deserializer, Unexpected, Visitor};

use super::access::{EnumAcc, MapAcc, SeqAcc, SpannedDe, StructAcc};
use super::de_error::{DeError, describe};
use super::recover::Ctx;
use super::{Node, Value, tag_position};
use crate::rules::diagnostics::{Problem, did_you_mean};

/// The newtype name through which `serde_saphyr::Spanned` asks for a location.
pub(crate) const SPANNED_NEWTYPE: &str = "__yaml_spanned";

/// The kind of transform already chosen for a node (by tag or `method:`), so its content
/// is read as that variant's options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Variant {
    pub name: &'static str,
    /// `method:` selected it, so that key is not an option.
    pub via_method: bool,
    /// The enum's name for messages ("transform").
    pub of: &'static str,
}

/// Which key a value belongs to, to name it in type errors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Context {
    /// The value of a struct key.
    Field(&'static str),
    /// An item of a sequence that is the value of this key.
    Item(&'static str),
}

#[derive(Clone, Copy)]
pub(crate) struct NodeDe<'a> {
    pub node: &'a Node,
    pub cx: &'a Ctx<'a>,
    pub variant: Option<Variant>,
    pub context: Option<Context>,
}

impl<'a> NodeDe<'a> {
    pub(crate) fn new(node: &'a Node, cx: &'a Ctx<'a>) -> NodeDe<'a> {
        NodeDe {
            node,
            cx,
            variant: None,
            context: None,
        }
    }

    pub(crate) fn child(&self, node: &'a Node) -> NodeDe<'a> {
        NodeDe {
            node,
            cx: self.cx,
            variant: None,
            context: None,
        }
    }

    /// The value of struct key `field`.
    pub(crate) fn field(&self, node: &'a Node, field: &'static str) -> NodeDe<'a> {
        NodeDe {
            context: Some(Context::Field(field)),
            ..self.child(node)
        }
    }

    /// An item of this sequence.
    pub(crate) fn item(&self, node: &'a Node) -> NodeDe<'a> {
        let context = match self.context {
            Some(Context::Field(f) | Context::Item(f)) => Some(Context::Item(f)),
            None => None,
        };
        NodeDe {
            context,
            ..self.child(node)
        }
    }

    pub(crate) fn problem(&self, message: impl Into<String>) -> Problem {
        Problem::new(self.node.at.line(), self.node.at.column(), message)
    }

    /// Records `problem` against this node (to be pruned) and fails.
    pub(crate) fn fail<T>(&self, problem: Problem) -> Result<T, DeError> {
        self.cx.record(Some(self.node), Some(problem));
        Err(DeError::Reported)
    }

    /// Locates a visitor's error at this node. A missing key whose value was pruned is
    /// a consequence, not a new problem: the node is pruned silently.
    fn located<T>(&self, result: Result<T, DeError>) -> Result<T, DeError> {
        match result {
            Err(DeError::Pending {
                message,
                missing_field,
            }) => {
                let pruned_field = missing_field
                    .and_then(|f| self.node.entry(f, self.cx.src))
                    .is_some_and(|(k, v)| self.cx.is_pruned(k) || self.cx.is_pruned(v));
                if pruned_field {
                    self.cx.record(Some(self.node), None);
                    return Err(DeError::Reported);
                }
                let message = match self.context {
                    Some(Context::Field(f)) if message.starts_with("expected ") => {
                        format!("`{f}`: {message}")
                    }
                    Some(Context::Item(f)) if message.starts_with("expected ") => {
                        format!("`{f}` item: {message}")
                    }
                    _ => message,
                };
                self.fail(self.problem(message))
            }
            other => other,
        }
    }

    /// Tags only select transform kinds; anywhere else an application tag is a mistake.
    fn check_tag(&self) -> Result<(), DeError> {
        match (self.variant, self.node.app_tag()) {
            (None, Some(tag)) => {
                let spelled = spell_tag(tag);
                let (line, column) = tag_position(self.cx.src, self.node, &spelled);
                self.fail(
                    Problem::new(line, column, format!("unexpected tag `{spelled}`")).with_hint(
                        Some("tags only select the kind of an item of `transforms`".to_owned()),
                    ),
                )
            }
            _ => Ok(()),
        }
    }

    fn unexpected(&self) -> Unexpected<'a> {
        match &self.node.value {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Int(i) => Unexpected::Signed(*i),
            Value::UInt(u) => Unexpected::Unsigned(*u),
            Value::Float(f) => Unexpected::Float(*f),
            Value::Str(s) => Unexpected::Str(s),
            Value::Seq(_) => Unexpected::Seq,
            Value::Map(_) => Unexpected::Map,
        }
    }

    /// "endpoint", or "transform `redact`" for the options of a chosen variant.
    pub(crate) fn label(&self, name: &str) -> String {
        match self.variant {
            Some(v) => format!("{} `{}`", v.of, v.name),
            None => name.to_owned(),
        }
    }

    /// The variant named by this node's tag or `method:` key, as `(name, how it was
    /// written, where, via_method)`.
    fn variant_selector(&self, of: &str) -> Result<(String, String, Problem, bool), DeError> {
        if let Some(tag) = self.node.app_tag() {
            let spelled = spell_tag(tag);
            let (line, column) = tag_position(self.cx.src, self.node, &spelled);
            let name = tag.trim_start_matches('!').to_owned();
            return Ok((
                name,
                format!("tag `{spelled}`"),
                Problem::new(line, column, ""),
                false,
            ));
        }
        if let Some((_, method)) = self.node.entry("method", self.cx.src) {
            let name = method
                .scalar_text(self.cx.src)
                .map(|t| t.into_owned())
                .unwrap_or_default();
            let at = self.child(method).problem("");
            return Ok((name.clone(), format!("method `{name}`"), at, true));
        }
        self.fail(
            self.problem(format!("{of} has no kind")).with_hint(Some(
                "start it with a tag such as `- !<redact>`, or add a key such as `method: redact`"
                    .to_owned(),
            )),
        )
    }
}

/// How a resolved tag was written: `!redact` stays, a verbatim tag gets its brackets back.
fn spell_tag(tag: &str) -> String {
    if tag.starts_with('!') {
        tag.to_owned()
    } else {
        format!("!<{tag}>")
    }
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.check_tag()?;
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::UInt(u) => visitor.visit_u64(*u),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqAcc::new(self, items)),
            Value::Map(entries) => visitor.visit_map(MapAcc::new(self, entries)),
        };
        self.located(result)
    }

    /// Scalars of any type read as their source text when a string is wanted (`12`).
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.check_tag()?;
        let result = match self.node.scalar_text(self.cx.src) {
            Some(text) if !self.node.is_null() => visitor.visit_str(&text),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        };
        self.located(result)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            self.check_tag()?;
            return visitor.visit_none();
        }
        let result = visitor.visit_some(self);
        self.located(result)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = if name == SPANNED_NEWTYPE {
            visitor.visit_newtype_struct(SpannedDe(self))
        } else {
            visitor.visit_newtype_struct(self)
        };
        self.located(result)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.check_tag()?;
        let entries: &[(Node, Node)] = match &self.node.value {
            Value::Map(entries) => entries,
            // `- !<redact>` with nothing under it: an empty mapping, so the message is
            // about the missing `jsonPaths` rather than about null.
            Value::Null => &[],
            _ => {
                let found = describe(&self.unexpected());
                let label = self.label(name);
                let result = Err(de::Error::custom(format!(
                    "expected a mapping for {label}, found {found}"
                )));
                return self.located(result);
            }
        };
        let result = visitor.visit_map(StructAcc::new(self, name, fields, entries));
        // Say whose key is missing: "in transform `pseudonymizeRegexMatches`".
        let result = result.map_err(|e| match e {
            DeError::Pending {
                message,
                missing_field: Some(field),
            } => DeError::Pending {
                message: format!("{message} in {}", self.label(name)),
                missing_field: Some(field),
            },
            other => other,
        });
        self.located(result)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (kind, written, at, via_method) = self.variant_selector(name)?;
        let Some(&chosen) = variants.iter().find(|v| **v == kind) else {
            let hint = did_you_mean(&kind, variants.iter().copied())
                .unwrap_or_else(|| format!("known kinds: {}", variants.join(", ")));
            let problem = Problem::new(at.line, at.column, format!("unknown {name} {written}"));
            return self.fail(problem.with_hint(Some(hint)));
        };
        let content = NodeDe {
            variant: Some(Variant {
                name: chosen,
                via_method,
                of: name,
            }),
            ..self
        };
        let result = visitor.visit_enum(EnumAcc(content));
        self.located(result)
    }

    /// Ignored keys are not looked into: whatever they hold is fine.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 bytes byte_buf unit unit_struct
        seq tuple tuple_struct map
    }
}
