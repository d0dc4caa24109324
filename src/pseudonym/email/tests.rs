//! Tables for the mailbox grammar, canonicalization and address lists.

use super::*;

#[test]
fn mailboxes_are_recognized_with_parts_as_written() {
    let cases = [
        ("alice@acme.com", "alice", "acme.com"),
        (
            "Alice.Smith+Tag@Sub.ACME.com",
            "Alice.Smith+Tag",
            "Sub.ACME.com",
        ),
        ("Alice <alice@acme.com>", "alice", "acme.com"),
        ("\"Smith, Alice\" <alice@acme.com>", "alice", "acme.com"),
        ("John Q. Public <jqp@acme.com>", "jqp", "acme.com"),
        ("<alice@acme.com>", "alice", "acme.com"),
        ("alice@acme.com (Alice Smith)", "alice", "acme.com"),
        ("(comment) alice@acme.com", "alice", "acme.com"),
        ("alice (x) @ (y) acme.com", "alice", "acme.com"),
        ("Alice < alice@acme.com > ", "alice", "acme.com"),
        ("\"john doe\"@acme.com", "\"john doe\"", "acme.com"),
        ("\"a\\\"b\"@acme.com", "\"a\\\"b\"", "acme.com"),
        ("o'brien@acme.com", "o'brien", "acme.com"),
        (
            "a!#$%&'*+-/=?^_`{|}~z@acme.com",
            "a!#$%&'*+-/=?^_`{|}~z",
            "acme.com",
        ),
        ("x@my-host.example.co.uk", "x", "my-host.example.co.uk"),
        ("x@1.example.io", "x", "1.example.io"),
        (
            "x@a.abcdefghijklmnopqrstuvwxyz",
            "x",
            "a.abcdefghijklmnopqrstuvwxyz",
        ),
        (" alice@acme.com", "alice", "acme.com"),
        ("alice@acme.com\r\n (folded)", "alice", "acme.com"),
    ];
    for (input, local, domain) in cases {
        assert_eq!(
            parse_mailbox(input),
            Some(Mailbox { local, domain }),
            "{input:?}"
        );
    }
}

#[test]
fn non_emails_are_rejected() {
    let cases = [
        "user@localhost",
        "a@b.c1",
        "a@b.c",
        "a@b.abcdefghijklmnopqrstuvwxyza",
        "alice",
        "alice@",
        "@acme.com",
        "alice@@acme.com",
        "alice@acme..com",
        "alice@acme.com.",
        "alice@.acme.com",
        "alice@-acme.com",
        "alice@acme-.com",
        "alice@ac_me.com",
        "alice@[10.0.0.1]",
        ".alice@acme.com",
        "alice.@acme.com",
        "al..ice@acme.com",
        "al ice@acme.com",
        "alice@acme.com bob@acme.com",
        "alice@acme.com, bob@acme.com",
        "Alice <alice@acme.com",
        "Alice alice@acme.com>",
        "Alice <alice@acme.com> trailing",
        "<@route:alice@acme.com>",
        "alice@acme.com (unterminated",
        "\"unterminated@acme.com",
        "josé@acme.com",
        "alice@acmé.com",
        "José <jose@acme.com>",
        "alice@xn--acm-bma.com1",
        "",
        " ",
    ];
    for input in cases {
        assert_eq!(parse_mailbox(input), None, "{input:?} must not be an email");
    }
}

#[test]
fn labels_longer_than_63_are_rejected() {
    let ok = format!("x@{}.com", "a".repeat(63));
    let too_long = format!("x@{}.com", "a".repeat(64));
    assert!(parse_mailbox(&ok).is_some());
    assert!(parse_mailbox(&too_long).is_none());
}

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
        "a@x.com, user@localhost",
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
