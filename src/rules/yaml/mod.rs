//! A located YAML node tree: the first, lenient stage of loading a rules file.
//!
//! serde-saphyr parses the text into [`Node`]s, each with its tag and source location.
//! Only YAML syntax (and serde-saphyr's resource budget) can fail here; everything about
//! the *shape* of the document is checked later by deserializing the tree into the raw
//! mirror, which can then report every problem instead of stopping at the first.
//!
//! Invariants: every node has a unique `id` (pre-order); depth is bounded by serde-saphyr's
//! budget (64 levels), so recursive walks over the tree cannot exhaust the stack.

mod access;
pub(crate) mod de;
pub(crate) mod de_error;
pub(crate) mod recover;

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned, Tagged};

use crate::rules::diagnostics::Problem;

/// One YAML node with where it came from.
#[derive(Debug)]
pub(crate) struct Node {
    /// Unique within one tree, assigned in pre-order after parsing.
    pub id: usize,
    pub value: Value,
    /// The tag as the parser resolved it: `pseudonymize` for `!<pseudonymize>`, `!redact`
    /// for `!redact`, `tag:yaml.org,2002:str` for `!!str`.
    pub tag: Option<String>,
    /// Where the node is used (for an alias, the `*alias` token).
    pub at: Location,
    /// Where the node's text is (for an alias, the anchored definition).
    pub defined: Location,
}

#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in document order (merged `<<` entries after explicit ones).
    Map(Vec<(Node, Node)>),
}

const CORE_TAG_PREFIX: &str = "tag:yaml.org,2002:";

impl Node {
    /// An application tag (anything but YAML core tags and the non-specific `!`).
    pub(crate) fn app_tag(&self) -> Option<&str> {
        self.tag
            .as_deref()
            .filter(|t| !t.starts_with(CORE_TAG_PREFIX) && *t != "!")
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The text of a scalar as a string target would see it: a string's value, or the
    /// source spelling of a number, boolean or null (`12`, `1.50`, `true`, `~`).
    pub(crate) fn scalar_text<'s>(&'s self, src: &'s str) -> Option<Cow<'s, str>> {
        match &self.value {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::Seq(_) | Value::Map(_) => None,
            _ => Some(Cow::Borrowed(
                source_slice(src, &self.defined).unwrap_or(""),
            )),
        }
    }

    /// Looks up a mapping entry by its key text.
    pub(crate) fn entry<'s>(&'s self, key: &str, src: &'s str) -> Option<(&'s Node, &'s Node)> {
        let Value::Map(entries) = &self.value else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| k.scalar_text(src).as_deref() == Some(key))
            .map(|(k, v)| (k, v))
    }
}

/// The source text a location's span covers, when byte offsets are known.
pub(crate) fn source_slice<'s>(src: &'s str, loc: &Location) -> Option<&'s str> {
    let span = loc.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    src.get(start..start.checked_add(len)?)
}

/// 1-based line and char column of a byte offset into `src`.
pub(crate) fn position_of(src: &str, byte: usize) -> (u64, u64) {
    let before = src.get(..byte).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u64, column as u64)
}

/// Where a node's tag is written: the closest preceding `spelled` text separated from
/// the node only by whitespace, else the node itself (an anchor in between, say).
pub(crate) fn tag_position(src: &str, node: &Node, spelled: &str) -> (u64, u64) {
    let fallback = (node.at.line(), node.at.column());
    let found = node
        .at
        .span()
        .byte_offset()
        .and_then(|end| src.get(..usize::try_from(end).ok()?))
        .and_then(|before| {
            let start = before.rfind(spelled)?;
            before[start + spelled.len()..]
                .chars()
                .all(char::is_whitespace)
                .then_some(start)
        });
    found.map_or(fallback, |start| position_of(src, start))
}

/// Where char `offset` of a string value is in the source: exact for a single-line plain
/// or simply quoted scalar; otherwise (escapes, folding, block scalars, aliases) the start
/// of the scalar, which is still the right line.
pub(crate) fn position_in_scalar(src: &str, value: &Spanned<String>, offset: usize) -> (u64, u64) {
    let start = (value.referenced.line(), value.referenced.column());
    if value.referenced != value.defined || value.value.contains('\n') {
        return start;
    }
    let Some(raw) = source_slice(src, &value.referenced) else {
        return start;
    };
    let text = value.value.as_str();
    let shift = if raw == text {
        0
    } else if raw.len() == text.len() + 2
        && (raw.starts_with('\'') || raw.starts_with('"'))
        && raw.get(1..raw.len() - 1) == Some(text)
    {
        1
    } else {
        return start;
    };
    let offset = offset.min(text.chars().count()) as u64;
    (start.0, start.1 + shift + offset)
}

