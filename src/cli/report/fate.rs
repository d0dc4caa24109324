//! What happened to each value of one example response: the original and the sanitized
//! document walked side by side, each value given a [`Fate`], as aligned rows.
//!
//! PURE. Three documents go in: the original, the original after the responseSchema
//! filter alone (`sanitize::filter_by_schema`) and the sanitizer's output. A value the
//! filter removed was dropped by the schema; one the output lacks was redacted (when a
//! `redact` reaches it) or dropped; one that differs was changed by the strongest
//! transform the linter says reaches it (`Applied`), or by no transform at all (a schema
//! coercion: "rewritten"). Which transforms reach a value comes from the
//! linter's leaf table, so the colours here and in the field table agree.
//!
//! Arrays are paired by index; a transform that removes array elements (a `redact`
//! through a filter) shifts the pairing after it. That only affects colours, never what
//! the output side shows: it is always the sanitizer's own output.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Cell, Fate, Row};
use crate::lint::{Applied, EndpointReport, LeafClass, LeafPath, SchemaStep};

/// Rows and the original's values per fate, accumulated over the documents of a body.
#[derive(Debug, Default)]
pub(super) struct Aligned {
    pub rows: Vec<Row>,
    pub tally: BTreeMap<Fate, usize>,
}

impl Aligned {
    /// Add one top-level document: `original`, `filtered` (the original through the
    /// schema filter only) and `sanitized` (`None` when the output has fewer documents).
    pub(super) fn add(
        &mut self,
        endpoint: &EndpointReport,
        original: Option<&Value>,
        filtered: Option<&Value>,
        sanitized: Option<&Value>,
    ) {
        if !self.rows.is_empty() {
            self.rows.push(Row {
                depth: 0,
                left: None,
                right: None,
            });
        }
        let mut walker = Walker {
            endpoint,
            aligned: self,
            path: Vec::new(),
        };
        let slot = Slot {
            key: None,
            comma_left: false,
            comma_right: false,
        };
        walker.member(0, &slot, original, filtered, sanitized);
    }

    /// The tally in [`Fate::ALL`] order, zeros left out.
    pub(super) fn tally(&self) -> Vec<(Fate, usize)> {
        Fate::ALL
            .into_iter()
            .filter_map(|f| self.tally.get(&f).map(|n| (f, *n)))
            .collect()
    }
}

/// Where a member sits: its key inside an object, and whether a sibling follows it on
/// each side (its comma).
struct Slot {
    key: Option<String>,
    comma_left: bool,
    comma_right: bool,
}

struct Walker<'a, 'b> {
    endpoint: &'a EndpointReport,
    aligned: &'b mut Aligned,
    /// The schema position of the current value (`[*]` for any array element).
    path: Vec<SchemaStep>,
}

