//! Parses path text into segments (`ast.rs`), rejecting with a located message and a hint
//! everything we do not evaluate exactly as Jayway does.
//!
//! Grammar accepted (spaces only where shown as `_`):
//! ```text
//! path      = _ "$" segment* _
//! segment   = ".." (name | "*" | bracket) | "." (name | "*") | bracket
//! bracket   = "[" _ ( "*" | names | ints | slice | "?(" filter ")" ) _ "]"
//! names     = quoted (_ "," _ quoted)*         ints = int (_ "," _ int)*
//! slice     = int? _ ":" _ int?                (not "[:]", not "[a:b:c]")
//! ```
//! Invariants enforced here: `..` is never followed by a filter, and `..*`, `..[*]`,
//! `..[n]`, `..[a:b]` only end a path; `[a:b]` has non-negative bounds.

mod filter;

use super::JsonPathError;
use super::ast::{Segment, Selector, Slice};
use super::lexer::{Cursor, err, is_name_char};

/// Nesting limit for filters inside filter operands, so hostile input cannot exhaust the
/// stack; real rule files nest once at most.
pub(crate) const MAX_DEPTH: usize = 32;

/// Parses a whole path.
pub(crate) fn parse_path(src: &str) -> Result<Vec<Segment>, JsonPathError> {
    let mut cur = Cursor::new(src);
    cur.skip_spaces();
    match cur.peek() {
        None => {
            return Err(err(0, "the path is empty").hint("start the path with `$`, e.g. `$.a.b`"));
        }
        Some('@') => {
            return Err(err(
                cur.pos(),
                "`@` (the current node) is only valid inside a filter",
            )
            .hint("start the path with `$`, e.g. `$.a.b`"));
        }
        Some('$') => {
            cur.bump();
        }
        Some(_) => {
            return Err(err(cur.pos(), "a path must start with `$`")
                .hint("Jayway silently prefixes `$.`; write it out, e.g. `$.a.b`"));
        }
    }
    let segments = parse_segments(&mut cur, 0)?;
    let stop = cur.pos();
    cur.skip_spaces();
    match cur.peek() {
        None => {}
        Some(_) if cur.pos() > stop => return Err(unexpected(stop, ' ')),
        Some(c) => return Err(unexpected(cur.pos(), c)),
    }
    check_scan_ends_path(&segments)?;
    Ok(segments.into_iter().map(|(_, s)| s).collect())
}

/// Parses segments while the next char starts one (`.` or `[`); returns each with the char
/// offset where it starts. The caller decides what may follow.
pub(crate) fn parse_segments(
    cur: &mut Cursor,
    depth: usize,
) -> Result<Vec<(usize, Segment)>, JsonPathError> {
    let mut segments = Vec::new();
    loop {
        let start = cur.pos();
        let segment = match cur.peek() {
            Some('.') if cur.starts_with("...") => {
                return Err(err(start, "`...` is not valid").hint("use `..` for a deep scan"));
            }
            Some('.') if cur.starts_with("..") => {
                cur.bump();
                cur.bump();
                Segment::Scan(scan_target(cur, start, depth)?)
            }
            Some('.') => {
                cur.bump();
                Segment::Child(dot_target(cur, start)?)
            }
            Some('[') => Segment::Child(bracket(cur, depth)?),
            _ => return Ok(segments),
        };
        segments.push((start, segment));
    }
}

fn scan_target(cur: &mut Cursor, start: usize, depth: usize) -> Result<Selector, JsonPathError> {
    match cur.peek() {
        Some('[') => match bracket(cur, depth)? {
            Selector::Filter(_) => Err(err(start, "a filter directly after `..` is not supported")
                .hint("filter a named array instead, e.g. `$..items[?(@.type == 'user')]`")),
            selector => Ok(selector),
        },
        Some('*') => {
            cur.bump();
            Ok(Selector::Wildcard)
        }
        Some(c) if is_name_char(c) => dot_name(cur, start),
        _ => Err(
            err(start, "`..` must be followed by a key name, `*` or `[...]`")
                .hint("e.g. `$..email` or `$..['a','b']`"),
        ),
    }
}

fn dot_target(cur: &mut Cursor, start: usize) -> Result<Selector, JsonPathError> {
    match cur.peek() {
        Some('[') => {
            let message = if start > 0 && cur.slice(start - 1, start) == "]" {
                "`].[` is Jayway-only syntax"
            } else {
                "`.[` is Jayway-only syntax"
            };
            Err(err(start, message)
                .hint("drop the `.` before `[`: rewrite `].[` as `][`, e.g. `$..['a','b']['c']`"))
        }
        Some('*') => {
            cur.bump();
            Ok(Selector::Wildcard)
        }
        Some(c) if is_name_char(c) => dot_name(cur, start),
        _ => Err(err(
            start,
            "empty segment: `.` must be followed by a key name or `*`",
        )
        .hint("use bracket notation for keys with spaces or symbols, e.g. `$['my key']`")),
    }
}

fn dot_name(cur: &mut Cursor, start: usize) -> Result<Selector, JsonPathError> {
    let name = cur.read_name();
    if cur.peek() == Some('(') {
        return Err(err(
            start,
            format!("functions like `.{name}()` are not supported"),
        )
        .hint("rules can only select values; remove the function call"));
    }
    Ok(Selector::Names(vec![name]))
}

