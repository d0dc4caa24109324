//! JSONPath in the Jayway dialect that Psoxy rule files use (rules contract §5).
//!
//! PURE. Owns compiling a path string once at rules load and locating its matches in a
//! `serde_json::Value`. Invariant: anything this module cannot evaluate faithfully is a
//! compile error with a hint — a path never silently matches nothing because of syntax.
//!
//! (Skeleton: the implementation lands in its own commit.)

use serde_json::Value;

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

/// A compiled JSONPath.
#[derive(Debug, Clone)]
pub struct JsonPath {
    source: String,
}

impl JsonPath {
    pub fn compile(source: &str) -> Result<JsonPath, JsonPathError> {
        Ok(JsonPath { source: source.to_owned() })
    }
    pub fn source(&self) -> &str {
        &self.source
    }
    pub fn locate(&self, _root: &Value) -> Vec<Location> {
        Vec::new()
    }
}
