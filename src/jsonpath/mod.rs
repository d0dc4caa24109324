//! JSONPath in the Jayway dialect that Psoxy rule files use (docs/rules.md, "JSONPath").
//!
//! PURE. Owns compiling a path string once at rules load and locating its matches in a
//! `serde_json::Value`. Invariant: anything this module cannot evaluate faithfully is a
//! compile error with a hint — a path never silently matches nothing because of syntax.
//!
//! Supported: `$`; `.name`, `['name']`, `["name"]`, `['a','b']`; `.*`, `[*]`; deep scan
//! `..name`, `..['a','b']` (followed by anything) and `..*`, `..[*]`, `..[n]`, `..[a:b]`
//! (ending the path); `[0]`, `[-1]`, `[0,2]`; `[a:b]`, `[a:]`, `[:b]`, `[-2:]`; filters
//! `[?(...)]` with `@`/`$` definite operand paths, string/number/boolean/null literals,
//! `== != < <= > >=`, `=~ /re/imsx`, `&& || !`, parentheses and existence tests.
//!
//! Jayway quirks kept on purpose (parity with Psoxy): a filter on an **object** tests the
//! object itself; a missing operand makes `!=` true; `=~` sees missing/null as `""`;
//! `==` converts between numbers and strings (details in `filter.rs`); an existence test
//! is true for a present key whose value is null or `[]`.
//!
//! Layout: `lexer` (characters, strings, errors) → `parse` (text → `ast`; its child
//! `filter` parses filter expressions) → `eval` + `filter` (document → locations);
//! `location` applies locations; `decimal` is the `BigDecimal` arithmetic Jayway's
//! comparisons need.
//!
//! Two evaluations, one behaviour: the **reference** is [`JsonPath::locate`] (`eval`),
//! the straightforward reading of the dialect — every match of one path, as locations;
//! the **fast** one is `multi`, which evaluates many paths in one walk of a mutable
//! document for the sanitizer's fast path (`analysis` says which paths may share a
//! walk). The differential tests (`tests/differential.rs`) hold them equal on random
//! paths and documents. A change of behaviour goes to the reference first, then to
//! `multi`, and the differential tests prove the two agree again.

mod analysis;
pub(crate) mod ast;
mod decimal;
mod eval;
mod filter;
mod lexer;
mod location;
mod multi;
mod parse;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use location::{get, get_mut, remove};
pub use multi::{Leave, MatchVisitor, PathSet};

/// One step from a node to a child: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The position of a matched node, as steps from the document root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location(pub Vec<Step>);

/// A path that failed to compile: what is wrong, where (0-based char offset into the
/// path text), and a hint that names the supported rewrite when one exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonPathError {
    pub message: String,
    pub offset: usize,
    pub hint: Option<String>,
}

/// A compiled JSONPath: parsed once, evaluated many times without re-parsing.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
    segments: Vec<ast::Segment>,
}

impl JsonPath {
    /// Compiles `source`, rejecting unsupported or ambiguous syntax with a located error.
    pub fn compile(source: &str) -> Result<JsonPath, JsonPathError> {
        let segments = parse::parse_path(source)?;
        Ok(JsonPath {
            source: source.to_owned(),
            segments,
        })
    }

    /// The text this path was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The compiled segments, for static analysis of rules (`lint` asks which schema
    /// positions a path can reach without a document).
    pub(crate) fn segments(&self) -> &[ast::Segment] {
        &self.segments
    }

    /// Every matched node, each once, in document order (pre-order: a node before its
    /// descendants, siblings in key/index order). Zero matches is an empty list.
    pub fn locate(&self, root: &Value) -> Vec<Location> {
        eval::Walker::new(root, false).run(&self.segments)
    }

    /// Whether anything matches; stops at the first match (for `applyOnlyWhen`).
    pub fn matches_any(&self, root: &Value) -> bool {
        !eval::Walker::new(root, true).run(&self.segments).is_empty()
    }
}
