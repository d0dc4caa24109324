//! Email detection and canonicalization (docs/rules.md, "Pseudonyms") and RFC 2822 address
//! lists (`pseudonymizeEmailHeader`).
//!
//! A value is an email exactly when Psoxy's parser says so ([`grammar`]): the *whole*
//! string is one RFC 2822 mailbox under Psoxy's default criteria — an `addr-spec`
//! (`local@domain`) or a `name-addr` (`Display Name <local@domain>`), with comments and
//! folding whitespace around the pieces, no nested comments, no periods in an unquoted
//! display name, any dot-atom domain (`user@localhost` is one) and domain literals inside
//! angle brackets. The local part and domain are what Psoxy's parser returns.
//!
//! Invariant: [`Mailbox`] fields are slices of the input; only [`canonicalize`] changes
//! case.

mod grammar;
mod list;
mod syntax;

pub(crate) use grammar::warm_up;
pub(crate) use list::parse_address_list;

use super::EmailCanonicalization;
use syntax::Cursor;

/// One parsed mailbox: the local part (a quoted one keeps its quotes unless its inner
/// text is itself a local part) and the domain, as Psoxy's parser returns them.
pub(crate) type Mailbox<'a> = grammar::Parts<'a>;

/// The mailbox `text` is, when the whole string is exactly one mailbox.
pub(crate) fn parse_mailbox(text: &str) -> Option<Mailbox<'_>> {
    grammar::parse(text)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
