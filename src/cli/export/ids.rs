//! The ids the second round of `--all` runs for, read from a first-round listing's NDJSON
//! file: in first-seen order, each once, only ids that can name a file and a path.
//!
//! Held as one text buffer and the end of each id (about 18 bytes an id for Confluence's
//! numeric ids, where a `Vec<String>` takes 40 and a set to drop repeats as much again):
//! at 100,000 pages they are the second round's whole plan.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;

/// Ids in one buffer, in order.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct IdList {
    text: String,
    ends: Vec<usize>,
}

impl IdList {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn get(&self, index: usize) -> &str {
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.text[start..self.ends[index]]
    }

    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    #[cfg(test)]
    fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|index| self.get(index))
    }

    /// The ids as owned strings, made one at a time.
    pub(super) fn into_owned_iter(self) -> impl Iterator<Item = String> + Send + 'static {
        (0..self.len()).map(move |index| self.get(index).to_owned())
    }

    /// Keeps the first of each repeated id, in order. Sorting positions by id costs a few
    /// bytes an id where a set of the ids would cost a copy of them all.
    fn without_repeats(self) -> IdList {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_unstable_by(|&a, &b| self.get(a).cmp(self.get(b)).then(a.cmp(&b)));
        let mut repeat = vec![false; self.len()];
        for pair in order.windows(2) {
            if self.get(pair[0]) == self.get(pair[1]) {
                repeat[pair[1]] = true;
            }
        }
        drop(order);
        let mut unique = IdList::default();
        for (index, repeated) in repeat.into_iter().enumerate() {
            if !repeated {
                unique.push(self.get(index));
            }
        }
        unique.text.shrink_to_fit();
        unique.ends.shrink_to_fit();
        unique
    }
}

#[cfg(test)]
impl<const N: usize> PartialEq<[&str; N]> for IdList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

/// Ids that are not plain tokens are skipped: they would make odd file names and the
/// proxy's path schemas reject them anyway.
fn is_usable_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// What an id source reads of an item; everything else in the line is skipped unparsed.
#[derive(Deserialize)]
struct ItemHead {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default, rename = "type")]
    kind: Option<Value>,
}

/// Usable ids of exported items (one JSON document per line, of `item_type` if given),
/// in first-seen order, unique. Read line by line: a content search of 100,000 items is
/// not held in memory.
pub(super) fn ids_from_ndjson(reader: impl BufRead, item_type: Option<&str>) -> IdList {
    let mut ids = IdList::default();
    for line in reader.split(b'\n') {
        let Ok(line) = line else {
            break;
        };
        let Ok(item) = serde_json::from_slice::<ItemHead>(&line) else {
            continue;
        };
        if item_type.is_some_and(|t| item.kind.as_ref().and_then(Value::as_str) != Some(t)) {
            continue;
        }
        let id = match item.id {
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        if is_usable_id(&id) {
            ids.push(&id);
        }
    }
    ids.without_repeats()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_are_found_by_type_once_each_and_unusable_ones_dropped() {
        let text = "{\"id\":\"1\",\"type\":\"page\"}\n{\"id\":\"2\",\"type\":\"blogpost\"}\n\
                    {\"id\":\"1\",\"type\":\"page\"}\n{\"id\":3,\"type\":\"page\"}\nnot json\n\
                    {\"id\":\"../x\",\"type\":\"page\"}\n{\"type\":\"page\"}\n\
                    {\"id\":\"4\",\"type\":{\"odd\":1}}\n";
        assert_eq!(ids_from_ndjson(text.as_bytes(), Some("page")), ["1", "3"]);
        assert_eq!(ids_from_ndjson(text.as_bytes(), None), ["1", "2", "3", "4"]);
    }

    proptest! {
        /// Dropping repeats by sorting positions keeps what a set would keep, in order.
        #[test]
        fn without_repeats_keeps_the_first_of_each(ids in prop::collection::vec("[a-c]{0,2}", 0..40)) {
            let mut list = IdList::default();
            for id in &ids {
                list.push(id);
            }
            let mut seen = std::collections::HashSet::new();
            let expected: Vec<&str> = ids.iter().map(String::as_str).filter(|id| seen.insert(*id)).collect();
            let unique = list.without_repeats();
            prop_assert_eq!(unique.iter().collect::<Vec<_>>(), expected);
        }
    }
}
