//! Documents shaped by an endpoint's responseSchema, with a unique canary string in every
//! string position — schema leaves, array elements, nested objects, and extra fields the
//! schema does not know — each canary remembering where it was put.
//!
//! Reusable by any test that pushes generated upstream responses through the sanitizer
//! (directly, or through the proxy to check headers, error bodies and logs too): build a
//! strategy with [`document`], then [`Gen::realize`] a generated tree into a JSON value
//! plus its canaries. Shapes follow the schema independently of the linter (only the
//! leaf-path notation and the recursion bound are shared), so the linter's answers can be
//! checked against them.

use std::fmt;

use proptest::prelude::*;
use serde_json::{Map, Value};

use pseudoproxy::lint::{LeafPath, MAX_REF_REPEAT, SchemaStep};
use pseudoproxy::rules::{RuleSet, Schema, SchemaType};

/// Where a canary was put.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// At a scalar position of the schema (the linter has a leaf for it).
    Leaf(LeafPath),
    /// Somewhere the schema does not keep: an unknown field, or a value of the wrong type
    /// (an object where a string belongs), under the given position.
    Extra(LeafPath),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Leaf(p) => write!(f, "leaf {p}"),
            Origin::Extra(p) => write!(f, "an unknown or mistyped value under {p}"),
        }
    }
}

/// A generated document before canaries are numbered (shrinks structurally).
#[derive(Debug, Clone)]
pub(crate) enum Gen {
    Canary { origin: Origin, email: bool },
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
    Const(Value),
    Object(Vec<(String, Gen)>),
    Array(Vec<Gen>),
}

/// A realized document and every canary in it.
#[derive(Debug)]
pub(crate) struct Generated {
    pub value: Value,
    pub canaries: Vec<(String, Origin)>,
}

impl Gen {
    /// Number the canaries (`zq00001qz`, or `zq00002qz@canary.example` for email-shaped
    /// ones) and build the JSON value. Canaries are unique and none contains another.
    pub(crate) fn realize(&self) -> Generated {
        let mut canaries = Vec::new();
        let value = self.build(&mut canaries);
        Generated { value, canaries }
    }

    fn build(&self, canaries: &mut Vec<(String, Origin)>) -> Value {
        match self {
            Gen::Canary { origin, email } => {
                let token = format!("zq{:05}qz", canaries.len() + 1);
                canaries.push((token.clone(), origin.clone()));
                Value::from(match email {
                    true => format!("{token}@canary.example"),
                    false => token,
                })
            }
            Gen::Int(i) => Value::from(*i),
            Gen::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Gen::Bool(b) => Value::Bool(*b),
            Gen::Null => Value::Null,
            Gen::Const(v) => v.clone(),
            Gen::Object(fields) => {
                let mut map = Map::new();
                for (key, value) in fields {
                    map.insert(key.clone(), value.build(canaries));
                }
                Value::Object(map)
            }
            Gen::Array(items) => Value::Array(items.iter().map(|i| i.build(canaries)).collect()),
        }
    }
}

/// Forms of a value the schema does not keep.
#[derive(Debug, Clone, Copy)]
enum Form {
    Bare,
    Object,
    Array,
}

const ALL_FORMS: &[Form] = &[Form::Bare, Form::Object, Form::Array];

/// Keys added to objects that do not list them: personal-sounding on purpose.
const EXTRA_KEYS: &[&str] = &[
    "email",
    "displayName",
    "publicName",
    "accountId",
    "self",
    "body",
    "secret",
    "x-new",
];

/// Documents for an endpoint's responseSchema (`None`: anything at all, all unknown).
pub(crate) fn document(rules: &RuleSet, schema: Option<&Schema>) -> BoxedStrategy<Gen> {
    let builder = Builder {
        definitions: &rules.definitions,
    };
    match schema {
        Some(schema) => builder.node(schema, LeafPath::default(), &mut Vec::new()),
        None => builder.extra_value(LeafPath::default(), ALL_FORMS),
    }
}

struct Builder<'r> {
    definitions: &'r [(String, Schema)],
}

fn step(path: &LeafPath, step: SchemaStep) -> LeafPath {
    let mut steps = path.0.clone();
    steps.push(step);
    LeafPath(steps)
}

fn canary(origin: Origin) -> BoxedStrategy<Gen> {
    any::<bool>()
        .prop_map(move |email| Gen::Canary {
            origin: origin.clone(),
            email,
        })
        .boxed()
}

