//! The fast application of an endpoint's transforms: consecutive paths that cannot
//! influence each other's matches are evaluated together in one walk of the document
//! (`jsonpath::PathSet`), applying each transform in place as the walk leaves a node.
//!
//! Equivalence with the reference (`transforms::apply`, one path at a time, in file order):
//! - the grouping is the endpoint's [`TransformPlan`](crate::rules::TransformPlan), built
//!   when the rules were compiled: paths in file order, cut into groups whose paths
//!   cannot influence each other's matches, a path that reads from the root alone between
//!   them, and a segment per `applyOnlyWhen`, whose condition is evaluated here on the
//!   document as the earlier segments left it;
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
use crate::jsonpath::{Leave, MatchVisitor, PathSet};
use crate::pseudonym::Pseudonymizer;
use crate::rules::{Endpoint, PlanOp, PlanStep, Transform, TransformKind};

/// The fast path cannot promise the reference's result for this document.
#[derive(Debug)]
pub(super) struct Bail;

/// Applies every transform of `endpoint` to `doc`, as `transforms::apply` in order would.
pub(super) fn apply_all(
    doc: &mut Value,
    endpoint: &Endpoint,
    pseudonymizer: &Pseudonymizer,
    report: &mut Report,
) -> Result<(), Bail> {
    let transforms = &endpoint.transforms;
    let mut run = Runner {
        transforms,
        pseudonymizer,
        report,
        cache: (0..transforms.len()).map(|_| None).collect(),
    };
    let plan = &endpoint.plan;
    if plan.transforms != transforms.len() {
        return Err(Bail);
    }
    for segment in &plan.segments {
        let holds = |t: usize| {
            transforms[t]
                .apply_only_when
                .as_ref()
                .is_none_or(|condition| condition.matches_any(doc))
        };
        let steps = match segment.condition {
            Some(t) if !holds(t) => &segment.skipped,
            _ => &segment.applied,
        };
        for step in steps {
            match step {
                PlanStep::Together { set, ops } => run.walk(doc, set, ops)?,
                PlanStep::Alone(op) => {
                    transforms::apply_path(
                        doc,
                        op.json_path(transforms),
                        op.kind(transforms),
                        run.pseudonymizer,
                        run.report,
                    )
                    .map_err(|_| Bail)?;
                }
            }
        }
    }
    Ok(())
}

struct Runner<'a> {
    transforms: &'a [Transform],
    pseudonymizer: &'a Pseudonymizer,
    report: &'a mut Report,
    /// Per transform: string input → output, for `pseudonymize` only.
    cache: Vec<Option<HashMap<String, Value>>>,
}

impl Runner<'_> {
    /// Applies the ops of one group in one walk of `set` (path `i` of it is `ops[i]`).
    fn walk(&mut self, doc: &mut Value, set: &PathSet, ops: &[PlanOp]) -> Result<(), Bail> {
        set.walk(doc, &mut Visitor { ops, run: self })
    }

    fn transform(&mut self, op: PlanOp, node: &mut Value) -> Result<(), Bail> {
        let input = std::mem::take(node);
        let kind = op.kind(self.transforms);
        let cache = match (kind, &input) {
            (TransformKind::Pseudonymize { .. }, Value::String(_)) => {
                self.cache[op.transform].get_or_insert_with(HashMap::new)
            }
            _ => {
                *node = transforms::transform_value(input, kind, self.pseudonymizer, self.report)
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
            kind,
            self.pseudonymizer,
            self.report,
        )
        .map_err(|_| Bail)?;
        cache.insert(text, output.clone());
        *node = output;
        Ok(())
    }
}

struct Visitor<'g, 'a> {
    ops: &'g [PlanOp],
    run: &'g mut Runner<'a>,
}

impl Visitor<'_, '_> {
    fn removes(&self, i: usize) -> bool {
        self.ops[i].removes(self.run.transforms)
    }

    /// The first op (in order) that removes the node, if any.
    fn remover(&self, matched: &[usize]) -> Option<usize> {
        matched.iter().copied().find(|&i| self.removes(i))
    }
}

impl MatchVisitor for Visitor<'_, '_> {
    type Error = Bail;

    fn enter(&mut self, node: &Value, matched: &[usize], at_root: bool) -> Result<usize, Bail> {
        if at_root {
            return Err(Bail);
        }
        let remover = self.remover(matched);
        let limit = remover.map_or(usize::MAX, |r| r + 1);
        let rewritten_before_removal = matched.iter().any(|&i| i < limit && !self.removes(i));
        if rewritten_before_removal && matches!(node, Value::Object(_) | Value::Array(_)) {
            return Err(Bail);
        }
        Ok(limit)
    }

    fn leave(&mut self, node: &mut Value, matched: &[usize]) -> Result<Leave, Bail> {
        for &i in matched {
            if self.removes(i) {
                self.run.report.redacted += 1;
                return Ok(Leave::Remove);
            }
            self.run.transform(self.ops[i], node)?;
        }
        Ok(Leave::Keep)
    }
}
