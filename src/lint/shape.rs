//! The shape of what a responseSchema lets through: a finite tree of abstract positions
//! (`$.results[*].authorId`), built by unrolling the schema the way the sanitizer's
//! schema filter walks it (docs/rules.md, "responseSchema").
//!
//! Each node is one position of a filtered document; its `kinds` say which values can sit
//! there (several when `anyOf` or `if`/`then`/`else` offer alternatives, whose properties
//! are merged into one node per key). Edges are object keys and `[*]` (any array element).
//!
//! Invariants: the tree is finite and bounded — a `$ref` is expanded at most
//! [`MAX_REF_REPEAT`] times along one path and nesting stops at [`MAX_DEPTH`] (deeper
//! positions become leaves marked `truncated`), and at most [`MAX_NODES`] nodes are built,
//! so no rules file can make the analysis run away. Keys starting with `+`, which the
//! filter passes unfiltered (a Psoxy parity quirk), are not modelled.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::rules::{Schema, SchemaType};

/// How many times one definition may be expanded along a single path: twice shows the
/// difference between the first and the second level of a recursive shape.
pub const MAX_REF_REPEAT: usize = 2;
/// Deepest nesting (schemas and `$ref`s) expanded along one path.
pub(crate) const MAX_DEPTH: usize = 128;
/// Most nodes one endpoint's tree may have.
pub(crate) const MAX_NODES: usize = 20_000;

/// Index of a node in a [`Shape`].
pub(crate) type NodeId = usize;

/// One edge from a position to a child position.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaStep {
    Key(String),
    /// Any element of an array.
    Item,
}

/// A position from the document root, written as a JSONPath that selects exactly it:
/// `$.results[*].authorId`, `$['odd key']`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LeafPath(pub Vec<SchemaStep>);

impl fmt::Display for LeafPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                SchemaStep::Item => f.write_str("[*]")?,
                SchemaStep::Key(k) if is_plain_name(k) => write!(f, ".{k}")?,
                SchemaStep::Key(k) => {
                    write!(f, "['{}']", k.replace('\\', "\\\\").replace('\'', "\\'"))?
                }
            }
        }
        Ok(())
    }
}

impl Serialize for LeafPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A name that reads unambiguously after a `.`.
fn is_plain_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The set of value kinds a position can hold after filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Kinds(u16);

impl Kinds {
    pub(crate) const STRING: Kinds = Kinds(1);
    pub(crate) const INTEGER: Kinds = Kinds(1 << 1);
    pub(crate) const NUMBER: Kinds = Kinds(1 << 2);
    pub(crate) const BOOLEAN: Kinds = Kinds(1 << 3);
    /// Always null (`type: null`, a dangling reference).
    pub(crate) const NULL: Kinds = Kinds(1 << 4);
    /// A schema without `type`: any scalar passes unchanged (objects and arrays → null).
    pub(crate) const SCALAR: Kinds = Kinds(1 << 5);
    /// `const`: always `""` on match, never a value from the input.
    pub(crate) const CONST: Kinds = Kinds(1 << 6);
    pub(crate) const OBJECT: Kinds = Kinds(1 << 7);
    pub(crate) const ARRAY: Kinds = Kinds(1 << 8);
    /// Anything at all passes: no responseSchema.
    pub(crate) const ANY: Kinds = Kinds(1 << 9);

