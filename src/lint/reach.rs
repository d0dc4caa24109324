//! "Can this JSONPath match this schema position?" — a JSONPath evaluated over a
//! [`Shape`] instead of a document.
//!
//! The answer is a set of positions, each marked **certain** (in every document the
//! schema lets through, every value at that position is matched) or **conditional** (only
//! some are: an index, a slice or a filter chose among them). Names, `*` and deep scans
//! keep certainty; indexes, slices and filters lose it; a filter is always treated as
//! "may match" (its test is not evaluated), which over-approximates reach and never
//! under-approximates it. The walk mirrors `jsonpath::eval`: a filter on an array tests
//! each element, on an object it tests the object itself and stays there; a deep scan
//! applies its selector at the start position and every descendant container.

use std::collections::BTreeMap;

use super::shape::{Kinds, NodeId, SchemaStep, Shape};
use crate::jsonpath::JsonPath;
use crate::jsonpath::ast::{Segment, Selector, Slice};

/// A position a path can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reach {
    pub node: NodeId,
    pub certain: bool,
}

/// Every position of `shape` that `path` can match, in node order.
pub(crate) fn reach(shape: &Shape, path: &JsonPath) -> Vec<Reach> {
    let mut state: BTreeMap<NodeId, bool> = BTreeMap::from([(0, true)]);
    for segment in path.segments() {
        let mut next = BTreeMap::new();
        for (&node, &certain) in &state {
            match segment {
                Segment::Child(selector) => select(shape, node, certain, selector, &mut next),
                Segment::Scan(selector) => {
                    for at in shape.descendants_or_self(node) {
                        select(shape, at, certain, selector, &mut next);
                    }
                }
            }
        }
        state = next;
        if state.is_empty() {
            break;
        }
    }
    state
        .into_iter()
        .map(|(node, certain)| Reach { node, certain })
        .collect()
}

fn select(
    shape: &Shape,
    node: NodeId,
    certain: bool,
    selector: &Selector,
    out: &mut BTreeMap<NodeId, bool>,
) {
    let mut add = |id: NodeId, c: bool| *out.entry(id).or_insert(false) |= c;
    let children = shape.node(node).children.iter().copied();
    let items = || {
        children
            .clone()
            .filter(|&c| shape.node(c).step == Some(SchemaStep::Item))
    };
    match selector {
        Selector::Names(names) => {
            for child in children.clone() {
                if let Some(SchemaStep::Key(key)) = &shape.node(child).step
                    && names.contains(key)
                {
                    add(child, certain);
                }
            }
        }
        Selector::Wildcard => children.clone().for_each(|c| add(c, certain)),
        Selector::Indexes(_) => items().for_each(|c| add(c, false)),
        Selector::Slice(slice) if !never_selects(*slice) => items().for_each(|c| add(c, false)),
        Selector::Slice(_) => {}
        Selector::Filter(_) => {
            items().for_each(|c| add(c, false));
            if shape.node(node).kinds.contains(Kinds::OBJECT) {
                add(node, false);
            }
        }
    }
}

/// Slices that select nothing from an array of any length.
fn never_selects(slice: Slice) -> bool {
    match slice {
        Slice::Between(from, to) => from >= to,
        Slice::To(to) => to == 0,
        Slice::From(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    const RULES: &str = r##"
endpoints:
  - pathTemplate: /x
    responseSchema:
      type: object
      properties:
        results:
          type: array
          items: { $ref: "#/definitions/Item" }
        owner: { $ref: "#/definitions/User" }
definitions:
  User:
    type: object
    properties:
      accountId: { type: string }
      name: { type: string }
  Item:
    type: object
    properties:
      id: { type: string }
      type: { type: string }
      by: { $ref: "#/definitions/User" }
      tags: { type: array, items: { type: string } }
"##;

    fn reached(path: &str) -> Vec<String> {
        let rules = rules::from_str(RULES, "t.yaml").unwrap();
        let endpoint = &rules.endpoints[0];
        let shape = Shape::build(
            endpoint.response_schema.as_ref().unwrap(),
            &rules.definitions,
        );
        let path = JsonPath::compile(path).unwrap();
        reach(&shape, &path)
            .into_iter()
            .map(|r| {
                let mark = if r.certain { "" } else { "?" };
                format!("{}{mark}", shape.path(r.node))
            })
            .collect()
    }

    #[test]
    fn paths_reach_the_positions_they_can_match() {
        let table: &[(&str, &[&str])] = &[
            ("$.results[*].id", &["$.results[*].id"]),
            ("$.results.*.id", &["$.results[*].id"]),
            (
                "$..accountId",
                &["$.results[*].by.accountId", "$.owner.accountId"],
            ),
            ("$.results[0].id", &["$.results[*].id?"]),
            ("$.results[1:3].tags[*]", &["$.results[*].tags[*]?"]),
            ("$.results[2:1].id", &[]),
            ("$.results[:0].id", &[]),
            ("$.results[?(@.type == 'a')].id", &["$.results[*].id?"]),
            ("$.owner[?(@.name)].accountId", &["$.owner.accountId?"]),
            ("$['owner','results'].name", &["$.owner.name"]),
            ("$.results[*].missing", &[]),
            ("$.owner.accountId.deeper", &[]),
            ("$..by..name", &["$.results[*].by.name"]),
            ("$", &["$"]),
            ("$..[0]", &["$.results[*]?", "$.results[*].tags[*]?"]),
        ];
        for (path, expected) in table {
            let mut got = reached(path);
            got.sort();
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "reach of {path}");
        }
    }
}