impl<'a> Walker<'a, '_> {
    fn member(
        &mut self,
        depth: usize,
        slot: &Slot,
        original: Option<&Value>,
        filtered: Option<&Value>,
        sanitized: Option<&Value>,
    ) {
        match (original, sanitized) {
            (Some(o), Some(s)) if same_container(o, s) => {
                self.containers(depth, slot, o, filtered, s);
            }
            (Some(o), _) if is_container(o) => {
                let fate = self.container_fate(o, filtered, sanitized);
                self.one_side(depth, slot, o, fate, true, sanitized);
            }
            (Some(o), _) => {
                let fate = self.scalar_fate(o, filtered, sanitized);
                *self.aligned.tally.entry(fate).or_default() += 1;
                let cell = |v: &Value, comma: bool| Cell {
                    key: quoted_key(slot),
                    text: v.to_string(),
                    fate: Some(fate),
                    comma,
                };
                self.aligned.rows.push(Row {
                    depth,
                    left: Some(cell(o, slot.comma_left)),
                    right: sanitized.map(|s| cell(s, slot.comma_right)),
                });
            }
            (None, Some(s)) => self.one_side(depth, slot, s, Fate::Rewritten, false, None),
            (None, None) => {}
        }
    }

    /// Both sides hold the same kind of container: open, the members paired, close.
    fn containers(
        &mut self,
        depth: usize,
        slot: &Slot,
        original: &Value,
        filtered: Option<&Value>,
        sanitized: &Value,
    ) {
        let (open, close) = brackets(original);
        let bracket = |text: &str, comma: bool| Cell {
            key: None,
            text: text.to_owned(),
            fate: None,
            comma,
        };
        self.aligned.rows.push(Row {
            depth,
            left: Some(Cell {
                key: quoted_key(slot),
                ..bracket(open, false)
            }),
            right: Some(Cell {
                key: quoted_key(slot),
                ..bracket(open, false)
            }),
        });
        match (original, sanitized) {
            (Value::Object(o), Value::Object(s)) => {
                let keys: Vec<&String> = o
                    .keys()
                    .chain(s.keys().filter(|k| !o.contains_key(*k)))
                    .collect();
                for (i, key) in keys.iter().enumerate() {
                    let later = &keys[i + 1..];
                    let child = Slot {
                        key: Some((*key).clone()),
                        comma_left: later.iter().any(|k| o.contains_key(*k)),
                        comma_right: later.iter().any(|k| s.contains_key(*k)),
                    };
                    self.path.push(SchemaStep::Key((*key).clone()));
                    let f = filtered.and_then(|f| f.get(key.as_str()));
                    self.member(depth + 1, &child, o.get(*key), f, s.get(*key));
                    self.path.pop();
                }
            }
            (Value::Array(o), Value::Array(s)) => {
                for i in 0..o.len().max(s.len()) {
                    let child = Slot {
                        key: None,
                        comma_left: i + 1 < o.len(),
                        comma_right: i + 1 < s.len(),
                    };
                    self.path.push(SchemaStep::Item);
                    let f = filtered.and_then(|f| f.get(i));
                    self.member(depth + 1, &child, o.get(i), f, s.get(i));
                    self.path.pop();
                }
            }
            _ => {}
        }
        self.aligned.rows.push(Row {
            depth,
            left: Some(bracket(close, slot.comma_left)),
            right: Some(bracket(close, slot.comma_right)),
        });
    }

    /// A whole value on one side (left when `left`), every scalar in it with `fate`; the
    /// other side shows `other` (compact) on the first row, when given.
    fn one_side(
        &mut self,
        depth: usize,
        slot: &Slot,
        value: &Value,
        fate: Fate,
        left: bool,
        other: Option<&Value>,
    ) {
        let first = self.aligned.rows.len();
        let comma = if left {
            slot.comma_left
        } else {
            slot.comma_right
        };
        self.tree(depth, quoted_key(slot), value, fate, left, comma);
        if let (Some(other), Some(row)) = (other, self.aligned.rows.get_mut(first)) {
            row.right = Some(Cell {
                key: quoted_key(slot),
                text: other.to_string(),
                fate: Some(fate),
                comma: slot.comma_right,
            });
        }
    }

    fn tree(
        &mut self,
        depth: usize,
        key: Option<String>,
        value: &Value,
        fate: Fate,
        left: bool,
        comma: bool,
    ) {
        let push = |aligned: &mut Aligned, cell: Cell| {
            let (l, r) = match left {
                true => (Some(cell), None),
                false => (None, Some(cell)),
            };
            aligned.rows.push(Row {
                depth,
                left: l,
                right: r,
            });
        };
        if !is_container(value) {
            if left {
                *self.aligned.tally.entry(fate).or_default() += 1;
            }
            let cell = Cell {
                key,
                text: value.to_string(),
                fate: Some(fate),
                comma,
            };
            push(&mut *self.aligned, cell);
            return;
        }
        let (open, close) = brackets(value);
        let bracket = |key: Option<String>, text: &str, comma: bool| Cell {
            key,
            text: text.to_owned(),
            fate: None,
            comma,
        };
        push(&mut *self.aligned, bracket(key, open, false));
        match value {
            Value::Object(map) => {
                let n = map.len();
                for (i, (k, v)) in map.iter().enumerate() {
                    let child_key = Some(Value::String(k.clone()).to_string());
                    self.tree(depth + 1, child_key, v, fate, left, i + 1 < n);
                }
            }
            Value::Array(items) => {
                let n = items.len();
                for (i, v) in items.iter().enumerate() {
                    self.tree(depth + 1, None, v, fate, left, i + 1 < n);
                }
            }
            _ => {}
        }
        push(&mut *self.aligned, bracket(None, close, comma));
    }

    fn scalar_fate(
        &self,
        original: &Value,
        filtered: Option<&Value>,
        sanitized: Option<&Value>,
    ) -> Fate {
        let Some(filtered) = filtered else {
            return Fate::Dropped;
        };
        if filtered != original {
            // The filter replaced the value: null or a const's "" carry nothing of it; a
            // boolean coercion (null -> false) is a rewrite.
            let empty = filtered.is_null() || filtered.as_str() == Some("");
            return if empty {
                Fate::Dropped
            } else {
                Fate::Rewritten
            };
        }
        let applied = self.applied();
        match sanitized {
            None if applied.iter().any(|a| a.effect == LeafClass::Redacted) => Fate::Redacted,
            None => Fate::Dropped,
            Some(s) if s == original => Fate::KeptRaw,
            Some(s) => changed_by(applied, s.is_null()),
        }
    }

    fn container_fate(
        &self,
        original: &Value,
        filtered: Option<&Value>,
        sanitized: Option<&Value>,
    ) -> Fate {
        match (filtered, sanitized) {
            (Some(f), None) if same_container(original, f) && self.redact_below() => Fate::Redacted,
            // Not in the schema, nulled by it, or replaced by a transform (null): nothing
            // of the container leaves.
            _ => Fate::Dropped,
        }
    }

    /// What the linter says reaches the current position: its leaf's transforms, or the
    /// nearest enclosing leaf's (a recursion cut), or none.
    fn applied(&self) -> &'a [Applied] {
        let endpoint: &'a EndpointReport = self.endpoint;
        let mut path = LeafPath(self.path.clone());
        loop {
            if let Some(leaf) = endpoint.leaf(&path) {
                return &leaf.applied;
            }
            if path.0.pop().is_none() {
                return &[];
            }
        }
    }

    /// A `redact` reaches some leaf at or under the current position.
    fn redact_below(&self) -> bool {
        self.endpoint
            .leaves
            .iter()
            .filter(|l| l.path.0.starts_with(&self.path))
            .any(|l| l.applied.iter().any(|a| a.effect == LeafClass::Redacted))
            || self
                .applied()
                .iter()
                .any(|a| a.effect == LeafClass::Redacted)
    }
}

/// The fate of a value a transform changed: the strongest effect of the transforms that
/// can reach it and leave something (in file order, the later of equals), reversible when
/// such a pseudonym is; `rewritten` when none reaches it.
fn changed_by(applied: &[Applied], became_null: bool) -> Fate {
    let strongest = applied
        .iter()
        .filter(|a| match a.effect {
            LeafClass::Redacted => false,
            LeafClass::Dropped => became_null,
            _ => true,
        })
        .max_by_key(|a| a.effect.strength());
    match strongest {
        None => Fate::Rewritten,
        Some(a) => Fate::of_class(a.effect, is_reversible(a)),
    }
}

/// A `pseudonymize` whose output carries a reversible token.
pub(super) fn is_reversible(applied: &Applied) -> bool {
    applied.effect == LeafClass::Pseudonymized
        && applied.options.split(", ").any(|o| o == "reversible")
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

fn same_container(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    )
}

fn brackets(value: &Value) -> (&'static str, &'static str) {
    match value {
        Value::Array(_) => ("[", "]"),
        _ => ("{", "}"),
    }
}

fn quoted_key(slot: &Slot) -> Option<String> {
    slot.key
        .as_ref()
        .map(|k| Value::String(k.clone()).to_string())
}