    const NAMES: [(Kinds, &'static str); 10] = [
        (Kinds::STRING, "string"),
        (Kinds::INTEGER, "integer"),
        (Kinds::NUMBER, "number"),
        (Kinds::BOOLEAN, "boolean"),
        (Kinds::NULL, "null"),
        (Kinds::SCALAR, "scalar"),
        (Kinds::CONST, "const"),
        (Kinds::OBJECT, "object"),
        (Kinds::ARRAY, "array"),
        (Kinds::ANY, "any"),
    ];

    pub(crate) fn contains(self, other: Kinds) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn insert(&mut self, other: Kinds) {
        self.0 |= other.0;
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Can hold a string or number taken from the input (what personal data looks like).
    pub(crate) fn carries_scalar_input(self) -> bool {
        self.contains(Kinds(
            Kinds::STRING.0 | Kinds::INTEGER.0 | Kinds::NUMBER.0 | Kinds::SCALAR.0 | Kinds::ANY.0,
        ))
    }

    /// Can hold something `pseudonymize` accepts (string, number or null).
    pub(crate) fn pseudonymizable(self) -> bool {
        self.carries_scalar_input() || self.contains(Kinds(Kinds::NULL.0 | Kinds::CONST.0))
    }
}

impl fmt::Display for Kinds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Kinds::NAMES
            .iter()
            .filter(|(k, _)| self.contains(*k))
            .map(|(_, n)| *n)
            .collect();
        match names.is_empty() {
            true => f.write_str("-"),
            false => f.write_str(&names.join("|")),
        }
    }
}

/// One position.
#[derive(Debug, Clone)]
pub(crate) struct ShapeNode {
    pub parent: Option<NodeId>,
    /// The edge from the parent (`None` for the root).
    pub step: Option<SchemaStep>,
    pub kinds: Kinds,
    pub children: Vec<NodeId>,
    /// Why expansion stopped here (`recursion through V1User`), when it did.
    pub truncated: Option<String>,
}

/// The unrolled tree of one endpoint's responseSchema; node 0 is the document root.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    nodes: Vec<ShapeNode>,
}

impl Shape {
    /// Unroll `schema` (an endpoint's responseSchema) against the rules' definitions.
    pub(crate) fn build(schema: &Schema, definitions: &[(String, Schema)]) -> Shape {
        let mut builder = Builder {
            definitions,
            nodes: vec![ShapeNode::root()],
            refs: Vec::new(),
            depth: 0,
        };
        builder.add(0, schema);
        Shape {
            nodes: builder.nodes,
        }
    }

    /// The shape of an endpoint without a responseSchema: one position that holds anything.
    pub(crate) fn unfiltered() -> Shape {
        let mut root = ShapeNode::root();
        root.kinds = Kinds::ANY;
        Shape { nodes: vec![root] }
    }

    pub(crate) fn node(&self, id: NodeId) -> &ShapeNode {
        &self.nodes[id]
    }

    /// The path from the root to `id`.
    pub(crate) fn path(&self, id: NodeId) -> LeafPath {
        let mut steps = Vec::new();
        let mut at = Some(id);
        while let Some(node) = at.and_then(|i| self.nodes.get(i)) {
            steps.extend(node.step.clone());
            at = node.parent;
        }
        steps.reverse();
        LeafPath(steps)
    }

    /// Positions that can hold a value of their own: scalar-capable nodes, childless
    /// containers and truncated nodes, in pre-order (document order of the schema).
    pub(crate) fn leaves(&self) -> Vec<NodeId> {
        self.descendants_or_self(0)
            .into_iter()
            .filter(|&id| {
                let n = &self.nodes[id];
                n.children.is_empty()
                    || n.truncated.is_some()
                    || n.kinds.pseudonymizable()
                    || n.kinds.contains(Kinds::BOOLEAN)
            })
            .collect()
    }

    /// `id` and everything below it, pre-order.
    pub(crate) fn descendants_or_self(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(at) = stack.pop() {
            out.push(at);
            stack.extend(self.nodes[at].children.iter().rev());
        }
        out
    }

    /// Whether `ancestor` is `id` or lies on the path from the root to `id`.
    pub(crate) fn is_ancestor_or_self(&self, ancestor: NodeId, id: NodeId) -> bool {
        let mut at = Some(id);
        while let Some(i) = at {
            if i == ancestor {
                return true;
            }
            at = self.nodes[i].parent;
        }
        false
    }
}

impl ShapeNode {
    fn root() -> ShapeNode {
        ShapeNode {
            parent: None,
            step: None,
            kinds: Kinds::default(),
            children: Vec::new(),
            truncated: None,
        }
    }
}

