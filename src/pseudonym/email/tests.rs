//! Tables for canonicalization and address lists.

use super::*;

// Which strings are mailboxes, and their parts, is Psoxy's grammar: `grammar.rs` has the
// notable cases and `tests/integration/psoxy_differential.rs` thousands of Psoxy's own
// verdicts. Here: canonical forms and address lists.

#[test]
fn canonical_forms() {
    use EmailCanonicalization::{IgnoreDots, Strict};
    let cases = [
        ("alice@acme.com", Strict, "alice@acme.com"),
        ("Alice@ACME.com", Strict, "alice@acme.com"),
        (
            "Alice.Smith+news+more@Acme.Com",
            Strict,
            "alice.smith@acme.com",
        ),
        (
            "Alice.Smith+news@Acme.Com",
            IgnoreDots,
            "alicesmith@acme.com",
        ),
        ("a.l.i.c.e@mail.acme.com", IgnoreDots, "alice@mail.acme.com"),
        ("Alice <Alice@Acme.com>", Strict, "alice@acme.com"),
        ("+tag@acme.com", Strict, "@acme.com"),
        ("\"John Doe\"@acme.com", Strict, "\"john doe\"@acme.com"),
        // Psoxy cuts at the first `+` even inside quotes, and drops quotes that only
        // wrap a plain local part.
        ("\"a+b c\"@acme.com", Strict, "\"a@acme.com"),
        ("\"A.B\"@acme.com", Strict, "a.b@acme.com"),
        ("<A@[AbC]>", Strict, "a@[abc]"),
    ];
    for (input, mode, expected) in cases {
        let mailbox = parse_mailbox(input).unwrap();
        assert_eq!(canonicalize(&mailbox, mode), expected, "{input:?} {mode:?}");
    }
}

#[test]
fn address_lists_yield_each_mailbox_text() {
    let cases: &[(&str, &[&str])] = &[
        ("alice@acme.com", &["alice@acme.com"]),
        (
            "alice@acme.com,bob@acme.com",
            &["alice@acme.com", "bob@acme.com"],
        ),
        (
            "Alice <alice@acme.com>, \"Smith, Bob\" <bob@acme.com>",
            &["Alice <alice@acme.com>", "\"Smith, Bob\" <bob@acme.com>"],
        ),
        (
            "a@x.com (Ann, Admin), b@y.com",
            &["a@x.com (Ann, Admin)", "b@y.com"],
        ),
        (
            "Team: a@x.com, b@y.com;, c@z.com",
            &["a@x.com", "b@y.com", "c@z.com"],
        ),
        ("Team: a@x.com; (after)", &["a@x.com"]),
        ("undisclosed-recipients:;", &[]),
        ("a@x.com, , b@y.com,", &["a@x.com", "b@y.com"]),
        ("\"x: y\" <a@x.com>", &["\"x: y\" <a@x.com>"]),
    ];
    for (input, expected) in cases {
        let got = parse_address_list(input);
        let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(got, Some(expected), "{input:?}");
    }
}

#[test]
fn invalid_address_lists_are_none() {
    let cases = [
        "not an email",
        "a@x.com, A. Person <b@y.com>",
        "a@x.com; b@y.com",
        "Team: a@x.com",
        "Team: a@x.com; junk",
        "Team: Inner: a@x.com;;",
        ": a@x.com;",
        "Alice <a@x.com, b@y.com",
        "a@x.com, \"open",
        ",",
        "",
        "josé@acme.com",
    ];
    for input in cases {
        assert_eq!(
            parse_address_list(input),
            None,
            "{input:?} must not be a list"
        );
    }
}
