//! Walks a document along compiled segments, collecting the locations of matched nodes.
//!
//! Jayway semantics reproduced here:
//! - a name on a non-object, an index or slice on a non-array, `*` on a scalar: no match;
//! - a filter on an array tests each element; on an **object it tests the object itself**
//!   and, if it passes, continues from that same object (so `$.user[?(@.admin)]` matches
//!   `$.user` when it has `admin`); on a scalar it matches nothing;
//! - a deep scan visits the start node and every descendant container pre-order (object
//!   values in key order, array elements in index order) and applies its selector to each,
//!   including inside values that already matched;
//! - negative indexes count from the end; slices follow `eval::slice_range`.
//!
//! Matches are reported as (position path, location) pairs; the position path (the
//! ordinal of each step among its siblings) sorts them into document order.

use serde_json::Value;

use super::ast::{Segment, Selector, Slice};
use super::{Location, Step, filter};

/// One edge walked from the root: sibling ordinal plus the step itself, borrowed from the
/// document so nothing is cloned until a match is recorded.
#[derive(Clone, Copy)]
enum Edge<'a> {
    Key(&'a str),
    Index(usize),
}

/// What to do with matches: collect them all, or stop at the first.
pub(crate) struct Walker<'a> {
    root: &'a Value,
    first_only: bool,
    found: Vec<(Vec<usize>, Location)>,
    trail: Vec<(usize, Edge<'a>)>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(root: &'a Value, first_only: bool) -> Walker<'a> {
        Walker {
            root,
            first_only,
            found: Vec::new(),
            trail: Vec::new(),
        }
    }

    /// Runs the segments from the root and returns the matches, deduplicated and in
    /// document order (ancestors before descendants, siblings in document order).
    pub(crate) fn run(mut self, segments: &[Segment]) -> Vec<Location> {
        self.segments(segments, self.root);
        self.found.sort_by(|a, b| a.0.cmp(&b.0));
        self.found.dedup_by(|a, b| a.0 == b.0);
        self.found
            .into_iter()
            .map(|(_, location)| location)
            .collect()
    }

    fn done(&self) -> bool {
        self.first_only && !self.found.is_empty()
    }

    fn segments(&mut self, segments: &[Segment], node: &'a Value) {
        if self.done() {
            return;
        }
        match segments.split_first() {
            None => self.record(),
            Some((Segment::Child(selector), rest)) => self.select(selector, rest, node),
            Some((Segment::Scan(selector), rest)) => self.scan(selector, rest, node),
        }
    }

    fn record(&mut self) {
        let positions = self.trail.iter().map(|(pos, _)| *pos).collect();
        let steps = self.trail.iter().map(|(_, edge)| match edge {
            Edge::Key(k) => Step::Key((*k).to_owned()),
            Edge::Index(i) => Step::Index(*i),
        });
        self.found.push((positions, Location(steps.collect())));
    }

    fn descend(&mut self, rest: &[Segment], pos: usize, edge: Edge<'a>, child: &'a Value) {
        self.trail.push((pos, edge));
        self.segments(rest, child);
        self.trail.pop();
    }

    fn select(&mut self, selector: &Selector, rest: &[Segment], node: &'a Value) {
        match (selector, node) {
            (Selector::Names(names), Value::Object(map)) => {
                for name in names {
                    let hit = map.iter().enumerate().find(|(_, (key, _))| *key == name);
                    if let Some((pos, (key, child))) = hit {
                        self.descend(rest, pos, Edge::Key(key), child);
                    }
                }
            }
            (Selector::Wildcard, Value::Object(map)) => {
                for (pos, (key, child)) in map.iter().enumerate() {
                    self.descend(rest, pos, Edge::Key(key), child);
                }
            }
            (Selector::Wildcard, Value::Array(items)) => self.elements(rest, items, 0..items.len()),
            (Selector::Indexes(indexes), Value::Array(items)) => {
                for &index in indexes {
                    if let Some(i) = resolve_index(index, items.len()) {
                        self.elements(rest, items, i..i + 1);
                    }
                }
            }
            (Selector::Slice(slice), Value::Array(items)) => {
                self.elements(rest, items, slice_range(*slice, items.len()));
            }
            (Selector::Filter(expr), Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if filter::test(expr, item, self.root) {
                        self.descend(rest, i, Edge::Index(i), item);
                    }
                }
            }
            (Selector::Filter(expr), Value::Object(_)) if filter::test(expr, node, self.root) => {
                self.segments(rest, node);
            }
            _ => {}
        }
    }

    fn elements(&mut self, rest: &[Segment], items: &'a [Value], range: std::ops::Range<usize>) {
        for i in range {
            if let Some(item) = items.get(i) {
                self.descend(rest, i, Edge::Index(i), item);
            }
        }
    }

    /// Applies `selector` (then `rest`) at `node` and at every descendant container.
    fn scan(&mut self, selector: &Selector, rest: &[Segment], node: &'a Value) {
        if self.done() {
            return;
        }
        self.select(selector, rest, node);
        match node {
            Value::Object(map) => {
                for (pos, (key, child)) in map.iter().enumerate() {
                    if is_container(child) {
                        self.trail.push((pos, Edge::Key(key)));
                        self.scan(selector, rest, child);
                        self.trail.pop();
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    if is_container(child) {
                        self.trail.push((i, Edge::Index(i)));
                        self.scan(selector, rest, child);
                        self.trail.pop();
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

/// A Jayway index: negative counts from the end; out of range matches nothing.
pub(crate) fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let effective = if index < 0 { len + index } else { index };
    usize::try_from(effective)
        .ok()
        .filter(|&i| (i as i64) < len)
}

/// Jayway's slice bounds: `[a:]` and `[:b]` count negative bounds from the end and clamp;
/// `[a:b]` (non-negative only) clamps `b` to the length; an empty or inverted range
/// selects nothing.
pub(crate) fn slice_range(slice: Slice, len: usize) -> std::ops::Range<usize> {
    let n = i64::try_from(len).unwrap_or(i64::MAX);
    let (from, to) = match slice {
        Slice::From(from) => (if from < 0 { n + from } else { from }.max(0), n),
        Slice::To(to) => (0, if to < 0 { n + to } else { to }.min(n)),
        Slice::Between(from, to) => (from, to.min(n)),
    };
    if from >= to {
        return 0..0;
    }
    let clamp = |v: i64| usize::try_from(v).unwrap_or(0);
    clamp(from)..clamp(to)
}
