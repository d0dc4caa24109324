//! Email detection and canonicalization (docs/rules.md, "Pseudonyms") and RFC 2822 address
//! lists (`pseudonymizeEmailHeader`).
//!
//! A value is an email when the *whole* string is one RFC 2822 mailbox: an `addr-spec`
//! (`local@domain`) or a `name-addr` (`Display Name <local@domain>`), with optional comments
//! and folding whitespace around the pieces. The local part is a dot-atom or a quoted string;
//! the domain is dot-separated labels `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`, at least
//! two of them, the last being 2–26 ASCII letters (so `user@localhost` and `a@b.c1` are not
//! emails). Domain literals (`[1.2.3.4]`), source routes and non-ASCII text are rejected.
//!
//! Invariant: [`Mailbox`] fields are slices of the input exactly as written; only
//! [`canonicalize`] changes case.

mod list;
mod syntax;

pub(crate) use list::parse_address_list;

use super::EmailCanonicalization;
use syntax::Cursor;

/// One parsed mailbox; both parts are the text as written (a quoted local part keeps its
/// quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mailbox<'a> {
    pub local: &'a str,
    pub domain: &'a str,
}

/// The mailbox `text` is, when the whole string is exactly one RFC 2822 mailbox.
pub(crate) fn parse_mailbox(text: &str) -> Option<Mailbox<'_>> {
    if !text.is_ascii() {
        return None;
    }
    let mut cursor = Cursor::new(text);
    if let Some(mailbox) = addr_spec(&mut cursor).filter(|_| cursor.at_end()) {
        return Some(mailbox);
    }
    let mut cursor = Cursor::new(text);
    name_addr(&mut cursor).filter(|_| cursor.at_end())
}

/// The canonical form that is hashed (docs/rules.md, "Pseudonyms"): local part lowercased and cut at the first `+`
/// (and without dots under `IgnoreDots`), `@`, domain lowercased. The display name is gone.
pub(crate) fn canonicalize(mailbox: &Mailbox, canonicalization: EmailCanonicalization) -> String {
    let mut local = mailbox.local.to_ascii_lowercase();
    if let Some(plus) = local.find('+') {
        local.truncate(plus);
    }
    if canonicalization == EmailCanonicalization::IgnoreDots {
        local.retain(|c| c != '.');
    }
    format!("{local}@{}", mailbox.domain.to_ascii_lowercase())
}

/// `[CFWS] local [CFWS] "@" [CFWS] domain [CFWS]`.
fn addr_spec<'a>(cursor: &mut Cursor<'a>) -> Option<Mailbox<'a>> {
    if !cursor.skip_cfws() {
        return None;
    }
    let (start, end) = cursor.dot_atom().or_else(|| cursor.quoted_string())?;
    let local = cursor.slice(start, end);
    if !(cursor.skip_cfws() && cursor.eat(b'@') && cursor.skip_cfws()) {
        return None;
    }
    let (start, end) = cursor.dot_atom()?;
    let domain = cursor.slice(start, end);
    (is_valid_domain(domain) && cursor.skip_cfws()).then_some(Mailbox { local, domain })
}

/// `[phrase] [CFWS] "<" addr-spec ">" [CFWS]`.
fn name_addr<'a>(cursor: &mut Cursor<'a>) -> Option<Mailbox<'a>> {
    skip_phrase(cursor);
    if !(cursor.skip_cfws() && cursor.eat(b'<')) {
        return None;
    }
    let mailbox = addr_spec(cursor)?;
    (cursor.eat(b'>') && cursor.skip_cfws()).then_some(mailbox)
}

/// A display name: words (atoms or quoted strings) with comments and whitespace between,
/// and — as RFC 2822's obsolete phrase syntax allows — periods after the first word
/// (`John Q. Public`). Returns how many words were consumed; the cursor stops before the
/// first thing that is not part of the phrase.
fn skip_phrase(cursor: &mut Cursor) -> usize {
    let mut words = 0;
    loop {
        let save = cursor.pos();
        if cursor.skip_cfws() && (cursor.atom().is_some() || cursor.quoted_string().is_some()) {
            words += 1;
        } else if !(words > 0 && cursor.eat(b'.')) {
            cursor.reset(save);
            return words;
        }
    }
}

/// Labels `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?` joined by dots, at least two, the
/// last one 2–26 ASCII letters.
fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let Some(last) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|label| is_valid_label(label))
        && (2..=26).contains(&last.len())
        && last.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_valid_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= 63
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
