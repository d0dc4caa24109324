//! The walk behind [`PathSet::walk`]: per node, the set of automaton states that reached
//! it; per child, the states its parent's selectors advance to (see `multi.rs`).
//!
//! Cost model: a node's deep scans are copied to each container child as one slice; a
//! child's key is looked up once among the set's names, and the per-state selector loop
//! runs only for children some state can select, so a subtree no path names costs a
//! slice copy per container and a key lookup per member.

use serde_json::Value;

use super::super::ast::Selector;
use super::super::eval::{resolve_index, slice_range};
use super::super::filter;
use super::{Leave, MatchVisitor, PathSet, Sel};

/// How a child hangs from its parent.
#[derive(Clone, Copy)]
enum Edge<'a> {
    Key(&'a str),
    Index { at: usize, len: usize },
}

/// What a node's states ask of its children; computed once per node.
struct Wants {
    /// The node's deep-scan states are `scans[scans_start..]`.
    scans_start: usize,
    /// Bit `min(id, 63)` for each name id a name selector of the node's states lists.
    names: u64,
    /// Some state has a selector other than a name list.
    other: bool,
}

fn name_bit(id: usize) -> u64 {
    1 << id.min(63)
}

/// Walks `root` once, reporting every (node, matching paths) to `visitor`.
pub(super) fn run<V: MatchVisitor>(
    set: &PathSet,
    root: &mut Value,
    visitor: &mut V,
) -> Result<(), V::Error> {
    let mut walk = Walk {
        set,
        states: Vec::with_capacity(64),
        scans: Vec::with_capacity(64),
        matched: Vec::with_capacity(16),
    };
    for (path, start) in set.starts.iter().enumerate() {
        match *start {
            Some(step) => walk.push(step, 0),
            None => walk.matched.push(path),
        }
    }
    walk.close(root, 0, 0);
    walk.node(root, 0, 0, true, visitor)?;
    Ok(())
}

struct Walk<'s> {
    set: &'s PathSet,
    /// Stack of state sets (step indexes): a node's are `states[start..]` while visited.
    states: Vec<usize>,
    /// Stack of the deep-scan states of the nodes being visited (see `Wants`).
    scans: Vec<usize>,
    /// Stack of matched path indexes, one run per node being visited.
    matched: Vec<usize>,
}