/// Parses `[ ... ]` starting at `[`.
fn bracket(cur: &mut Cursor, depth: usize) -> Result<Selector, JsonPathError> {
    let open = cur.pos();
    cur.bump();
    cur.skip_spaces();
    let selector = match cur.peek() {
        Some('?') => {
            cur.bump();
            if !cur.eat('(') {
                return Err(err(open, "a filter must be written `[?(...)]`")
                    .hint("e.g. `$.items[?(@.type == 'user')]`"));
            }
            Selector::Filter(Box::new(filter::parse_filter(cur, open, depth + 1)?))
        }
        Some('(') => {
            return Err(err(open, "script expressions `[(...)]` are not supported")
                .hint("use an index, a slice or a filter `[?(...)]`"));
        }
        Some('*') => {
            cur.bump();
            Selector::Wildcard
        }
        Some('\'' | '"') => Selector::Names(quoted_names(cur)?),
        Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => numeric(cur, open)?,
        Some(']') => {
            return Err(err(open, "empty brackets `[]`").hint("e.g. `[0]`, `['key']` or `[*]`"));
        }
        None => return Err(unclosed(open)),
        Some(c) => {
            return Err(err(cur.pos(), format!("unsupported bracket content starting with `{c}`"))
                .hint("brackets hold `*`, quoted names `['a','b']`, indexes `[0,1]`, a slice `[0:2]` or a filter `[?(...)]`"));
        }
    };
    expect_close(cur, open)?;
    Ok(selector)
}

fn quoted_names(cur: &mut Cursor) -> Result<Vec<String>, JsonPathError> {
    let mut names = Vec::new();
    loop {
        names.push(cur.read_quoted()?);
        cur.skip_spaces();
        if !cur.eat(',') {
            return Ok(names);
        }
        cur.skip_spaces();
        if !matches!(cur.peek(), Some('\'' | '"')) {
            return Err(err(cur.pos(), "expected a quoted key name after `,`")
                .hint("names and indexes cannot be mixed in one bracket"));
        }
    }
}

fn numeric(cur: &mut Cursor, open: usize) -> Result<Selector, JsonPathError> {
    let first = if cur.peek() == Some(':') {
        None
    } else {
        Some(cur.read_int()?)
    };
    cur.skip_spaces();
    if !cur.eat(':') {
        let mut indexes = Vec::from_iter(first);
        while cur.eat(',') {
            cur.skip_spaces();
            indexes.push(cur.read_int()?);
            cur.skip_spaces();
        }
        return Ok(Selector::Indexes(indexes));
    }
    cur.skip_spaces();
    let second = match cur.peek() {
        Some(c) if c == '-' || c.is_ascii_digit() => Some(cur.read_int()?),
        _ => None,
    };
    cur.skip_spaces();
    if cur.peek() == Some(':') {
        return Err(err(open, "slice steps `[a:b:c]` are not supported")
            .hint("list the indexes instead, e.g. `[0,2,4]`"));
    }
    match (first, second) {
        (Some(from), None) => Ok(Selector::Slice(Slice::From(from))),
        (None, Some(to)) => Ok(Selector::Slice(Slice::To(to))),
        (Some(from), Some(to)) if from >= 0 && to >= 0 => Ok(Selector::Slice(Slice::Between(from, to))),
        (Some(_), Some(_)) => Err(err(open, "a slice `[a:b]` with a negative bound is not supported")
            .hint("Jayway does not count `[a:b]` bounds from the end consistently; use `[-n:]`, `[:-n]` or explicit indexes")),
        (None, None) => Err(err(open, "`[:]` is not a supported slice").hint("use `[*]` for every element")),
    }
}

fn expect_close(cur: &mut Cursor, open: usize) -> Result<(), JsonPathError> {
    cur.skip_spaces();
    match cur.peek() {
        Some(']') => {
            cur.bump();
            Ok(())
        }
        None => Err(unclosed(open)),
        Some(c) => Err(err(
            cur.pos(),
            format!("expected `]` to close the `[` at {open}, found `{c}`"),
        )),
    }
}

fn unclosed(open: usize) -> JsonPathError {
    err(open, "unbalanced brackets: this `[` is never closed").hint("add the missing `]`")
}

/// The error for a character that cannot continue a path at top level.
fn unexpected(at: usize, c: char) -> JsonPathError {
    match c {
        ']' => err(at, "unbalanced brackets: `]` without a matching `[`"),
        ' ' => err(at, "unexpected space in the path")
            .hint("use bracket notation for keys with spaces, e.g. `$['my key']`"),
        _ => err(
            at,
            format!("unexpected `{c}`: the path cannot continue here"),
        )
        .hint("steps are `.name`, `..name`, `.*`, `[...]`; quote unusual keys as `['key']`"),
    }
}

/// `..*`, `..[*]`, `..[n]` and `..[a:b]` followed by more steps are evaluated differently
/// by different Jayway versions (2.7 ignores the index for deeper steps, later versions
/// keep per-token state across the scan), so there is no single behaviour to copy.
fn check_scan_ends_path(segments: &[(usize, Segment)]) -> Result<(), JsonPathError> {
    let last = segments.len().saturating_sub(1);
    for (i, (offset, segment)) in segments.iter().enumerate() {
        let positional = matches!(
            segment,
            Segment::Scan(Selector::Wildcard | Selector::Indexes(_) | Selector::Slice(_))
        );
        if positional && i < last {
            return Err(err(*offset, "`..*`, `..[*]` and `..[n]` must end the path")
                .hint("Jayway evaluates further steps after them inconsistently; scan for the key instead, e.g. `$..x`, or spell the path out, e.g. `$.a[*].x`"));
        }
    }
    Ok(())
}
