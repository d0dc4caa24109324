//! The fast application of an endpoint's transforms: consecutive paths that cannot
//! influence each other's matches are evaluated together in one walk of the document
//! (`jsonpath::PathSet`), applying each transform in place as the walk leaves a node.
//!
//! Equivalence with the reference (`transforms::apply`, one path at a time, in file order):
//! - the transforms are flattened into *ops* (one per path) in file order; an op joins the
//!   current group only if it is `independent_of` every op already in it, a path that
//!   reads from the root runs alone through the reference, and `applyOnlyWhen` is
//!   evaluated on the document as the earlier groups left it;
//! - on a node matched by several ops of a group, they apply in op order; if one of them
//!   removes the node, the later ops neither see it nor anything below it, as in the
//!   reference where the node is gone by then;
//! - a rewrite replaces a scalar by a scalar; a rewrite matching an object or array, any
//!   transform error, or a match on the root makes the walk give up ([`Bail`]) and the
//!   caller redoes the whole body with the reference, so even error messages are the
//!   reference's.
//!
//! Pseudonyms of strings are cached per transform within one call: same input, same output.

use std::collections::HashMap;

use serde_json::Value;

use super::{Report, transforms};
use crate::jsonpath::{JsonPath, Leave, MatchVisitor, PathSet};
use crate::pseudonym::Pseudonymizer;
use crate::rules::{Endpoint, TransformKind};

/// The fast path cannot promise the reference's result for this document.
#[derive(Debug)]
pub(super) struct Bail;

/// One path of one transform.
#[derive(Clone, Copy)]
struct Op<'r> {
    path: &'r JsonPath,
    kind: &'r TransformKind,
    /// Index of the transform in the endpoint, which keys the pseudonym cache.
    transform: usize,
}

impl Op<'_> {
    fn removes(&self) -> bool {
        matches!(self.kind, TransformKind::Redact)
    }
}

/// Applies every transform of `endpoint` to `doc`, as `transforms::apply` in order would.
pub(super) fn apply_all(
    doc: &mut Value,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    report: &mut Report,
) -> Result<(), Bail> {
    let mut run = Runner {
        pseudonymizer,
        report,
        cache: (0..endpoint.transforms.len()).map(|_| None).collect(),
    };
    let mut group: Vec<Op<'_>> = Vec::new();
    for (index, transform) in endpoint.transforms.iter().enumerate() {
        if let Some(condition) = &transform.apply_only_when {
            run.group(doc, &mut group)?;
            if !condition.matches_any(doc) {
                continue;
            }
        }
        for path in &transform.json_paths {
            let op = Op {
                path,
                kind: &transform.kind,
                transform: index,
            };
            if path.reads_from_root() {
                run.group(doc, &mut group)?;
                transforms::apply_path(doc, path, op.kind, run.pseudonymizer, run.report)
                    .map_err(|_| Bail)?;
                continue;
            }
            if !group
                .iter()
                .all(|earlier| path.independent_of(earlier.path, earlier.removes()))
            {
                run.group(doc, &mut group)?;
            }
            group.push(op);
        }
    }
    run.group(doc, &mut group)
}

struct Runner<'a> {
    pseudonymizer: &'a Pseudonymizer,
    report: &'a mut Report,
    /// Per transform: string input → output, for `pseudonymize` only.
    cache: Vec<Option<HashMap<String, Value>>>,
}

impl Runner<'_> {
    /// Applies the ops of `group` in one walk and empties it.
    fn group(&mut self, doc: &mut Value, group: &mut Vec<Op<'_>>) -> Result<(), Bail> {
        if group.is_empty() {
            return Ok(());
        }
        let paths: Vec<&JsonPath> = group.iter().map(|op| op.path).collect();
        let set = PathSet::new(&paths).ok_or(Bail)?;
        set.walk(
            doc,
            &mut Visitor {
                ops: group,
                run: self,
            },
        )?;
        group.clear();
        Ok(())
    }

    fn transform(&mut self, op: &Op<'_>, node: &mut Value) -> Result<(), Bail> {
        let input = std::mem::take(node);
        let cache = match (op.kind, &input) {
            (TransformKind::Pseudonymize { .. }, Value::String(_)) => {
                self.cache[op.transform].get_or_insert_with(HashMap::new)
            }
            _ => {
                *node =
                    transforms::transform_value(input, op.kind, self.pseudonymizer, self.report)
                        .map_err(|_| Bail)?;
                return Ok(());
            }
        };
        let Value::String(text) = input else {
            return Err(Bail);
        };
        if let Some(output) = cache.get(&text) {
            self.report.pseudonymized += 1;
            *node = output.clone();
            return Ok(());
        }
        let output = transforms::transform_value(
            Value::String(text.clone()),
            op.kind,
            self.pseudonymizer,
            self.report,
        )
        .map_err(|_| Bail)?;
        cache.insert(text, output.clone());
        *node = output;
        Ok(())
    }
}

struct Visitor<'g, 'r, 'a> {
    ops: &'g [Op<'r>],
    run: &'g mut Runner<'a>,
}

impl Visitor<'_, '_, '_> {
    /// The first op (in order) that removes the node, if any.
    fn remover(&self, matched: &[usize]) -> Option<usize> {
        matched.iter().copied().find(|&i| self.ops[i].removes())
    }
}

impl MatchVisitor for Visitor<'_, '_, '_> {
    type Error = Bail;

    fn enter(&mut self, node: &Value, matched: &[usize], at_root: bool) -> Result<usize, Bail> {
        if at_root {
            return Err(Bail);
        }
        let remover = self.remover(matched);
        let limit = remover.map_or(usize::MAX, |r| r + 1);
        let rewritten_before_removal = matched.iter().any(|&i| i < limit && !self.ops[i].removes());
        if rewritten_before_removal && matches!(node, Value::Object(_) | Value::Array(_)) {
            return Err(Bail);
        }
        Ok(limit)
    }

    fn leave(&mut self, node: &mut Value, matched: &[usize]) -> Result<Leave, Bail> {
        for &i in matched {
            let op = self.ops[i];
            if op.removes() {
                self.run.report.redacted += 1;
                return Ok(Leave::Remove);
            }
            self.run.transform(&op, node)?;
        }
        Ok(Leave::Keep)
    }
}