impl Builder<'_> {
    /// The filter's keyword order: `$ref`, `anyOf`, `const`, `if`, `type`.
    fn node(&self, schema: &Schema, path: LeafPath, refs: &mut Vec<usize>) -> BoxedStrategy<Gen> {
        if let Some(index) = schema.reference {
            let repeated = refs.iter().filter(|&&r| r == index).count() >= MAX_REF_REPEAT;
            let Some((_, target)) = self.definitions.get(index).filter(|_| !repeated) else {
                return Just(Gen::Null).boxed();
            };
            refs.push(index);
            let strategy = self.node(target, path, refs);
            refs.pop();
            return strategy;
        }
        if let Some(candidates) = &schema.any_of {
            let options: Vec<_> = candidates
                .iter()
                .map(|c| self.node(c, path.clone(), refs))
                .collect();
            return match options.is_empty() {
                true => Just(Gen::Null).boxed(),
                false => proptest::strategy::Union::new(options).boxed(),
            };
        }
        if let Some(constant) = &schema.constant {
            return prop_oneof![
                Just(Gen::Const(constant.clone())),
                canary(Origin::Leaf(path))
            ]
            .boxed();
        }
        if schema.if_.is_some() {
            let mut branch = |b: &Option<Box<Schema>>| match b {
                Some(b) => self.node(b, path.clone(), refs),
                None => self.typed(schema, path.clone(), refs),
            };
            let (then, otherwise) = (branch(&schema.then), branch(&schema.else_));
            return prop_oneof![then, otherwise].boxed();
        }
        self.typed(schema, path, refs)
    }

    fn typed(&self, schema: &Schema, path: LeafPath, refs: &mut Vec<usize>) -> BoxedStrategy<Gen> {
        // A value of the wrong type, which the schema turns into null: no string where
        // strings are kept, no object where objects are.
        let wrong = || self.extra_value(path.clone(), ALL_FORMS);
        let wrong_container = || self.extra_value(path.clone(), &[Form::Object, Form::Array]);
        match schema.kind {
            None => prop_oneof![
                3 => canary(Origin::Leaf(path.clone())),
                1 => any::<i32>().prop_map(|i| Gen::Int(i.into())),
                1 => wrong_container(),
            ]
            .boxed(),
            Some(SchemaType::String) => prop_oneof![
                8 => canary(Origin::Leaf(path.clone())),
                1 => Just(Gen::Null),
                1 => wrong_container(),
            ]
            .boxed(),
            Some(SchemaType::Integer | SchemaType::Number) => prop_oneof![
                4 => any::<i32>().prop_map(|i| Gen::Int(i.into())),
                1 => (-1.0e6..1.0e6f64).prop_map(Gen::Num),
                1 => wrong(),
            ]
            .boxed(),
            Some(SchemaType::Boolean) => prop_oneof![
                4 => any::<bool>().prop_map(Gen::Bool),
                1 => Just(Gen::Null),
                1 => wrong(),
            ]
            .boxed(),
            Some(SchemaType::Null) => canary(Origin::Leaf(path)),
            Some(SchemaType::Object) => {
                let wrong = self.extra_value(path.clone(), &[Form::Bare, Form::Array]);
                prop_oneof![9 => self.object(schema, &path, refs), 1 => wrong].boxed()
            }
            Some(SchemaType::Array) => {
                let empty = Schema::default();
                let items = schema.items.as_deref().unwrap_or(&empty);
                let item = self.node(items, step(&path, SchemaStep::Item), refs);
                let array = prop::collection::vec(item, 0..4).prop_map(Gen::Array);
                let wrong = self.extra_value(path.clone(), &[Form::Bare, Form::Object]);
                prop_oneof![9 => array, 1 => wrong].boxed()
            }
        }
    }

    /// The listed properties (each present most of the time) and up to two unknown ones.
    fn object(
        &self,
        schema: &Schema,
        path: &LeafPath,
        refs: &mut Vec<usize>,
    ) -> BoxedStrategy<Gen> {
        let properties = schema.properties.as_deref().unwrap_or(&[]);
        let known: Vec<BoxedStrategy<Option<(String, Gen)>>> = properties
            .iter()
            .map(|(name, property)| {
                let name = name.clone();
                let value = self.node(property, step(path, SchemaStep::Key(name.clone())), refs);
                prop::option::weighted(0.85, value.prop_map(move |v| (name.clone(), v))).boxed()
            })
            .collect();
        let free: Vec<&str> = EXTRA_KEYS
            .iter()
            .copied()
            .filter(|k| properties.iter().all(|(name, _)| name != k))
            .collect();
        let extras = match free.is_empty() {
            true => Just(Vec::new()).boxed(),
            false => {
                let extra = (
                    prop::sample::select(free),
                    self.extra_value(path.clone(), ALL_FORMS),
                )
                    .prop_map(|(k, v)| (k.to_owned(), v));
                prop::collection::vec(extra, 0..3).boxed()
            }
        };
        (known, extras)
            .prop_map(|(known, extra)| {
                Gen::Object(known.into_iter().flatten().chain(extra).collect())
            })
            .boxed()
    }

    /// A value the schema does not keep at `path`, of the given forms: the canary string
    /// itself, a canary in an object, a canary in an array.
    fn extra_value(&self, path: LeafPath, forms: &[Form]) -> BoxedStrategy<Gen> {
        let leaf = canary(Origin::Extra(path));
        let options: Vec<BoxedStrategy<Gen>> = forms
            .iter()
            .map(|form| match form {
                Form::Bare => leaf.clone(),
                Form::Object => leaf
                    .clone()
                    .prop_map(|c| Gen::Object(vec![("name".into(), c)]))
                    .boxed(),
                Form::Array => prop::collection::vec(leaf.clone(), 1..3)
                    .prop_map(Gen::Array)
                    .boxed(),
            })
            .collect();
        proptest::strategy::Union::new(options).boxed()
    }
}