impl Walk<'_> {
    /// Adds a state to the set that starts at `s_start`, without duplicates.
    fn push(&mut self, step: usize, s_start: usize) {
        if !self.states[s_start..].contains(&step) {
            self.states.push(step);
        }
    }

    /// Moves past `step`: a match of its path, or the next step of the path.
    fn advance_past(&mut self, step: usize, s_start: usize, m_start: usize) {
        let path = self.set.steps[step].path;
        if !self.set.steps[step].last {
            self.push(step + 1, s_start);
        } else if !self.matched[m_start..].contains(&path) {
            self.matched.push(path);
        }
    }

    /// Completes a node's states with those a filter on an object advances in place.
    fn close(&mut self, node: &Value, s_start: usize, m_start: usize) {
        if !self.set.has_filters || !node.is_object() {
            return;
        }
        let mut i = s_start;
        while i < self.states.len() {
            let step = self.states[i];
            if let Sel::Other(Selector::Filter(expr)) = &self.set.steps[step].selector
                && filter::test(expr, node, node)
            {
                self.advance_past(step, s_start, m_start);
            }
            i += 1;
        }
    }

    /// Visits a node whose states and matches are already computed (the runs starting at
    /// `s_start` and `m_start`); returns what the visitor decided about it.
    fn node<V: MatchVisitor>(
        &mut self,
        node: &mut Value,
        s_start: usize,
        m_start: usize,
        at_root: bool,
        visitor: &mut V,
    ) -> Result<Leave, V::Error> {
        let matched = self.matched.len() > m_start;
        if matched {
            self.matched[m_start..].sort_unstable();
            let limit = visitor.enter(node, &self.matched[m_start..], at_root)?;
            let mut kept = s_start;
            for i in s_start..self.states.len() {
                if self.set.steps[self.states[i]].path < limit {
                    self.states.swap(kept, i);
                    kept += 1;
                }
            }
            self.states.truncate(kept);
        }
        if self.states.len() > s_start {
            self.children(node, s_start, visitor)?;
        }
        if matched {
            return visitor.leave(node, &self.matched[m_start..]);
        }
        Ok(Leave::Keep)
    }

    /// Collects the node's deep scans and summarizes what its states select.
    fn wants(&mut self, s_start: usize) -> Wants {
        let mut wants = Wants {
            scans_start: self.scans.len(),
            names: 0,
            other: false,
        };
        for &step in &self.states[s_start..] {
            let step_info = &self.set.steps[step];
            if step_info.scan {
                self.scans.push(step);
            }
            match &step_info.selector {
                Sel::Name(id) => wants.names |= name_bit(*id),
                Sel::Names(ids) => wants.names |= ids.iter().fold(0, |m, &id| m | name_bit(id)),
                Sel::Other(_) => wants.other = true,
            }
        }
        wants
    }

    /// Visits the children of a node whose live states are `states[s_start..]`, then
    /// removes the children the visitor asked to remove.
    fn children<V: MatchVisitor>(
        &mut self,
        node: &mut Value,
        s_start: usize,
        visitor: &mut V,
    ) -> Result<(), V::Error> {
        let wants = self.wants(s_start);
        let result = match node {
            Value::Object(map) => {
                let edges = map.iter_mut().map(|(key, child)| (Edge::Key(key), child));
                let (removed, result) = self.visit_each(edges, s_start, &wants, visitor);
                if !removed.is_empty() {
                    let mut drop = dropper(&removed);
                    map.retain(|_, _| !drop());
                }
                result
            }
            Value::Array(items) => {
                let len = items.len();
                let edges = items
                    .iter_mut()
                    .enumerate()
                    .map(|(at, child)| (Edge::Index { at, len }, child));
                let (removed, result) = self.visit_each(edges, s_start, &wants, visitor);
                if !removed.is_empty() {
                    let mut drop = dropper(&removed);
                    items.retain(|_| !drop());
                }
                result
            }
            _ => Ok(()),
        };
        self.scans.truncate(wants.scans_start);
        result
    }

    /// Visits children in order until one fails; returns the positions to remove.
    fn visit_each<'v, V: MatchVisitor>(
        &mut self,
        children: impl Iterator<Item = (Edge<'v>, &'v mut Value)>,
        s_start: usize,
        wants: &Wants,
        visitor: &mut V,
    ) -> (Vec<usize>, Result<(), V::Error>) {
        let mut removed = Vec::new();
        for (pos, (edge, child)) in children.enumerate() {
            match self.child(edge, child, s_start, wants, visitor) {
                Ok(Leave::Remove) => removed.push(pos),
                Ok(Leave::Keep) => {}
                Err(e) => return (removed, Err(e)),
            }
        }
        (removed, Ok(()))
    }

    /// Computes one child's states from its parent's, visits it, and pops its runs.
    fn child<V: MatchVisitor>(
        &mut self,
        edge: Edge<'_>,
        child: &mut Value,
        s_start: usize,
        wants: &Wants,
        visitor: &mut V,
    ) -> Result<Leave, V::Error> {
        let parent_end = self.states.len();
        let m_start = self.matched.len();
        let container = matches!(child, Value::Object(_) | Value::Array(_));
        if container {
            // A deep scan goes on in every container child. The parent's states are
            // distinct, so these are too: no duplicate check needed.
            self.states
                .extend_from_slice(&self.scans[wants.scans_start..]);
        }
        let key = match edge {
            Edge::Key(key) if wants.names != 0 => self.set.names.id(key),
            _ => None,
        };
        if wants.other || key.is_some_and(|id| wants.names & name_bit(id) != 0) {
            self.advance(edge, key, child, container, s_start..parent_end, m_start);
        }
        let leave = if container || self.matched.len() > m_start {
            self.close(child, parent_end, m_start);
            self.node(child, parent_end, m_start, false, visitor)
        } else {
            Ok(Leave::Keep)
        };
        self.states.truncate(parent_end);
        self.matched.truncate(m_start);
        leave
    }

    /// Pushes the states that the parent's states `parent` advance to on this child.
    fn advance(
        &mut self,
        edge: Edge<'_>,
        key: Option<usize>,
        child: &Value,
        container: bool,
        parent: std::ops::Range<usize>,
        m_start: usize,
    ) {
        let child_start = parent.end;
        for i in parent {
            let step = self.states[i];
            let info = &self.set.steps[step];
            let picked = match &info.selector {
                Sel::Name(id) => key == Some(*id),
                Sel::Names(ids) => key.is_some_and(|k| ids.contains(&k)),
                Sel::Other(selector) => selects(selector, edge, child),
            };
            // A scalar has no children, so only the end of a path matters for it.
            if picked && (container || info.last) {
                self.advance_past(step, child_start, m_start);
            }
        }
    }
}

/// For `retain`, which visits elements in order: says for each successive element whether
/// its position is in `removed` (ascending).
fn dropper(removed: &[usize]) -> impl FnMut() -> bool + '_ {
    let mut pos = 0;
    let mut next = 0;
    move || {
        let drop = removed.get(next) == Some(&pos);
        next += usize::from(drop);
        pos += 1;
        drop
    }
}

/// Whether `selector`, applied to the parent, picks this child (Jayway semantics as in
/// `eval::Walker::select`; a filter on an object tests the object itself, see `close`).
fn selects(selector: &Selector, edge: Edge<'_>, child: &Value) -> bool {
    match (selector, edge) {
        (Selector::Names(names), Edge::Key(key)) => names.iter().any(|n| n == key),
        (Selector::Wildcard, _) => true,
        (Selector::Indexes(indexes), Edge::Index { at, len }) => indexes
            .iter()
            .any(|&index| resolve_index(index, len) == Some(at)),
        (Selector::Slice(slice), Edge::Index { at, len }) => slice_range(*slice, len).contains(&at),
        (Selector::Filter(expr), Edge::Index { .. }) => filter::test(expr, child, child),
        _ => false,
    }
}
