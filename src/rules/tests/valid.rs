//! Valid files: the three transform spellings, and what every key compiles into.

use super::{load_valid, read_data};
use crate::rules::model::*;
use crate::rules::raw::RawRules;
use crate::rules::yaml;

#[test]
fn the_three_transform_spellings_compile_alike() {
    let rules = load_valid("valid/spellings.yaml");
    let got: Vec<String> = rules.endpoints[0]
        .transforms
        .iter()
        .map(|t| format!("{:?} {}", t.kind, t.json_paths[0].source()))
        .collect();
    let pseudonymize = "Pseudonymize { encoding: UrlSafeToken, include_reversible: true, include_original: false }";
    let expected = [
        format!("{pseudonymize} $.owner.accountId"),
        format!("{pseudonymize} $.author.accountId"),
        format!("{pseudonymize} $.creator.accountId"),
        "Redact $.owner.displayName".to_owned(),
        "Redact $.author.displayName".to_owned(),
        "Redact $.creator.displayName".to_owned(),
    ];
    assert_eq!(got, expected);
}

/// The node deserializer must produce exactly what serde-saphyr itself produces,
/// locations included (this pins serde-saphyr's `Spanned` protocol we emulate).
#[test]
fn node_deserializer_agrees_with_serde_saphyr() {
    for file in ["valid/full.yaml", "gate/rules.yaml"] {
        let text = read_data(file);
        let direct: RawRules = serde_saphyr::from_str(&text).unwrap();
        let root = yaml::parse(&text).unwrap();
        let recovered = yaml::recover::deserialize_recovering::<RawRules>(&root, &text);
        assert!(
            recovered.problems.is_empty(),
            "{file}: {:?}",
            recovered.problems
        );
        assert_eq!(
            format!("{:#?}", recovered.value.unwrap()),
            format!("{direct:#?}"),
            "{file}"
        );
    }
}

#[test]
fn every_key_compiles_to_its_model() {
    let rules = load_valid("valid/full.yaml");
    assert_eq!(rules.sha1_hex, "91640882a39a701bfe78ce9519a753aa6df53ea3");
    assert_eq!(rules.allowed_request_headers, ["accept", "x-request-id"]);
    let names: Vec<&str> = rules.definitions.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["User", "Page"]);

    let pages = &rules.endpoints[0];
    assert_eq!(
        pages.label,
        "/ex/confluence/{cloudId}/wiki/api/v2/pages/{id}/versions"
    );
    let PathMatcher::Template { params, .. } = &pages.matcher else {
        panic!("template")
    };
    assert_eq!(params, &["cloudId", "id"]);
    assert_eq!(pages.allowed_methods, ["GET", "HEAD", "OPTIONS"]);
    assert_eq!(pages.allowed_request_headers, ["if-none-match"]);
    assert_eq!(
        pages.allowed_query_params.as_deref(),
        Some(
            &[
                "limit".to_owned(),
                "cursor".to_owned(),
                "body-format".to_owned()
            ][..]
        )
    );
    let schemas: Vec<(&str, bool)> = pages
        .query_param_schemas
        .iter()
        .map(|(n, s)| (n.as_str(), s.required))
        .collect();
    assert_eq!(
        schemas,
        [("limit", true), ("body-format", false), ("cursor", false)]
    );
    let path_schemas: Vec<&str> = pages
        .path_parameter_schemas
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(path_schemas, ["id", "cloudId"]);

    let legacy = &rules.endpoints[1];
    assert_eq!(legacy.allowed_methods, ["GET", "HEAD"], "default methods");
    assert_eq!(legacy.allowed_query_params, None, "absent = any");
    assert!(matches!(legacy.matcher, PathMatcher::Regex(_)));
    assert!(legacy.response_schema.is_none() && legacy.transforms.is_empty());
}

#[test]
fn response_schemas_resolve_refs_and_keep_order() {
    let rules = load_valid("valid/full.yaml");
    let schema = rules.endpoints[0].response_schema.as_ref().unwrap();
    assert_eq!(schema.kind, Some(SchemaType::Object));
    let props = schema.properties.as_ref().unwrap();
    assert_eq!(
        props.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["results", "_links"]
    );
    assert_eq!(
        props[0].1.items.as_ref().unwrap().reference,
        Some(1),
        "Page is definition 1"
    );

    let page = &rules.definitions[1].1;
    let page_props = page.properties.as_ref().unwrap();
    let kinds: Vec<(&str, Option<SchemaType>)> = page_props
        .iter()
        .map(|(k, s)| (k.as_str(), s.kind))
        .collect();
    assert_eq!(
        kinds[..4],
        [
            ("id", Some(SchemaType::String)),
            ("version", Some(SchemaType::Integer)),
            ("score", Some(SchemaType::Number)),
            ("archived", Some(SchemaType::Boolean)),
        ]
    );
    assert_eq!(page_props[4].1.reference, Some(0), "owner → User");
    let kind = &page_props[6].1;
    let constants: Vec<_> = kind
        .any_of
        .iter()
        .flatten()
        .map(|s| s.constant.clone())
        .collect();
    assert_eq!(constants, [Some("page".into()), Some("blogpost".into())]);
    let body = &page_props[7].1;
    assert!(body.if_.is_some() && body.then.is_some());
    assert_eq!(body.else_.as_ref().unwrap().kind, Some(SchemaType::Null));
}