struct Builder<'d> {
    definitions: &'d [(String, Schema)],
    nodes: Vec<ShapeNode>,
    /// Definitions being expanded on the current path.
    refs: Vec<usize>,
    depth: usize,
}

impl Builder<'_> {
    /// Merge what `schema` lets through into node `at`, in the filter's keyword order.
    fn add(&mut self, at: NodeId, schema: &Schema) {
        if self.depth >= MAX_DEPTH {
            self.truncate(at, "nesting deeper than the analysis limit".to_owned());
            return;
        }
        self.depth += 1;
        self.add_keywords(at, schema);
        self.depth -= 1;
    }

    fn add_keywords(&mut self, at: NodeId, schema: &Schema) {
        if let Some(index) = schema.reference {
            return self.add_reference(at, index);
        }
        if let Some(candidates) = &schema.any_of {
            if candidates.is_empty() {
                self.nodes[at].kinds.insert(Kinds::NULL);
            }
            return candidates.iter().for_each(|c| self.add(at, c));
        }
        if schema.constant.is_some() {
            return self.nodes[at].kinds.insert(Kinds::CONST);
        }
        if schema.if_.is_some() {
            // The filter takes `then` or `else`; a missing branch falls through to `type`.
            let branches = [&schema.then, &schema.else_];
            for branch in branches.iter().copied().flatten() {
                self.add(at, branch);
            }
            if branches.iter().any(|b| b.is_none()) {
                self.add_typed(at, schema);
            }
            return;
        }
        self.add_typed(at, schema);
    }

    fn add_reference(&mut self, at: NodeId, index: usize) {
        let Some((name, target)) = self.definitions.get(index) else {
            // Compile guarantees the target exists; the filter turns a missing one into null.
            return self.nodes[at].kinds.insert(Kinds::NULL);
        };
        if self.refs.iter().filter(|&&r| r == index).count() >= MAX_REF_REPEAT {
            return self.truncate(at, format!("recursion through `{name}`"));
        }
        self.refs.push(index);
        self.add(at, target);
        self.refs.pop();
    }

    fn add_typed(&mut self, at: NodeId, schema: &Schema) {
        let kind = match schema.kind {
            None => Kinds::SCALAR,
            Some(SchemaType::String) => Kinds::STRING,
            Some(SchemaType::Integer) => Kinds::INTEGER,
            Some(SchemaType::Number) => Kinds::NUMBER,
            Some(SchemaType::Boolean) => Kinds::BOOLEAN,
            Some(SchemaType::Null) => Kinds::NULL,
            Some(SchemaType::Object) => Kinds::OBJECT,
            Some(SchemaType::Array) => Kinds::ARRAY,
        };
        self.nodes[at].kinds.insert(kind);
        match schema.kind {
            Some(SchemaType::Object) => {
                for (name, property) in schema.properties.iter().flatten() {
                    if let Some(child) = self.child(at, SchemaStep::Key(name.clone())) {
                        self.add(child, property);
                    }
                }
            }
            Some(SchemaType::Array) => {
                let empty = Schema::default();
                let items = schema.items.as_deref().unwrap_or(&empty);
                if let Some(child) = self.child(at, SchemaStep::Item) {
                    self.add(child, items);
                }
            }
            _ => {}
        }
    }

    /// The child of `at` along `step`, created when new; `None` once the budget is spent.
    fn child(&mut self, at: NodeId, step: SchemaStep) -> Option<NodeId> {
        let existing = self.nodes[at]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c].step.as_ref() == Some(&step));
        if existing.is_some() {
            return existing;
        }
        if self.nodes.len() >= MAX_NODES {
            self.truncate(at, "schema larger than the analysis limit".to_owned());
            return None;
        }
        let id = self.nodes.len();
        self.nodes.push(ShapeNode {
            parent: Some(at),
            step: Some(step),
            kinds: Kinds::default(),
            children: Vec::new(),
            truncated: None,
        });
        self.nodes[at].children.push(id);
        Some(id)
    }

    fn truncate(&mut self, at: NodeId, reason: String) {
        self.nodes[at].truncated.get_or_insert(reason);
    }
}
