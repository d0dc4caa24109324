//! RFC 2822 address lists for `pseudonymizeEmailHeader` (docs/rules.md, "Transforms").
//!
//! `address-list = address *("," address)`, `address = mailbox / group`,
//! `group = display-name ":" [mailbox-list] ";" [CFWS]`. As the obsolete syntax allows,
//! empty elements between commas (`a@x.com, , b@y.com`) are skipped.
//!
//! Invariant: the result lists each mailbox's text as written (surrounding whitespace
//! trimmed), in order; any element that is not a valid mailbox makes the whole list invalid.

use super::syntax::Cursor;
use super::{parse_mailbox, skip_phrase};

/// The mailboxes of an RFC 2822 address list, each as its own text (e.g.
/// `Alice <alice@acme.com>`); `None` when `text` is not a valid list or holds no address.
pub(crate) fn parse_address_list(text: &str) -> Option<Vec<String>> {
    if !text.is_ascii() {
        return None;
    }
    let mut mailboxes = Vec::new();
    let mut addresses = 0usize;
    let mut in_group = false;
    let mut group_just_closed = false;
    for (piece, delimiter) in split_top_level(text)? {
        if group_just_closed {
            // Only comments or whitespace may follow a group's `;` before the next `,`.
            if !is_blank_cfws(piece) || delimiter.is_some_and(|d| d != b',') {
                return None;
            }
            group_just_closed = false;
            continue;
        }
        match delimiter {
            Some(b':') if !in_group => {
                if !is_display_name(piece) {
                    return None;
                }
                in_group = true;
                addresses += 1;
            }
            Some(b';') if in_group => {
                push_member(piece, &mut mailboxes)?;
                in_group = false;
                group_just_closed = true;
            }
            Some(b',') | None => {
                if push_member(piece, &mut mailboxes)? && !in_group {
                    addresses += 1;
                }
            }
            _ => return None,
        }
    }
    (!in_group && addresses > 0).then_some(mailboxes)
}

/// Adds a mailbox; `Some(false)` for an empty element, `None` for an invalid one.
fn push_member(piece: &str, mailboxes: &mut Vec<String>) -> Option<bool> {
    if is_blank_cfws(piece) {
        return Some(false);
    }
    parse_mailbox(piece)?;
    mailboxes.push(piece.trim_matches([' ', '\t', '\r', '\n']).to_string());
    Some(true)
}

/// Splits at `,` `:` `;` that are outside quoted strings, comments and angle brackets;
/// each piece comes with the delimiter that ended it (`None` for the last one).
fn split_top_level(text: &str) -> Option<Vec<(&str, Option<u8>)>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    let mut in_angle = false;
    while let Some(&b) = text.as_bytes().get(pos) {
        match b {
            b'"' | b'(' => {
                let mut cursor = Cursor::at(text, pos);
                let ok = if b == b'"' {
                    cursor.quoted_string().is_some()
                } else {
                    cursor.skip_cfws()
                };
                if !ok {
                    return None;
                }
                pos = cursor.pos();
                continue;
            }
            b'<' if !in_angle => in_angle = true,
            b'>' if in_angle => in_angle = false,
            b',' | b':' | b';' if !in_angle => {
                pieces.push((text.get(start..pos)?, Some(b)));
                start = pos + 1;
            }
            _ => {}
        }
        pos += 1;
    }
    if in_angle {
        return None;
    }
    pieces.push((text.get(start..)?, None));
    Some(pieces)
}

fn is_blank_cfws(piece: &str) -> bool {
    let mut cursor = Cursor::new(piece);
    cursor.skip_cfws() && cursor.at_end()
}

fn is_display_name(piece: &str) -> bool {
    let mut cursor = Cursor::new(piece);
    skip_phrase(&mut cursor) > 0 && cursor.skip_cfws() && cursor.at_end()
}
