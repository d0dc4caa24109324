//! Psoxy's mailbox grammar, exactly (docs/rules.md, "Pseudonyms" → "What is an email").
//!
//! PURE. Psoxy decides whether a value is an email with its `EmailAddressParser` under its
//! default criteria (quoted identifiers, parentheses in local parts, domain literals): one
//! regular expression over the whole value, built from RFC 2822's productions, and the
//! local part and domain read from fixed capture groups. A pseudonym is byte-identical
//! only if both decisions are the same, so this module builds the same expression from
//! the same productions (`build`), reads the same groups ([`parse`]) and applies the same
//! quote stripping. The differential table in `tests/data/psoxy-differential/` (thousands
//! of mailbox strings with Psoxy's own verdicts and pseudonyms) holds the two equal.
//!
//! Two Java constructs are rewritten: atomic groups `(?>…)` become plain groups (the
//! alternatives inside start with disjoint characters, so there is nothing to backtrack
//! into: the same matches and captures), and `\p{Cntrl}` — ASCII only in Java — becomes
//! `\x00-\x1F\x7F`. The `regex` crate's leftmost-first semantics give the captures a
//! backtracking engine gives for a match anchored at both ends. Matching is linear-time.
//!
//! One deliberate difference: a bare `local@[domain literal]` (no angle brackets) parses
//! in Psoxy with no domain at all (its group table reads the trailing-comment group), and
//! pseudonymizing it then fails; here it is not an email (hashed whole, no `@domain`).

use std::sync::LazyLock;

use regex::{Captures, Regex, RegexBuilder};

/// A mailbox as Psoxy's parser returns it: the local part (quotes stripped when the
/// inner text is itself a valid local part) and the domain, both slices of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub local: &'a str,
    pub domain: &'a str,
}

struct Grammar {
    /// The whole value is one mailbox (`MAILBOX_PATTERN`, anchored).
    mailbox: Regex,
    /// The quote-stripping test (`ADDR_SPEC_PATTERN`, anchored).
    addr_spec: Regex,
}

static GRAMMAR: LazyLock<Grammar> = LazyLock::new(build);

/// Compiles the grammar now rather than on the first email (start-up calls it off the
/// request path).
pub(crate) fn warm_up() {
    LazyLock::force(&GRAMMAR);
}

/// The local part and domain of `text` when the whole string is one mailbox.
pub(crate) fn parse(text: &str) -> Option<Parts<'_>> {
    // Every mailbox has an `@`; most pseudonymized values (account ids) have none.
    if !text.contains('@') {
        return None;
    }
    if let Some(parts) = plain_addr_spec(text) {
        return Some(parts);
    }
    let grammar = &*GRAMMAR;
    let captures = grammar.mailbox.captures(text)?;
    let (local, domain) = parts_of(&captures)?;
    let (local, domain) = (java_trim(local), java_trim(domain));
    Some(Parts {
        local: strip_quotes(grammar, local, domain),
        domain,
    })
}

/// The common case without the expression: `local@domain`, each a dot-atom of letters,
/// digits, `_`, `+` and `-` (no CFWS, quotes, brackets or other characters). The mailbox
/// expression reads such a value as a bare addr-spec, local part group 12 and domain
/// group 14, with nothing to trim or unquote, so the answer is the same
/// (`plain_addresses_read_as_the_expression_reads_them` checks it on random values).
/// Matching the expression with its captures is most of the cost of pseudonymizing an
/// email.
fn plain_addr_spec(text: &str) -> Option<Parts<'_>> {
    let (local, domain) = text.split_once('@')?;
    (is_plain_dot_atom(local) && is_plain_dot_atom(domain)).then_some(Parts { local, domain })
}

fn is_plain_dot_atom(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|run| {
            !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'+' | b'-'))
        })
}

/// Groups 5/6 and 7/8 for a name-addr, 12/13 and 14 for a bare addr-spec (whose domain
/// literal, group 16, Psoxy never reads: see the module comment).
fn parts_of<'a>(c: &Captures<'a>) -> Option<(&'a str, &'a str)> {
    let text = |i: usize| c.get(i).map(|m| m.as_str());
    if c.get(1).is_some() {
        Some((text(5).or(text(6))?, text(7).or(text(8))?))
    } else if c.get(10).is_some() {
        Some((text(12).or(text(13))?, text(14)?))
    } else {
        None
    }
}

