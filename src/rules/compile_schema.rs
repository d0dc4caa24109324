//! Compiling `responseSchema` nodes (docs/rules.md, "responseSchema") and parameter schemas ("File structure").
//!
//! Keyword *names* were already checked by the raw mirror (unknown keyword = unknown key);
//! here the keyword *values* are: type names, `$ref` targets, formats, patterns.
//! `$ref` resolves to an index into the root `definitions` (only `#/definitions/Name`).

use serde_saphyr::Spanned;

use super::compile::Compiler;
use super::diagnostics::{Problem, did_you_mean};
use super::java_regex::Shape;
use super::model::{ParamFormat, ParamSchema, ParamType, Schema, SchemaType};
use super::raw::{RawParamSchema, RawSchema};

const DEFINITIONS_PREFIX: &str = "#/definitions/";

const SCHEMA_TYPES: [(&str, SchemaType); 7] = [
    ("string", SchemaType::String),
    ("integer", SchemaType::Integer),
    ("number", SchemaType::Number),
    ("boolean", SchemaType::Boolean),
    ("object", SchemaType::Object),
    ("array", SchemaType::Array),
    ("null", SchemaType::Null),
];

const PARAM_TYPES: [(&str, ParamType); 3] = [
    ("string", ParamType::String),
    ("integer", ParamType::Integer),
    ("number", ParamType::Number),
];

const PARAM_FORMATS: [(&str, ParamFormat); 2] = [
    ("pseudonym", ParamFormat::Pseudonym),
    ("reversible-pseudonym", ParamFormat::ReversiblePseudonym),
];

impl Compiler<'_> {
    pub(crate) fn schema(&mut self, raw: &RawSchema) -> Schema {
        let boxed = |cx: &mut Self, s: &Option<Box<RawSchema>>| {
            s.as_deref().map(|s| Box::new(cx.schema(s)))
        };
        Schema {
            reference: raw.reference.as_ref().and_then(|r| self.reference(r)),
            any_of: raw
                .any_of
                .as_ref()
                .map(|all| all.iter().map(|s| self.schema(s)).collect()),
            kind: raw
                .kind
                .as_ref()
                .and_then(|k| self.named(k, &SCHEMA_TYPES, "schema type")),
            properties: raw.properties.as_ref().map(|props| {
                props
                    .0
                    .iter()
                    .map(|(name, s)| (name.value.clone(), self.schema(s)))
                    .collect()
            }),
            items: boxed(self, &raw.items),
            if_: boxed(self, &raw.if_),
            then: boxed(self, &raw.then),
            else_: boxed(self, &raw.else_),
            constant: raw.constant.clone(),
        }
    }

    /// `#/definitions/Name` → index of `Name`. A name whose definition was pruned by the
    /// lenient deserializer was already reported; it is not reported again as missing.
    fn reference(&mut self, text: &Spanned<String>) -> Option<usize> {
        let Some(name) = text.value.strip_prefix(DEFINITIONS_PREFIX) else {
            let problem = Problem::new(
                text.referenced.line(),
                text.referenced.column(),
                format!("unsupported `$ref` `{}`", text.value),
            );
            let hint = "only references to root definitions work: `#/definitions/Name`";
            self.problems.push(problem.with_hint(Some(hint.to_owned())));
            return None;
        };
        if let Some(index) = self.definition_names.iter().position(|d| d == name) {
            return Some(index);
        }
        let pruned = self.damage.has(&self.root_at, "definitions")
            || self
                .definitions_at
                .is_some_and(|at| self.damage.has(&at, name));
        if !pruned {
            let hint = did_you_mean(name, self.definition_names.iter().map(String::as_str))
                .unwrap_or_else(|| match self.definition_names.is_empty() {
                    true => "the file has no `definitions`".to_owned(),
                    false => format!("definitions: {}", self.definition_names.join(", ")),
                });
            let message = format!("`$ref` to missing definition `{name}`");
            self.error_hint(&text.referenced, message, &hint);
        }
        None
    }

    pub(crate) fn param_schema(&mut self, raw: &RawParamSchema) -> ParamSchema {
        ParamSchema {
            kind: raw
                .kind
                .as_ref()
                .and_then(|k| self.named(k, &PARAM_TYPES, "parameter type")),
            format: raw
                .format
                .as_ref()
                .and_then(|f| self.named(f, &PARAM_FORMATS, "parameter format")),
            pattern: raw
                .pattern
                .as_ref()
                .and_then(|p| self.regex(p, Shape::Full, "pattern")),
            enumeration: raw.enumeration.clone(),
            any_of: raw
                .any_of
                .iter()
                .flatten()
                .map(|s| self.param_schema(s))
                .collect(),
            required: raw.required.unwrap_or(false),
        }
    }

    /// Looks `text` up in a table of names, reporting an unknown one with a suggestion.
    pub(crate) fn named<T: Copy>(
        &mut self,
        text: &Spanned<String>,
        table: &[(&str, T)],
        what: &str,
    ) -> Option<T> {
        if let Some((_, value)) = table.iter().find(|(name, _)| *name == text.value) {
            return Some(*value);
        }
        let names = table.iter().map(|(name, _)| *name);
        let hint = did_you_mean(&text.value, names.clone())
            .unwrap_or_else(|| format!("one of: {}", names.collect::<Vec<_>>().join(", ")));
        self.error_hint(
            &text.referenced,
            format!("unknown {what} `{}`", text.value),
            &hint,
        );
        None
    }
}
