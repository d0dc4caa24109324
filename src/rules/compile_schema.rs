//! Compiling `responseSchema` nodes (docs/rules.md, "responseSchema") and parameter schemas ("File structure").
//!
//! Keyword *names* were already checked by the raw mirror (unknown keyword = unknown key);
//! here the keyword *values* are: type names, `$ref` targets, formats, patterns.
//! `$ref` resolves to an index into the root `definitions` (only `#/definitions/Name`).

use serde_saphyr::Spanned;

use super::compile::Compiler;
use super::cql::{CqlField, CqlGrammar, CqlLimits, CqlOperator};
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

const PARAM_FORMATS: [(&str, ParamFormat); 5] = [
    ("pseudonym", ParamFormat::Pseudonym),
    ("reversible-pseudonym", ParamFormat::ReversiblePseudonym),
    ("cql", ParamFormat::Cql),
    ("cql-date", ParamFormat::CqlDate),
    ("sealed-cursor", ParamFormat::SealedCursor),
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
        let format = raw
            .format
            .as_ref()
            .and_then(|f| self.named(f, &PARAM_FORMATS, "parameter format"));
        ParamSchema {
            kind: raw
                .kind
                .as_ref()
                .and_then(|k| self.named(k, &PARAM_TYPES, "parameter type")),
            cql: self.cql_grammar(raw, format),
            format,
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

    /// The `cql` grammar of a `format: cql` parameter; the two go together.
    fn cql_grammar(
        &mut self,
        raw: &RawParamSchema,
        format: Option<ParamFormat>,
    ) -> Option<Box<CqlGrammar<ParamSchema>>> {
        let is_cql = format == Some(ParamFormat::Cql);
        let (cql, at) = match (&raw.cql, &raw.format) {
            (Some(cql), _) if is_cql => (&cql.value, cql.referenced),
            (Some(cql), _) => {
                let hint = "add `format: cql` to the parameter, or remove `cql`";
                self.error_hint(&cql.referenced, "`cql` without `format: cql`", hint);
                return None;
            }
            (None, Some(format)) if is_cql => {
                let hint = "declare the admitted fields under `cql: { fields: … }`";
                self.error_hint(
                    &format.referenced,
                    "`format: cql` without a `cql` grammar",
                    hint,
                );
                return None;
            }
            (None, _) => return None,
        };
        let mut fields = Vec::new();
        for (name, field) in &cql.fields.0 {
            let mut operators = Vec::new();
            for op in &field.operators {
                match CqlOperator::from_declaration(&op.value) {
                    Some(operator) => operators.push(operator),
                    None => self.error_hint(
                        &op.referenced,
                        format!("unknown CQL operator `{}`", op.value),
                        "one of: =, !=, >, >=, <, <=, ~, !~, in, not in",
                    ),
                }
            }
            let values = self.param_schema(&field.values);
            fields.push(CqlField {
                name: name.value.clone(),
                operators,
                values,
            });
        }
        let defaults = CqlLimits::default();
        let grammar = CqlGrammar {
            fields,
            order_by: cql.order_by.clone().unwrap_or_default(),
            limits: CqlLimits {
                max_bytes: cql.max_bytes.unwrap_or(defaults.max_bytes),
                max_depth: cql.max_depth.unwrap_or(defaults.max_depth),
            },
        };
        for problem in grammar.declaration_problems() {
            self.error_hint(
                &at,
                problem,
                "CQL names are lower case: letters, digits, `_`, `.`",
            );
        }
        Some(Box::new(grammar))
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
