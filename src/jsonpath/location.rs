//! Using a `Location` on a document: reach the node mutably, remove it, render it.
//!
//! Invariants: removal keeps the order of the remaining object keys (`shift_remove`) and
//! array elements (`Vec::remove`); a location that no longer fits the document (a missing
//! key, an index past the end, a step through a scalar) yields `None`, never a panic.
//! Callers removing several locations apply them deepest-first with array indexes
//! descending, so one removal never shifts another (docs/rules.md, "JSONPath").

use std::fmt;

use serde_json::Value;

use super::{Location, Step};

/// The node at `at`; `None` if the path does not exist in `root`.
pub fn get<'a>(root: &'a Value, at: &Location) -> Option<&'a Value> {
    at.0.iter().try_fold(root, |node, step| match (step, node) {
        (Step::Key(key), Value::Object(map)) => map.get(key),
        (Step::Index(i), Value::Array(items)) => items.get(*i),
        _ => None,
    })
}

/// The node at `at`, mutably; `None` if the path does not exist in `root`.
pub fn get_mut<'a>(root: &'a mut Value, at: &Location) -> Option<&'a mut Value> {
    walk_mut(root, &at.0)
}

fn walk_mut<'a>(root: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    steps
        .iter()
        .try_fold(root, |node, step| match (step, node) {
            (Step::Key(key), Value::Object(map)) => map.get_mut(key),
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        })
}

/// Removes the node at `at` from its parent and returns it; `None` for the root (it has
/// no parent) or a location that does not exist.
pub fn remove(root: &mut Value, at: &Location) -> Option<Value> {
    let (last, parent_steps) = at.0.split_last()?;
    let parent = walk_mut(root, parent_steps)?;
    match (last, parent) {
        (Step::Key(key), Value::Object(map)) => map.shift_remove(key),
        (Step::Index(i), Value::Array(items)) if *i < items.len() => Some(items.remove(*i)),
        _ => None,
    }
}

/// Renders like Jayway's path list: `$['a'][0]['b']`. A `'` or `\` inside a key is
/// backslash-escaped so the rendering is unambiguous.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for step in &self.0 {
            match step {
                Step::Key(key) => {
                    f.write_str("['")?;
                    for c in key.chars() {
                        if c == '\'' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("']")?;
                }
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn loc(steps: &[Step]) -> Location {
        Location(steps.to_vec())
    }

    fn key(k: &str) -> Step {
        Step::Key(k.to_owned())
    }

    #[test]
    fn renders_like_jayway_path_lists() {
        let table = [
            (loc(&[]), "$"),
            (loc(&[key("a"), Step::Index(0), key("b")]), "$['a'][0]['b']"),
            (loc(&[key("it's"), key("a\\b")]), "$['it\\'s']['a\\\\b']"),
        ];
        for (location, want) in table {
            assert_eq!(location.to_string(), want);
        }
    }

    #[test]
    fn get_mut_follows_keys_and_indexes_and_refuses_misfits() {
        let mut doc = json!({"a": [{"b": 1}, {"b": 2}], "s": "x"});
        *get_mut(&mut doc, &loc(&[key("a"), Step::Index(1), key("b")])).unwrap() = json!(9);
        assert_eq!(doc, json!({"a": [{"b": 1}, {"b": 9}], "s": "x"}));
        for misfit in [
            loc(&[key("a"), Step::Index(2)]),
            loc(&[key("s"), key("x")]),
            loc(&[key("a"), key("0")]),
            loc(&[Step::Index(0)]),
            loc(&[key("missing")]),
        ] {
            assert!(
                get_mut(&mut doc, &misfit).is_none(),
                "{misfit} should not resolve"
            );
        }
        assert_eq!(get_mut(&mut doc, &loc(&[])).cloned(), Some(doc.clone()));
    }

    #[test]
    fn remove_preserves_order_of_what_remains() {
        let mut doc = json!({"z": 1, "a": 2, "m": [10, 11, 12], "b": 3});
        assert_eq!(remove(&mut doc, &loc(&[key("a")])), Some(json!(2)));
        assert_eq!(
            remove(&mut doc, &loc(&[key("m"), Step::Index(1)])),
            Some(json!(11))
        );
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"z":1,"m":[10,12],"b":3}"#
        );
        assert_eq!(remove(&mut doc, &loc(&[key("m"), Step::Index(5)])), None);
        assert_eq!(remove(&mut doc, &loc(&[key("gone")])), None);
        assert_eq!(remove(&mut doc, &loc(&[])), None, "the root has no parent");
    }
}
