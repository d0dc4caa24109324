//! CQL grammar tests: a table of admitted and refused queries, refusals that never quote
//! the caller, spans and rewriting, dates, declarations, and arbitrary input.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use super::*;

/// Value rules like the shipped rules file's, written out by hand.
#[derive(Debug)]
enum Rule {
    OneOf(&'static [&'static str]),
    SpaceKeyOrPseudonym,
    Digits,
    Date,
}

impl CqlValueRule for Rule {
    fn accepts(&self, value: &str) -> bool {
        match self {
            Rule::OneOf(values) => values.contains(&value),
            Rule::SpaceKeyOrPseudonym => {
                let key = (1..=255).contains(&value.len())
                    && value.bytes().all(|b| b.is_ascii_alphanumeric());
                key || is_pseudonym(value)
            }
            Rule::Digits => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            Rule::Date => is_cql_date(value),
        }
    }
}

fn is_pseudonym(value: &str) -> bool {
    value.strip_prefix("p~").is_some_and(|body| {
        body.len() >= 43
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

fn field(name: &str, operators: &[&str], values: Rule) -> CqlField<Rule> {
    let operators = operators
        .iter()
        .map(|op| CqlOperator::from_declaration(op).unwrap())
        .collect();
    CqlField {
        name: name.to_owned(),
        operators,
        values,
    }
}

fn shipped() -> CqlGrammar<Rule> {
    let kinds: &[&str] = &["page", "blogpost", "comment", "attachment"];
    let dates = ["=", "!=", ">", ">=", "<", "<="];
    CqlGrammar {
        fields: vec![
            field("type", &["=", "!=", "in", "not in"], Rule::OneOf(kinds)),
            field("space", &["=", "in"], Rule::SpaceKeyOrPseudonym),
            field("id", &["=", "in"], Rule::Digits),
            field("ancestor", &["=", "in"], Rule::Digits),
            field("created", &dates, Rule::Date),
            field("lastmodified", &dates, Rule::Date),
        ],
        order_by: vec![
            "id".to_owned(),
            "created".to_owned(),
            "lastmodified".to_owned(),
        ],
        limits: CqlLimits::default(),
    }
}

fn token(len: usize) -> String {
    format!(
        "p~{}",
        "Ab3_-".repeat(len).chars().take(len).collect::<String>()
    )
}

fn nested(depth: usize) -> String {
    format!("{}type = page{}", "(".repeat(depth), ")".repeat(depth))
}

/// `None`: admitted. `Some(kind)`: refused with that kind.
fn table() -> Vec<(String, Option<&'static str>)> {
    let pseudonym = token(43);
    vec![
        // Worklytics' real calls.
        (
            "lastmodified>=2025-08-01 AND lastmodified<=2025-09-29".into(),
            None,
        ),
        (
            "lastmodified>=2025-08-01 AND lastmodified<=2025-09-29 AND space=\"ENG\"".into(),
            None,
        ),
        (
            format!(
                "lastmodified>=2025-08-01 AND lastmodified<=2025-09-29 AND space=\"{pseudonym}\""
            ),
            None,
        ),
        (
            "type=page AND space in (\"A\",\"B\") order by lastmodified desc".into(),
            None,
        ),
        // The shipped golden example (example-api-responses/examples.yaml).
        (
            "type in (page,blogpost) and lastmodified >= \"2024-05-01\"".into(),
            None,
        ),
        // Case, quoting, whitespace and structure that CQL allows.
        (
            "TYPE = page and Space = ENG ORDER BY Created ASC, id".into(),
            None,
        ),
        ("created > \"2025-08-01 10:30\"".into(), None),
        (
            "created >= '2025-08-01' or created < 2025-09-01".into(),
            None,
        ),
        (
            "(type = page OR type = blogpost) AND space = ENG".into(),
            None,
        ),
        ("type = page AND NOT space = ENG".into(), None),
        (
            "space = ENG AND type not in (comment, attachment)".into(),
            None,
        ),
        ("id in (1, 2,3) OR ancestor = 123456".into(), None),
        ("type = page\tAND\r\nspace = ENG".into(), None),
        (
            "space = ENG AND NOT (type = page OR type != comment)".into(),
            None,
        ),
        (nested(DEFAULT_MAX_DEPTH), None),
        // Fields the rules hide.
        ("text ~ \"layoff\"".into(), Some("undeclared_field")),
        ("title ~ \"x\"".into(), Some("undeclared_field")),
        ("creator = \"557058:abc\"".into(), Some("undeclared_field")),
        ("creator = currentUser()".into(), Some("undeclared_field")),
        ("space.title ~ \"x\"".into(), Some("undeclared_field")),
        (
            "type = page AND \"text\" ~ \"x\"".into(),
            Some("unexpected_token"),
        ),
        // Functions.
        ("lastmodified > now(\"-4w\")".into(), Some("function_call")),
        ("created > startOfDay ()".into(), Some("function_call")),
        (
            "space in (\"A\", currentSpace())".into(),
            Some("function_call"),
        ),
        // Quoting and escaping tricks.
        (
            "space = \"A\\\" OR text ~ \\\"x\"".into(),
            Some("value_characters"),
        ),
        ("space = 'A' OR text ~ 'x'".into(), Some("undeclared_field")),
        ("space = \"ENG".into(), Some("unterminated_string")),
        ("space = 'ENG".into(), Some("unterminated_string")),
        ("space = \"ENG\\".into(), Some("unterminated_string")),
        ("space = EN\"G\"".into(), Some("missing_separator")),
        ("space=\"A\"text~\"x\"".into(), Some("missing_separator")),
        ("space = \"A\"\"B\"".into(), Some("missing_separator")),
        ("space = \"E\\tG\"".into(), Some("unsupported_escape")),
        ("space = \"\"".into(), Some("empty_value")),
        (format!("space = {pseudonym}"), Some("unexpected_token")),
        // Unicode confusables and control characters.
        ("ｔｅｘｔ ~ \"x\"".into(), Some("forbidden_character")),
        ("t\u{435}xt ~ \"x\"".into(), Some("forbidden_character")),
        ("space ＝ ENG".into(), Some("forbidden_character")),
        (
            "type = page\u{a0}AND space = ENG".into(),
            Some("forbidden_character"),
        ),
        ("type\u{b}= page".into(), Some("forbidden_character")),
        ("type = page\u{7}".into(), Some("forbidden_character")),
        ("type = page\u{0}".into(), Some("forbidden_character")),
        ("space = \"EN\u{1b}G\"".into(), Some("forbidden_character")),
        (
            "type = page && space = ENG".into(),
            Some("forbidden_character"),
        ),
        (
            "type = page AND ! space = ENG".into(),
            Some("forbidden_character"),
        ),
        // Sorting.
        (
            "type = page order by title".into(),
            Some("order_by_not_allowed"),
        ),
        (
            "type = page order by creator".into(),
            Some("order_by_not_allowed"),
        ),
        ("order by id".into(), Some("no_condition")),
        ("type = page order by".into(), Some("unexpected_end")),
        ("type = page order id".into(), Some("unexpected_token")),
        (
            "type = page order by id desc asc".into(),
            Some("unexpected_token"),
        ),
        // Operators and values.
        (
            "lastmodified ~ \"2025\"".into(),
            Some("operator_not_allowed"),
        ),
        (
            "space != ENG AND type = page".into(),
            Some("operator_not_allowed"),
        ),
        ("type == page".into(), Some("unexpected_token")),
        ("type = Page".into(), Some("value_not_allowed")),
        ("id = 12a".into(), Some("value_not_allowed")),
        ("created > 2025/08/01".into(), Some("value_not_allowed")),
        ("created > \"2025-13-01\"".into(), Some("value_not_allowed")),
        ("space = \"~557058abc\"".into(), Some("value_not_allowed")),
        ("space = and".into(), Some("keyword_as_value")),
        ("space = EMPTY".into(), Some("keyword_as_value")),
        ("space in \"ENG\"".into(), Some("unexpected_token")),
        ("space in ()".into(), Some("empty_list")),
        // Structure.
        ("".into(), Some("empty")),
        ("  \n ".into(), Some("empty")),
        ("NOT type = page".into(), Some("negative_first")),
        (
            "(NOT type = page) AND space = ENG".into(),
            Some("negative_first"),
        ),
        ("type != comment".into(), Some("negative_first")),
        ("type = page AND".into(), Some("unexpected_end")),
        (
            "type = page AND NOT NOT space = ENG".into(),
            Some("unexpected_token"),
        ),
        ("space = ENG type = page".into(), Some("unexpected_token")),
        ("()".into(), Some("empty_group")),
        ("type = page AND ()".into(), Some("empty_group")),
        ("type = page)".into(), Some("unexpected_token")),
        ("(type = page".into(), Some("unexpected_end")),
        (nested(DEFAULT_MAX_DEPTH + 1), Some("too_deep")),
        ("(".repeat(1000), Some("too_deep")),
        ("type = page AND ".repeat(200), Some("too_long")),
    ]
}

#[test]
fn the_table_is_admitted_or_refused_as_stated() {
    let grammar = shipped();
    assert!(table().len() >= 40);
    for (cql, expected) in table() {
        let got = grammar.check(&cql).map(|_| ()).map_err(|r| r.kind());
        assert_eq!(got, expected.map_or(Ok(()), Err), "query {cql:?}");
    }
}

#[test]
fn refusals_never_quote_the_caller() {
    let grammar = shipped();
    let canary = "zqxj";
    let inputs = [
        format!("{canary} = page"),
        format!("type = {canary}"),
        format!("type = \"{canary}\""),
        format!("type = page order by {canary}"),
        format!("lastmodified > {canary}(\"-4w\")"),
        format!("space = \"{canary}"),
        format!("space = \"A\"{canary}"),
        format!("type = page {canary}"),
        format!("type {canary} page"),
        format!("(type = page) AND {canary} ~ x"),
        format!("space = \"\\{canary}\""),
        format!("type = page AND {canary}"),
    ];
    for cql in inputs {
        let refusal = grammar.check(&cql).unwrap_err();
        let message = refusal.to_string();
        assert!(!message.contains(canary), "{cql:?} gave {message:?}");
    }
    for (cql, expected) in table() {
        if expected.is_some() {
            let message = grammar.check(&cql).unwrap_err().to_string();
            for secret in ["layoff", "557058", "text", "title", "creator", "now("] {
                assert!(!message.contains(secret), "{cql:?} gave {message:?}");
            }
        }
    }
}

#[test]
fn refusals_name_positions_and_declared_things() {
    let grammar = shipped();
    let message = |cql: &str| grammar.check(cql).unwrap_err().to_string();
    assert_eq!(
        message("type = page AND text ~ x"),
        "an undeclared field at byte 16"
    );
    assert_eq!(
        message("lastmodified ~ \"2025\""),
        "operator `~` at byte 13 is not allowed for field `lastmodified`"
    );
    assert_eq!(
        message("id = x"),
        "value at byte 5 is not allowed for field `id`"
    );
    assert_eq!(
        message("order by id"),
        "ORDER BY without a condition is not allowed"
    );
}

#[test]
fn values_come_with_their_spans() {
    let pseudonym = token(44);
    let cql =
        format!("Space in ('ENG', \"{pseudonym}\") AND created >= 2025-08-01 order by id DESC");
    let query = shipped().check(&cql).unwrap();
    let clauses: Vec<_> = query
        .clauses
        .iter()
        .map(|c| (c.field.as_str(), c.operator, c.values.len()))
        .collect();
    assert_eq!(
        clauses,
        [
            ("space", CqlOperator::In, 2),
            ("created", CqlOperator::GreaterOrEqual, 1)
        ]
    );
    for value in query.clauses.iter().flat_map(|c| &c.values) {
        let raw = cql.get(value.span.clone()).unwrap();
        let unquoted = match value.quoting {
            CqlQuoting::Bare => raw,
            _ => raw.get(1..raw.len() - 1).unwrap(),
        };
        assert_eq!(unquoted, value.text);
    }
    let quoting: Vec<_> = query
        .clauses
        .iter()
        .flat_map(|c| &c.values)
        .map(|v| v.quoting)
        .collect();
    assert_eq!(
        quoting,
        [CqlQuoting::Single, CqlQuoting::Double, CqlQuoting::Bare]
    );
    assert_eq!(query.clauses.first().unwrap().field_span, 0..5);
    let order = CqlOrder {
        field: "id".to_owned(),
        descending: true,
    };
    assert_eq!(query.order_by, [order]);
}

/// The proxy replaces a `p~` token inside a quoted CQL value by its original; the query
/// as sent upstream must keep its structure, whatever the original holds.
#[test]
fn originals_in_place_of_pseudonyms_keep_the_structure_or_are_refused() {
    let pseudonym = token(43);
    let cql = format!("space = '{pseudonym}' AND type = page AND space in (ENG, \"{pseudonym}\")");
    shipped().check(&cql).unwrap();
    let upstream = |original: &str| cql.replace(&pseudonym, original);
    // A personal-space key: the value rule would refuse it, the structure holds.
    let key = upstream("~557058:a b");
    assert!(shipped().check(&key).is_err());
    let structure = shipped().check_structure(&key).unwrap();
    assert_eq!(structure.clauses.len(), 3);
    for hostile in ["a' OR text ~ 'x", "a\" OR text ~ \"x", "a\\", "a\nb"] {
        let refused = shipped().check_structure(&upstream(hostile));
        assert!(refused.is_err(), "{hostile:?}");
    }
}

#[test]
fn dates_are_checked_in_both_spellings() {
    for date in ["2025-08-01", "2025-12-31 23:59", "0001-01-01 00:00"] {
        assert!(is_cql_date(date), "{date}");
    }
    let refused = [
        "2025-8-01",
        "2025-00-01",
        "2025-13-01",
        "2025-01-32",
        "2025/08/01",
        "2025-08-01 24:00",
        "2025-08-01 10:60",
        "2025-08-01  10:00",
        "2025-08-01T10:00",
        "2025-08-01 10",
        "",
        "+025-08-01",
        "2025-08-01-01",
        "２０２５-08-01",
    ];
    for date in refused {
        assert!(!is_cql_date(date), "{date}");
    }
}

#[test]
fn declarations_are_validated() {
    assert!(shipped().declaration_problems().is_empty());
    let mut grammar = shipped();
    grammar.fields.push(field("Title", &["~"], Rule::Digits));
    grammar.fields.push(field("type", &["="], Rule::Digits));
    grammar.fields.push(field("order", &[], Rule::Digits));
    grammar.order_by.push("ｔitle".to_owned());
    assert_eq!(grammar.declaration_problems().len(), 5);
    assert_eq!(
        CqlOperator::from_declaration("NOT IN"),
        Some(CqlOperator::NotIn)
    );
    assert_eq!(CqlOperator::from_declaration("not  in"), None);
    assert_eq!(CqlOperator::from_declaration("=="), None);
}

/// Pieces of CQL and awkward characters that random inputs are made of.
const PIECES: [&str; 37] = [
    "type",
    "space",
    "id",
    "created",
    "text",
    " ",
    "=",
    "!",
    "~",
    "<",
    ">",
    "(",
    ")",
    ",",
    "\"",
    "'",
    "\\",
    "and",
    "OR",
    "not",
    "in",
    "order",
    "by",
    "desc",
    "page",
    "ENG",
    "2025-08-01",
    "é",
    "ｔ",
    "\u{0}",
    "\t",
    "now",
    "-",
    ".",
    "/",
    "p~",
    "12",
];

/// A deterministic xorshift generator: `next(bound)` is in `0..bound`.
fn generator() -> impl FnMut(usize) -> usize {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    move |bound| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    }
}

/// `query` with a random char-aligned range replaced by nothing or a random piece.
fn mutated(query: &str, next: &mut impl FnMut(usize) -> usize) -> String {
    let boundaries: Vec<usize> = query
        .char_indices()
        .map(|(i, _)| i)
        .chain([query.len()])
        .collect();
    let cut = boundaries[next(boundaries.len())];
    let resume = boundaries[next(boundaries.len())].max(cut);
    let insert = if next(2) == 0 {
        ""
    } else {
        PIECES[next(PIECES.len())]
    };
    format!("{}{insert}{}", &query[..cut], &query[resume..])
}

/// Random queries made of [`PIECES`], and random edits of the admitted table rows:
/// the checker must return (never panic), and whatever it admits must check again to
/// the same result.
#[test]
fn arbitrary_input_never_panics() {
    let grammar = shipped();
    let mut next = generator();
    let mut inputs: Vec<String> = (0..10_000)
        .map(|_| (0..next(24)).map(|_| PIECES[next(PIECES.len())]).collect())
        .collect();
    for (query, refusal) in table() {
        if refusal.is_none() {
            inputs.extend((0..500).map(|_| mutated(&query, &mut next)));
        }
    }
    let mut accepted = 0;
    for cql in &inputs {
        if let Ok(query) = grammar.check(cql) {
            accepted += 1;
            assert_eq!(grammar.check(&query.source).unwrap(), query);
            assert!(grammar.check_structure(cql).is_ok(), "structure of {cql:?}");
            assert!(query.clauses.iter().all(|c| !c.values.is_empty()));
        }
    }
    assert!(accepted > 100, "{accepted}");
}
