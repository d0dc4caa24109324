//! Every unsupported or ambiguous form is a compile error that says what, where (char
//! offset) and, where a rewrite exists, how.

use super::super::JsonPath;

/// (path, expected offset, message fragment, hint fragment or "" for "any or none").
const REJECTED: &[(&str, usize, &str, &str)] = &[
    // Jayway-only syntax seen in the wild, with the rewrite.
    (
        "$..['a','b'].['c']",
        12,
        "`].[` is Jayway-only",
        "rewrite `].[` as `][`, e.g. `$..['a','b']['c']`",
    ),
    (
        "$.['a']",
        1,
        "`.[` is Jayway-only",
        "drop the `.` before `[`",
    ),
    (
        "$.items[?(@.x in ['a','b'])]",
        14,
        "`in` operator",
        "`@.x == 'a' || @.x == 'b'`",
    ),
    (
        "$.items[?(@.x nin ['a','b'])]",
        14,
        "`nin` operator",
        "`@.x != 'a' && @.x != 'b'`",
    ),
    ("$[?(@.x subsetof ['a'])]", 8, "`subsetof` operator", ""),
    ("$[?(@.x anyof ['a'])]", 8, "`anyof` operator", ""),
    ("$[?(@.x noneof ['a'])]", 8, "`noneof` operator", ""),
    ("$[?(@.x size 2)]", 8, "`size` operator", ""),
    ("$[?(@.x empty true)]", 8, "`empty` operator", ""),
    ("$[?(@.x contains 'a')]", 8, "`contains` operator", ""),
    ("$[?(@.x === 1)]", 8, "`===` is not supported", "use `==`"),
    ("$[?(@.x <> 1)]", 8, "unknown operator `<>`", ""),
    // Functions and scripts.
    (
        "$.items.length()",
        7,
        "functions like `.length()`",
        "remove the function",
    ),
    ("$..items.min()", 8, "functions like `.min()`", ""),
    (
        "$[?(@.items.length() > 1)]",
        11,
        "functions like `.length()`",
        "",
    ),
    ("$.items[(@.length-1)]", 7, "script expressions", ""),
    // Structure.
    ("", 0, "the path is empty", "start the path with `$`"),
    ("a.b", 0, "must start with `$`", "`$.a.b`"),
    ("@.a", 0, "only valid inside a filter", ""),
    ("$..", 1, "`..` must be followed", ""),
    ("$...a", 1, "`...` is not valid", ""),
    ("$.", 1, "empty segment", ""),
    ("$.a.", 3, "empty segment", ""),
    ("$.a..", 3, "`..` must be followed", ""),
    ("$.a.[0]", 3, "`.[` is Jayway-only", ""),
    ("$a", 1, "unexpected `a`", ""),
    ("$.*x", 3, "unexpected `x`", ""),
    ("$.a b", 3, "unexpected space", "['my key']"),
    ("$.a\tb", 3, "unexpected `\t`", ""),
    ("$.a[0", 3, "unbalanced brackets", "add the missing `]`"),
    ("$.a]", 3, "unbalanced brackets", ""),
    ("$.a[0]]", 6, "unbalanced brackets", ""),
    ("$[]", 1, "empty brackets", ""),
    ("$[ ]", 1, "empty brackets", ""),
    ("$[a]", 2, "unsupported bracket content", ""),
    ("$['a' 'b']", 6, "expected `]`", ""),
    (
        "$['a', 0]",
        7,
        "expected a quoted key name",
        "cannot be mixed",
    ),
    ("$[0, 'a']", 5, "expected a number", ""),
    ("$[0 1]", 4, "expected `]`", ""),
    ("$['abc]", 2, "never closed", ""),
    ("$['a\\u12']", 4, "4 hex digits", ""),
    ("$['a\\ud800']", 4, "lone surrogate", ""),
    ("$[99999999999]", 2, "out of range", ""),
    ("$[:]", 1, "`[:]`", "`[*]`"),
    ("$[1:2:3]", 1, "slice steps", ""),
    ("$[-3:-1]", 1, "negative bound", ""),
    ("$[1:-1]", 1, "negative bound", "`[:-n]`"),
    // Deep scans Jayway evaluates inconsistently.
    ("$..*.x", 1, "must end the path", "`$..x`"),
    ("$..[*].x", 1, "must end the path", ""),
    ("$.a..[0].x", 3, "must end the path", ""),
    ("$..[1:].x", 1, "must end the path", ""),
    (
        "$..[?(@.x)]",
        1,
        "a filter directly after `..`",
        "`$..items[?(@.type == 'user')]`",
    ),
    // Filters.
    ("$[?@.x]", 1, "`[?(...)]`", ""),
    ("$[?(@.x)", 1, "unbalanced brackets", ""),
    ("$[?(@.x == 1]", 12, "unexpected `]` in filter", ""),
    ("$[?(@.x == 1", 1, "never closed", ""),
    ("$[?((@.x == 1)]", 14, "unexpected `]` in filter", ""),
    ("$[?(@.x == 'abc)]", 11, "never closed", ""),
    ("$[?(true)]", 4, "a literal alone", ""),
    ("$[?(@.x == )]", 11, "unexpected `)`", ""),
    ("$[?(@.x ==)]", 10, "unexpected `)`", ""),
    (
        "$[?(@.x == [1])]",
        11,
        "JSON literals",
        "`@.x == 'a' || @.x == 'b'`",
    ),
    ("$[?(@.x == {})]", 11, "JSON literals", ""),
    ("$[?(@.x == 1e3)]", 11, "exponents", ""),
    ("$[?(@.x == 1.)]", 11, "is not a number", ""),
    ("$[?(@.x == -)]", 11, "is not a number", ""),
    ("$[?(@.x == maybe)]", 11, "unexpected `maybe`", ""),
    (
        "$[?(@.x&&@.y)]",
        7,
        "`&` cannot follow the path `@.x`",
        "add a space",
    ),
    ("$[?(@.x||@.y)]", 7, "`|` cannot follow the path", ""),
    (
        "$[?(!@.x == 1)]",
        4,
        "`!` before a comparison",
        "`!(@.x == 'a')`",
    ),
    ("$[?(!true)]", 5, "a literal alone", ""),
    ("$[?(@..x == 1)]", 5, "must name a single value", ""),
    ("$[?(@.a[*] == 1)]", 7, "must name a single value", ""),
    ("$[?(@['a','b'])]", 5, "must name a single value", ""),
    ("$[?(@.a[0:1])]", 7, "must name a single value", ""),
    ("$[?(@.a[?(@.b)])]", 7, "must name a single value", ""),
    ("$[?(@.x =~ 'a')]", 11, "followed by a regex", ""),
    ("$[?(/a/ =~ @.x)]", 4, "only valid on the right of `=~`", ""),
    (
        "$[?(@.x =~ /a/g)]",
        14,
        "unsupported regex flag `g`",
        "i, m, s, x",
    ),
    ("$[?(@.x =~ /a/u)]", 14, "unsupported regex flag `u`", ""),
    ("$[?(@.x =~ /a)]", 11, "never closed with `/`", ""),
    ("$[?(@.x =~ /(/)]", 11, "invalid regex", ""),
    (
        "$[?(@.x =~ /a(?=b)/)]",
        11,
        "invalid regex",
        "no look-around",
    ),
    (
        "$[?(@.x =~ /a/ && @.y)]",
        14,
        "followed directly by `)`",
        "end the comparison right after the flags",
    ),
    ("$[?(@.x =~ /a/i )]", 14, "followed directly by `)`", ""),
    (
        "$[?((@.x =~ /a/) || @.y == 1)]",
        15,
        "continue with `=` after a regex",
        "put the `=~` comparison last",
    ),
];