/// A quoted local part loses its quotes when `inner@domain` is itself an addr-spec.
fn strip_quotes<'a>(grammar: &Grammar, local: &'a str, domain: &str) -> &'a str {
    let inner = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(inner) if local.len() >= 2 => inner,
        _ => return local,
    };
    match grammar.addr_spec.is_match(&format!("{inner}@{domain}")) {
        true => inner,
        false => local,
    }
}

/// Java's `String.trim()`: every char at or below U+0020 off both ends.
fn java_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c <= ' ')
}

/// The two expressions, from RFC 2822's productions under Psoxy's default criteria.
fn build() -> Grammar {
    let crlf = r"\r\n";
    let wsp = r"[ \t]";
    let fwsp = format!("(?:{wsp}*{crlf})?{wsp}+");
    let no_ws_ctl = r"\x01-\x08\x0B\x0C\x0E-\x1F\x7F";
    let ascii_text = r"[\x01-\x09\x0B\x0C\x0E-\x7F]";
    let quoted_pair = format!(r"(?:\\{ascii_text})");
    let ctext = format!(r"[{no_ws_ctl}!-'*-\[\]-~]");
    let ccontent = format!("{ctext}|{quoted_pair}");
    // Comments do not nest (the grammar leaves the recursive `comment` out of ccontent).
    let comment = format!(r"\((?:(?:{fwsp})?{ccontent})*(?:{fwsp})?\)");
    let cfws = format!("(?:(?:{fwsp})?{comment})*(?:(?:(?:{fwsp})?{comment})|(?:{fwsp}))");
    // No `.` and no `[]` in atext: those are optional criteria, off by default.
    let atext = r"[a-zA-Z0-9!#-'*+\-/=?^-`{-~]";
    let atom = format!("(?:{cfws})?{atext}+(?:{cfws})?");
    let dot_atom_text = format!(r"{atext}+(?:\.{atext}+)*");
    let cap_dot_atom_no_cfws = format!("(?:{cfws})?({dot_atom_text})(?:{cfws})?");
    let cap_dot_atom_trailing_cfws = format!("(?:{cfws})?({dot_atom_text})({cfws})?");
    // A display name's quoted text may hold any character but ASCII controls, `\`, `"`.
    let qtext = r#"[^\x00-\x1F\x7F\\"]"#;
    // A quoted local part: ASCII only; `(` and `)` allowed (a default criterion).
    let local_part_qtext = format!(r"[{no_ws_ctl}!#-\[\]-~]");
    let qcontent = format!("(?:{qtext}|{quoted_pair})");
    let local_part_qcontent = format!("(?:{local_part_qtext}|{quoted_pair})");
    let quoted_string_wo_cfws = format!(r#""(?:(?:{fwsp})?{qcontent})*(?:{fwsp})?""#);
    let quoted_string = format!("(?:{cfws})?{quoted_string_wo_cfws}(?:{cfws})?");
    let local_part_quoted_string =
        format!(r#"(?:{cfws})?("(?:(?:{fwsp})?{local_part_qcontent})*(?:{fwsp})?")(?:{cfws})?"#);
    let word = format!("(?:(?:{atom})|(?:{quoted_string}))");
    let phrase = format!("{word}(?:(?:{fwsp}){word})*");
    let dtext = format!(r"[{no_ws_ctl}!-Z^-~]");
    let dcontent = format!("{dtext}|{quoted_pair}");
    let domain_literal = format!(r"\[(?:(?:{fwsp})?(?:{dcontent})+)*(?:{fwsp})?\]");
    let cap_domain_literal_no_cfws = format!("(?:{cfws})?({domain_literal})(?:{cfws})?");
    let cap_domain_literal_trailing_cfws = format!("(?:{cfws})?({domain_literal})({cfws})?");
    let domain = format!("(?:{cap_dot_atom_no_cfws}|{cap_domain_literal_no_cfws})");
    let cap_cfws_domain =
        format!("(?:{cap_dot_atom_trailing_cfws}|{cap_domain_literal_trailing_cfws})");
    let local_part = format!("({cap_dot_atom_no_cfws}|{local_part_quoted_string})");
    let addr_spec = format!("{local_part}@{domain}");
    let unique_addr_spec = format!("{local_part}@{cap_cfws_domain}");
    let angle_addr = format!("(?:{cfws})?<{addr_spec}>({cfws})?");
    // The display name is reluctant (`??`), as in Psoxy's expression.
    let name_addr = format!("({phrase})??({angle_addr})");
    let mailbox = format!("({name_addr})|({unique_addr_spec})");
    Grammar {
        mailbox: anchored(&mailbox),
        addr_spec: anchored(&addr_spec),
    }
}

/// `pattern` matched against the whole input. The grammar is fixed and tested, so a
/// failure to compile is a bug caught by every test run, never a runtime condition.
fn anchored(pattern: &str) -> Regex {
    #[allow(clippy::expect_used)]
    RegexBuilder::new(&format!(r"\A(?:{pattern})\z"))
        .size_limit(64 << 20)
        .dfa_size_limit(16 << 20)
        .nest_limit(128)
        .build()
        .expect("the mailbox grammar compiles")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expression_has_psoxys_seventeen_groups() {
        assert_eq!(
            GRAMMAR.mailbox.captures_len(),
            18,
            "17 groups + the whole match"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// The shortcut answers exactly as the expression does whenever it answers.
        #[test]
        fn plain_addresses_read_as_the_expression_reads_them(
            text in "[a-zA-Z0-9._+@-]{0,6}(@[a-zA-Z0-9._+-]{0,6})?|[a-z.]{1,4}@[a-z.]{1,4}[ (<\"]?"
        ) {
            if let Some(fast) = plain_addr_spec(&text) {
                let captures = GRAMMAR.mailbox.captures(&text);
                let slow = captures.as_ref().and_then(parts_of);
                proptest::prop_assert_eq!(Some((fast.local, fast.domain)), slow, "{:?}", text);
            }
        }
    }

    #[test]
    fn the_shortcut_takes_only_plain_addresses() {
        for text in ["a@b", "first.last+tag@sub.acme-widgets.example", "A_B-9@C"] {
            assert!(plain_addr_spec(text).is_some(), "{text:?}");
        }
        for text in [
            "a@b@c", ".a@b", "a.@b", "a..b@c", "a@b.", "a@", "@b", "a b@c", "\"a\"@b", "<a@b>",
            "a@[b]", "a!@b", "é@b",
        ] {
            assert!(plain_addr_spec(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn notable_inputs() {
        // (input, Some((local, domain)) or None): cases whose reading is easy to get wrong.
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("alice@acme.com", Some(("alice", "acme.com"))),
            ("Alice <alice@acme.com>", Some(("alice", "acme.com"))),
            ("Alice<alice@acme.com>", Some(("alice", "acme.com"))),
            ("A. Person <alice@acme.com>", None),
            ("alice@acme.com (a (nested) c)", None),
            ("\"a+b\"@acme.com", Some(("a+b", "acme.com"))),
            ("\"A.B\"@acme.com", Some(("A.B", "acme.com"))),
            ("\"a b\"@acme.com", Some(("\"a b\"", "acme.com"))),
            ("\"a (x)\"@acme.com", Some(("a (x)", "acme.com"))),
            ("\r\n C@ (x) 19.AcC", Some(("C", "19.AcC"))),
            ("alice\n@acme.com", None),
            ("a@[1.2.3.4]", None),
            ("<A@[AbC]>", Some(("A", "[AbC]"))),
            ("alice@localhost", Some(("alice", "localhost"))),
            ("a@b.com.", None),
            ("\"x\u{85}y\" <a@acme.com>", Some(("a", "acme.com"))),
            ("\"ctl\u{1}\" <c@acme.com>", None),
            ("José <jose@acme.com>", None),
            ("jos\u{e9}@acme.com", None),
            ("g: a@b.com;", None),
            ("alice@acme.com, bob@acme.com", None),
        ];
        for (input, want) in cases {
            let got = parse(input).map(|p| (p.local, p.domain));
            assert_eq!(got, *want, "{input:?}");
        }
    }
}