#[test]
fn transforms_compile_with_options_and_defaults() {
    let rules = load_valid("valid/full.yaml");
    let t = &rules.endpoints[0].transforms;
    assert_eq!(t.len(), 16);
    assert_eq!(t[0].json_paths.len(), 2);
    assert_eq!(
        t[0].apply_only_when.as_ref().map(|p| p.source()),
        Some("$.results")
    );
    assert!(matches!(
        t[1].kind,
        TransformKind::Pseudonymize {
            encoding: Encoding::Json,
            include_original: true,
            include_reversible: false
        }
    ));
    assert!(matches!(
        t[2].kind,
        TransformKind::PseudonymizeEmailHeader {
            encoding: Encoding::Json
        }
    ));
    let TransformKind::PseudonymizeRegexMatches {
        regex,
        include_reversible: true,
    } = &t[3].kind
    else {
        panic!("{:?}", t[3].kind)
    };
    assert!(
        regex.is_match("mail bob@acme.com now"),
        "searched, not anchored"
    );
    let TransformKind::TextDigest {
        keywords,
        is_json_escaped: false,
        ..
    } = &t[11].kind
    else {
        panic!("{:?}", t[11].kind)
    };
    assert_eq!(keywords, &["action", "budget", "launch"]);
    let TransformKind::TextDigest {
        is_json_escaped: true,
        json_path_to_process_when_escaped: Some(p),
        ..
    } = &t[12].kind
    else {
        panic!("{:?}", t[12].kind)
    };
    assert_eq!(p.source(), "$.text");
    assert!(matches!(t[13].kind, TransformKind::HashIp));
    assert!(matches!(t[14].kind, TransformKind::EncryptIp));
    assert!(matches!(t[15].kind, TransformKind::Redact));
    assert!(matches!(
        t[10].kind,
        TransformKind::Tokenize { regex: None }
    ));
}

/// (transform index, input, does the compiled regex match / what does it find)
#[test]
fn transform_regexes_behave_as_psoxy_uses_them() {
    let rules = load_valid("valid/full.yaml");
    let t = &rules.endpoints[0].transforms;
    let TransformKind::RedactExceptPhrases { phrases } = &t[5].kind else {
        panic!()
    };
    let finds: Vec<Option<&str>> = ["notes of the weekly sync: ok", "1:1 with Bo", "weeklysync"]
        .iter()
        .map(|text| {
            phrases
                .iter()
                .find_map(|p| p.find(text))
                .map(|m| m.as_str())
        })
        .collect();
    assert_eq!(finds, [Some("weekly sync: "), Some("1:1 "), None]);

    let TransformKind::RedactExceptSubstringsMatchingRegexes { exceptions } = &t[6].kind else {
        panic!()
    };
    let group1 = |text: &str| exceptions[0].captures(text).map(|c| c[1].to_owned());
    assert_eq!(group1("fixes ABC-12 today").as_deref(), Some("ABC-12"));
    assert_eq!(
        group1("fixes\nABC-12"),
        None,
        "Java's `.` stops at line ends"
    );

    let TransformKind::FilterTokenByRegex { delimiter, filters } = &t[7].kind else {
        panic!()
    };
    assert_eq!(
        delimiter.split("a  b\tc").collect::<Vec<_>>(),
        ["a", "b", "c"],
        "default \\s+"
    );
    assert!(
        filters[0].is_match("team-x") && !filters[0].is_match("my-team-x"),
        "anchored"
    );

    let TransformKind::Tokenize { regex: Some(regex) } = &t[9].kind else {
        panic!()
    };
    let caps = regex
        .captures("https://acme.atlassian.net/wiki/spaces/X")
        .unwrap();
    assert_eq!(&caps[1], "spaces/X");
}

/// The rules the project ships must load, and read the same through both deserializers.
#[test]
fn shipped_confluence_rules_load() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/confluence.yaml");
    let rules = crate::rules::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(!rules.endpoints.is_empty());
    let text = std::fs::read_to_string(&path).unwrap();
    let direct: RawRules = serde_saphyr::from_str(&text).unwrap();
    let root = yaml::parse(&text).unwrap();
    let recovered = yaml::recover::deserialize_recovering::<RawRules>(&root, &text);
    assert_eq!(
        format!("{:#?}", recovered.value.unwrap()),
        format!("{direct:#?}")
    );
}

#[test]
fn anchors_aliases_and_merge_keys_are_followed() {
    let rules = load_valid("valid/anchors.yaml");
    let summary: Vec<(String, usize, bool)> = rules
        .endpoints
        .iter()
        .map(|e| {
            (
                e.label.clone(),
                e.transforms.len(),
                e.response_schema.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("/people/{id}".to_owned(), 2, true),
            ("/people/{id}/manager".to_owned(), 2, true),
            ("/teams/{id}".to_owned(), 1, false),
        ]
    );
    assert!(matches!(
        rules.endpoints[2].transforms[0].kind,
        TransformKind::Pseudonymize { .. }
    ));
}
