//! Static facts about a compiled path, used to decide which paths of a rules file may be
//! evaluated together in one walk (`multi.rs`) without changing what each one matches.
//!
//! The question answered is: if every match of an earlier path is rewritten in place (a
//! scalar replaced by a scalar) or removed, can a later path match different nodes than it
//! would have on the untouched document? Nodes *inside* a removed node are not the concern
//! here (the walker stops later paths at a removed node); what remains is a later path
//! whose filters read values or keys the earlier path changes, and array indexes that a
//! removal shifts. Every answer errs on the side of "dependent".

use super::JsonPath;
use super::ast::{Expr, Operand, OperandPath, OperandStep, Segment, Selector};

impl JsonPath {
    /// Whether a filter of this path has an operand that starts at the document root
    /// (`$.x`), so that its result depends on the whole document.
    pub fn reads_from_root(&self) -> bool {
        self.filters()
            .any(|e| any_operand_path(e, &mut |p| p.absolute))
    }

    /// When the last selector is a name list (`.a`, `['a','b']`, `..a`): those names. Every
    /// match is then an object member under one of them — never an array element or the root.
    pub fn final_names(&self) -> Option<&[String]> {
        match self.segments.last()? {
            Segment::Child(Selector::Names(names)) | Segment::Scan(Selector::Names(names)) => {
                Some(names)
            }
            _ => None,
        }
    }

    /// Whether this path matches the same nodes whether or not the matches of `earlier`
    /// were first rewritten in place (`earlier_removes == false`: each matched scalar
    /// replaced by another scalar) or removed (`true`). Conservative: `false` when unsure.
    pub fn independent_of(&self, earlier: &JsonPath, earlier_removes: bool) -> bool {
        let has_filters = self.filters().next().is_some();
        let Some(names) = earlier.final_names() else {
            // The earlier path may change array elements: removing one shifts indexes, and
            // any filter may read a changed element.
            let shifts_indexes = earlier_removes && self.uses_indexes();
            return !has_filters && !shifts_indexes;
        };
        // Only members named `names` change. A filter is unaffected when it never names
        // them and compares at most one document value (with a literal): a document object
        // or array then compares the same whatever changed inside it.
        self.filters().all(|e| filter_avoids(e, names))
    }

    fn filters(&self) -> impl Iterator<Item = &Expr> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Child(Selector::Filter(e)) | Segment::Scan(Selector::Filter(e)) => Some(&**e),
            _ => None,
        })
    }

    fn uses_indexes(&self) -> bool {
        self.segments.iter().any(|segment| {
            matches!(
                segment,
                Segment::Child(Selector::Indexes(_) | Selector::Slice(_))
                    | Segment::Scan(Selector::Indexes(_) | Selector::Slice(_))
            )
        })
    }
}

/// Whether `f` holds for some operand path of `expr`.
fn any_operand_path(expr: &Expr, f: &mut impl FnMut(&OperandPath) -> bool) -> bool {
    match expr {
        Expr::Or(items) | Expr::And(items) => items.iter().any(|e| any_operand_path(e, f)),
        Expr::Not(inner) => any_operand_path(inner, f),
        Expr::Exists(path) => f(path),
        Expr::Compare(left, _, right) => [left, right]
            .into_iter()
            .any(|o| matches!(o, Operand::Path(p) if f(p))),
        Expr::Matches(operand, _) => matches!(operand, Operand::Path(p) if f(p)),
    }
}

fn filter_avoids(expr: &Expr, names: &[String]) -> bool {
    let names_a_changed_key = |path: &OperandPath| {
        path.absolute
            || path
                .steps
                .iter()
                .any(|step| matches!(step, OperandStep::Key(k) if names.contains(k)))
    };
    !any_operand_path(expr, &mut |p| names_a_changed_key(p)) && !compares_two_values(expr)
}

/// Whether some comparison has document values on both sides.
fn compares_two_values(expr: &Expr) -> bool {
    match expr {
        Expr::Or(items) | Expr::And(items) => items.iter().any(compares_two_values),
        Expr::Not(inner) => compares_two_values(inner),
        Expr::Compare(Operand::Path(_), _, Operand::Path(_)) => true,
        Expr::Exists(_) | Expr::Compare(..) | Expr::Matches(..) => false,
    }
}