#[test]
fn unsupported_paths_are_rejected_with_location_and_hint() {
    let mut failures = Vec::new();
    for &(path, offset, message, hint) in REJECTED {
        match JsonPath::compile(path) {
            Ok(_) => failures.push(format!("{path:?}: compiled, expected `{message}`")),
            Err(e) => {
                let hint_ok =
                    hint.is_empty() || e.hint.as_deref().is_some_and(|h| h.contains(hint));
                if !e.message.contains(message) || e.offset != offset || !hint_ok {
                    failures.push(format!(
                        "{path:?}\n   want @{offset} `{message}` hint `{hint}`\n    got @{} `{}` hint {:?}",
                        e.offset, e.message, e.hint
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn nesting_is_bounded() {
    let deep_parens = format!("$[?({}@.x{})]", "(".repeat(500), ")".repeat(500));
    let error = JsonPath::compile(&deep_parens).unwrap_err();
    assert!(error.message.contains("nested too deeply"), "{error:?}");

    let deep_filters = format!("${}", "[?(@.a".repeat(100));
    let error = JsonPath::compile(&deep_filters).unwrap_err();
    assert!(error.message.contains("nested too deeply"), "{error:?}");

    let fine = format!("$[?({}@.x{})]", "(".repeat(20), ")".repeat(20));
    assert!(JsonPath::compile(&fine).is_ok());
}
