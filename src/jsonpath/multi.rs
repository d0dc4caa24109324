//! Evaluates many paths in one pre-order walk of a mutable document, for the sanitizer.
//!
//! Each path is run as a small automaton: a state is (path, next segment). A node carries
//! the set of states that reached it; a child gets the states its parent's selectors
//! advance to it (a deep scan also stays active in every container child), plus those a
//! filter on an object advances in place (Jayway's filter-on-object, see `eval.rs`).
//! A path *matches* a node when one of its states reaches the end of its segments there.
//! Because states are sets, a node reached by several routes of one path matches once,
//! exactly like the deduplicated `JsonPath::locate`.
//!
//! The visitor sees each matched node twice: on `enter`, before anything below it was
//! visited (it may cut off paths below it, e.g. because the node will be removed), and on
//! `leave`, after its subtree (it may rewrite the node or ask for its removal, which the
//! walker does once the parent's children are all visited, keeping the others' order).
//!
//! Invariant: decisions about a node (which selectors pick it, what its filters say) are
//! made on entry, when nothing in its subtree has been changed yet. Paths whose filters
//! read from the root (`$.x` operands) are refused: the root is being rewritten under them.

use serde_json::Value;

mod walk;

use super::JsonPath;
use super::ast::{Segment, Selector};

/// What `leave` decides about a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    Keep,
    /// Remove the node from its parent (ignored for the root: it has no parent).
    Remove,
}

/// Receives the matches of a [`PathSet`] walk.
pub trait MatchVisitor {
    type Error;

    /// `node` is matched by the paths `matched` (indexes into the set, ascending). Returns
    /// a limit: paths with an index at or above it do not continue below this node.
    fn enter(
        &mut self,
        node: &Value,
        matched: &[usize],
        at_root: bool,
    ) -> Result<usize, Self::Error>;

    /// Called after `node`'s subtree, with the same `matched` as `enter`.
    fn leave(&mut self, node: &mut Value, matched: &[usize]) -> Result<Leave, Self::Error>;
}

/// Several compiled paths evaluated together by [`PathSet::walk`]. It owns what it needs
/// of the paths, so a set built once (per endpoint, when the rules are compiled) serves
/// every request.
#[derive(Debug)]
pub struct PathSet {
    /// Every segment of every path, path after path; a walk state is an index into it.
    steps: Vec<Step>,
    /// Index of each path's first step; a path without segments matches the root only.
    starts: Vec<Option<usize>>,
    names: Names,
    has_filters: bool,
}

/// One segment of one path, with its name list resolved to ids of `PathSet::names` so
/// that a child's key is looked up once, not compared once per state.
#[derive(Debug)]
struct Step {
    path: usize,
    /// The next step is the end of the path: advancing here is a match.
    last: bool,
    scan: bool,
    selector: Sel,
}

#[derive(Debug)]
enum Sel {
    Name(usize),
    Names(Vec<usize>),
    Other(Selector),
}

/// Every distinct name of the paths' name selectors, indexed by length for lookups.
#[derive(Debug, Default)]
struct Names {
    list: Vec<Box<str>>,
    by_len: Vec<Vec<usize>>,
}

impl Names {
    fn intern(&mut self, name: &str) -> usize {
        if let Some(id) = self.id(name) {
            return id;
        }
        let id = self.list.len();
        self.list.push(name.into());
        if self.by_len.len() <= name.len() {
            self.by_len.resize(name.len() + 1, Vec::new());
        }
        self.by_len[name.len()].push(id);
        id
    }

    fn id(&self, key: &str) -> Option<usize> {
        let same_length = self.by_len.get(key.len())?;
        same_length
            .iter()
            .copied()
            .find(|&id| &*self.list[id] == key)
    }
}

impl PathSet {
    /// A set of `paths`; `None` when one of them has a filter operand that starts at the
    /// document root (evaluate such a path on its own with `JsonPath::locate`).
    pub fn new(paths: &[&JsonPath]) -> Option<PathSet> {
        if paths.iter().any(|p| p.reads_from_root()) {
            return None;
        }
        let mut set = PathSet {
            steps: Vec::new(),
            starts: Vec::with_capacity(paths.len()),
            names: Names::default(),
            has_filters: false,
        };
        for (path, compiled) in paths.iter().enumerate() {
            let count = compiled.segments.len();
            set.starts.push((count > 0).then_some(set.steps.len()));
            for (i, segment) in compiled.segments.iter().enumerate() {
                let (scan, selector) = match segment {
                    Segment::Child(selector) => (false, selector),
                    Segment::Scan(selector) => (true, selector),
                };
                set.has_filters |= matches!(selector, Selector::Filter(_));
                let selector = match selector {
                    Selector::Names(list) if list.len() == 1 => {
                        Sel::Name(set.names.intern(&list[0]))
                    }
                    Selector::Names(list) => {
                        Sel::Names(list.iter().map(|n| set.names.intern(n)).collect())
                    }
                    other => Sel::Other(other.clone()),
                };
                let last = i + 1 == count;
                set.steps.push(Step {
                    path,
                    last,
                    scan,
                    selector,
                });
            }
        }
        Some(set)
    }

    /// Walks `root` once, reporting every (node, matching paths) to `visitor`.
    pub fn walk<V: MatchVisitor>(&self, root: &mut Value, visitor: &mut V) -> Result<(), V::Error> {
        walk::run(self, root, visitor)
    }
}