/// Parses one YAML document into a node tree. The error is the parser's first problem.
pub(crate) fn parse(src: &str) -> Result<Node, Problem> {
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2 core booleans only: a key or value spelled `n`, `no` or `on` stays a string.
    options.strict_booleans = true;
    match serde_saphyr::from_str_with_options::<Node>(src, options) {
        Ok(mut root) => {
            number(&mut root, &mut 0);
            Ok(root)
        }
        Err(error) => {
            let (line, column) = error
                .location()
                .filter(|l| l.line() > 0)
                .map_or((1, 1), |l| (l.line(), l.column().max(1)));
            Err(Problem::new(line, column, parse_message(&error)))
        }
    }
}

/// The parser's reason in words; budget breaches get ours (theirs is a Debug dump).
fn parse_message(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::budget::BudgetBreach;
    match error.without_snippet() {
        serde_saphyr::Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => {
            let limit = serde_saphyr::Budget::default().max_depth;
            format!("nesting deeper than {limit} levels is not supported")
        }
        serde_saphyr::Error::Budget { .. } => {
            "the document is too large or too complex (nodes, aliases or anchors)".to_owned()
        }
        inner => {
            let formatter = serde_saphyr::UserMessageFormatter;
            let message = serde_saphyr::MessageFormatter::format_message(&formatter, inner);
            format!("invalid YAML: {message}")
        }
    }
}

fn number(node: &mut Node, next: &mut usize) {
    node.id = *next;
    *next += 1;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| number(n, next)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            number(k, next);
            number(v, next);
        }),
        _ => {}
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Tagged<Value>>::deserialize(deserializer)?;
        let Tagged(value, tag) = spanned.value;
        Ok(Node {
            id: 0,
            value,
            tag,
            at: spanned.referenced,
            defined: spanned.defined,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML scalar, sequence or mapping")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::UInt(v))
    }

    // Integers beyond 64 bits only ever feed `const` comparisons; a float keeps them usable.
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Float(v as f64))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Float(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Node, Node>()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn kinds(node: &Node, src: &str, out: &mut Vec<String>) {
        let text = node
            .scalar_text(src)
            .map(|t| t.into_owned())
            .unwrap_or_default();
        out.push(format!(
            "{}@{}:{} {:?} {}",
            node.id,
            node.at.line(),
            node.at.column(),
            node.tag,
            text
        ));
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|n| kinds(n, src, out)),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                kinds(k, src, out);
                kinds(v, src, out);
            }),
            _ => {}
        }
    }

    #[test]
    fn keeps_tags_locations_and_scalar_spelling() {
        let src = "a: !<pseudonymize>\n  x: 1.50\nn: !redact ~\nyes: 'q'\n";
        let root = parse(src).unwrap();
        let mut out = Vec::new();
        kinds(&root, src, &mut out);
        assert_eq!(
            out,
            [
                "0@1:1 None ",
                "1@1:1 None a",
                "2@2:3 Some(\"pseudonymize\") ",
                "3@2:3 None x",
                "4@2:6 None 1.50",
                "5@3:1 None n",
                "6@3:12 Some(\"!redact\") ~",
                "7@4:1 None yes",
                "8@4:6 None q",
            ]
        );
    }

    #[test]
    fn positions_inside_scalars_account_for_quotes() {
        #[derive(serde::Deserialize)]
        struct Doc {
            a: Spanned<String>,
            b: Spanned<String>,
            c: Spanned<String>,
            d: Spanned<String>,
        }
        let src = "a: $.x[\nb: '$.x['\nc: \"$.\\u0078[\"\nd: >\n  $.x[\n";
        let doc: Doc = serde_saphyr::from_str(src).unwrap();
        assert_eq!(position_in_scalar(src, &doc.a, 4), (1, 8));
        assert_eq!(position_in_scalar(src, &doc.b, 4), (2, 9));
        assert_eq!(
            position_in_scalar(src, &doc.c, 4),
            (3, 4),
            "escapes: start of scalar"
        );
        assert_eq!(
            position_in_scalar(src, &doc.d, 4).0,
            5,
            "block scalar: its line"
        );
    }

    #[test]
    fn tags_are_found_before_their_node() {
        let src = "t:\n  - !<redact>\n    jsonPaths: []\n  - !hashIp {jsonPaths: []}\n";
        let root = parse(src).unwrap();
        let Value::Map(top) = &root.value else {
            panic!()
        };
        let Value::Seq(items) = &top[0].1.value else {
            panic!()
        };
        assert_eq!(tag_position(src, &items[0], "!<redact>"), (2, 5));
        assert_eq!(tag_position(src, &items[1], "!hashIp"), (4, 5));
    }

    #[test]
    fn syntax_errors_are_located() {
        let problem = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!((problem.line, problem.column), (2, 2));
        assert!(
            problem.message.starts_with("invalid YAML: "),
            "{}",
            problem.message
        );
    }
}
