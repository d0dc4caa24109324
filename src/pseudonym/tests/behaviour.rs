//! Behaviour of the public API: input rules, email handling, keys, reversal, secrecy.

use super::super::{
    EmailCanonicalization as Canon, EmailDomainHandling as Domains, PseudonymConfig,
    PseudonymError, Pseudonymizer, TokenProblem, is_java_blank,
};
use super::{REFERENCE, reference_config, token, with_email_options};

fn keyless() -> Pseudonymizer {
    Pseudonymizer::new(PseudonymConfig {
        salt: "salt".into(),
        ..PseudonymConfig::default()
    })
}

#[test]
fn blank_strings_have_no_pseudonym() {
    for blank in ["", " ", "\t\n\r", "\u{2003}", "\u{3000} \u{1f}"] {
        assert_eq!(REFERENCE.pseudonymize(blank, true), Ok(None), "{blank:?}");
    }
    // Java does not count the no-break spaces (nor U+0085) as whitespace.
    for not_blank in ["\u{a0}", "\u{2007}", "\u{202f}", "\u{85}", " x "] {
        assert!(!is_java_blank(not_blank), "{not_blank:?}");
        assert!(
            REFERENCE.pseudonymize(not_blank, false).unwrap().is_some(),
            "{not_blank:?}"
        );
    }
}

#[test]
fn non_emails_are_hashed_exactly_as_given() {
    let pairs = [
        ("ABC", "abc"),
        (" x", "x"),
        ("x ", "x"),
        ("1.5", "1.50"),
        ("A. Person <ALICE@acme.com>", "A. Person <alice@acme.com>"),
    ];
    for (a, b) in pairs {
        assert_ne!(
            token(&REFERENCE, a, false),
            token(&REFERENCE, b, false),
            "{a:?} vs {b:?}"
        );
    }
    let p = REFERENCE
        .pseudonymize("A. Person <alice@acme.com>", false)
        .unwrap()
        .unwrap();
    assert_eq!(p.domain, None);
}

#[test]
fn equivalent_emails_share_a_hash_and_keep_their_written_domain() {
    let reference = REFERENCE
        .pseudonymize("alice@acme.com", false)
        .unwrap()
        .unwrap();
    let cases = [
        ("Alice@ACME.com", "ACME.com"),
        ("alice+news@acme.com", "acme.com"),
        ("ALICE+x+y@Acme.Com", "Acme.Com"),
        ("Alice Smith <alice@acme.com>", "acme.com"),
        ("alice@acme.com (work)", "acme.com"),
    ];
    for (input, domain) in cases {
        let p = REFERENCE.pseudonymize(input, false).unwrap().unwrap();
        assert_eq!(p.hash, reference.hash, "{input:?}");
        assert_eq!(p.domain.as_deref(), Some(domain), "{input:?}");
    }
    assert_ne!(
        token(&REFERENCE, "alice.smith@acme.com", false),
        token(&REFERENCE, "alicesmith@acme.com", false)
    );
    let dots = with_email_options(Canon::IgnoreDots, Domains::Preserve);
    assert_eq!(
        token(&dots, "alice.smith@acme.com", false),
        token(&dots, "alicesmith@acme.com", false)
    );
}

#[test]
fn domain_handling_shapes_the_suffix() {
    let cases = [
        (Domains::Preserve, Some("Acme.com".to_string())),
        (Domains::Redact, None),
        (Domains::Tokenize, Some("h~".to_string())),
        (Domains::Encrypt, Some("e~".to_string())),
    ];
    for (handling, expected) in cases {
        let p = with_email_options(Canon::Strict, handling);
        let domain = p
            .pseudonymize("bob@Acme.com", false)
            .unwrap()
            .unwrap()
            .domain;
        match (&domain, &expected) {
            (Some(got), Some(prefix)) if prefix.ends_with('~') => {
                assert!(got.starts_with(prefix.as_str()), "{got}")
            }
            _ => assert_eq!(domain, expected, "{handling:?}"),
        }
        // Non-emails never get a domain.
        assert_eq!(p.pseudonymize("bob", false).unwrap().unwrap().domain, None);
    }
}

#[test]
fn keys_are_required_only_where_used() {
    let k = keyless();
    assert!(!k.has_encryption_key());
    assert!(REFERENCE.has_encryption_key());
    assert!(k.pseudonymize("alice@acme.com", false).unwrap().is_some());
    assert!(k.hash_ip("1.2.3.4").is_some());
    assert_eq!(
        k.pseudonymize("alice@acme.com", true),
        Err(PseudonymError::MissingEncryptionKey)
    );
    assert_eq!(k.tokenize("x"), Err(PseudonymError::MissingEncryptionKey));
    assert_eq!(
        k.encrypt_ip("1.2.3.4"),
        Err(PseudonymError::MissingEncryptionKey)
    );
    assert_eq!(
        k.reverse(&REFERENCE.tokenize("x").unwrap()),
        Err(PseudonymError::MissingEncryptionKey)
    );
    let encrypt_domains = Pseudonymizer::new(PseudonymConfig {
        email_domain_handling: Domains::Encrypt,
        ..PseudonymConfig {
            salt: "salt".into(),
            ..PseudonymConfig::default()
        }
    });
    assert_eq!(
        encrypt_domains.pseudonymize("a@acme.com", false),
        Err(PseudonymError::MissingEncryptionKey)
    );
    assert!(
        encrypt_domains
            .pseudonymize("not an email", false)
            .unwrap()
            .is_some()
    );
}

#[test]
fn invalid_ips_give_none() {
    assert_eq!(REFERENCE.hash_ip("999.1.1.1"), None);
    assert_eq!(REFERENCE.encrypt_ip("not-an-ip"), Ok(None));
}

#[test]
fn reversal_round_trips() {
    let originals = [
        "test",
        "42",
        "Alice <Alice.Smith+x@ACME.com>",
        "alice@acme.com",
        "é ☃ \"quoted\"",
        "user@localhost",
    ];
    let encrypt_domains = with_email_options(Canon::Strict, Domains::Encrypt);
    let tokenize_domains = with_email_options(Canon::Strict, Domains::Tokenize);
    for original in originals {
        for p in [&*REFERENCE, &encrypt_domains, &tokenize_domains] {
            let t = token(p, original, true);
            assert_eq!(p.reverse(&t).unwrap(), original, "{t}");
            assert_eq!(
                p.reverse_all(&format!("/u/{t}/x?id={t}")).unwrap(),
                format!("/u/{original}/x?id={original}")
            );
        }
        assert_eq!(
            REFERENCE
                .reverse(&REFERENCE.tokenize(original).unwrap())
                .unwrap(),
            original
        );
    }
    let ip = REFERENCE.encrypt_ip("::ffff:10.0.0.1").unwrap().unwrap();
    assert_eq!(REFERENCE.reverse(&ip).unwrap(), "10.0.0.1");
}

#[test]
fn reverse_all_leaves_other_text_alone() {
    let text =
        "/api/v2/pages/123?cursor=p~short&q=t~Tt8H7clbL9y8ryN4_RLYrCEsKqbjJsWcPmKb4wOdZDI&x=é";
    assert_eq!(REFERENCE.reverse_all(text).unwrap(), text);
    assert_eq!(REFERENCE.reverse_all("").unwrap(), "");
}

#[test]
fn bad_tokens_are_rejected_without_leaking() {
    let good = REFERENCE.tokenize("secret-plaintext").unwrap();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let t_token = token(&REFERENCE, "test", false);
    let cases = [
        (t_token.as_str(), TokenProblem::Shape),
        ("p~short", TokenProblem::Shape),
        ("", TokenProblem::Shape),
        (&format!("{good} trailing"), TokenProblem::Shape),
        (&format!("p~{}", "A".repeat(45)), TokenProblem::Base64),
        (&format!("p~{}", "A".repeat(43)), TokenProblem::Length),
        (&tampered, TokenProblem::Cipher),
    ];
    for (input, problem) in cases {
        let err = REFERENCE.reverse(input).unwrap_err();
        assert_eq!(err, PseudonymError::InvalidToken(problem), "{input:?}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
    let other_key = Pseudonymizer::new(PseudonymConfig {
        encryption_key: Some("other".into()),
        ..reference_config()
    });
    assert!(other_key.reverse(&good).is_err());
    assert!(REFERENCE.reverse_all(&format!("/a/{tampered}/b")).is_err());
}

#[test]
fn json_encoding_of_a_real_pseudonym() {
    let p = REFERENCE
        .pseudonymize("alice@acme.com", true)
        .unwrap()
        .unwrap();
    assert_eq!(
        p.to_json(Some("alice@acme.com")),
        concat!(
            r#"{"domain":"acme.com","hash":"UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMk","original":"alice@acme.com","#,
            r#""reversible":"p~UFdK0TvVTvZ23c6QslyCy0o2MSq2DRtDjEXfTPJyyMnKYUk8FJevl3wvFyZY0eF-@acme.com"}"#
        )
    );
}

#[test]
fn debug_output_has_no_secrets() {
    let p = Pseudonymizer::new(PseudonymConfig {
        salt: "my-salt-value".into(),
        encryption_key: Some("my-key-value".into()),
        salt_ip: Some("my-ip-salt".into()),
        encryption_key_email_domains: Some("my-domain-key".into()),
        ..PseudonymConfig::default()
    });
    let text = format!("{p:?}");
    for secret in [
        "my-salt-value",
        "my-key-value",
        "my-ip-salt",
        "my-domain-key",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    assert!(text.contains("has_encryption_key: true"), "{text}");
}

/// The padding oracle Psoxy's format allows: the IV is the first 16 bytes of the token's
/// hash, which the caller controls. Without the hash check some of these decrypt to
/// *something*; with it, every variation of every IV byte is refused alike.
#[test]
fn every_iv_variation_of_a_valid_token_is_refused() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for token in [
        REFERENCE.tokenize("557058:2f1c9e7a-0b1d-4c3e").unwrap(),
        super::token(&REFERENCE, "Alice@ACME.com", true),
    ] {
        let body = token.trim_start_matches("p~");
        let body = body.split('@').next().unwrap();
        let bytes = engine.decode(body).unwrap();
        let mut decrypted_but_forged = 0;
        for position in 0..16 {
            for value in 0..=255u8 {
                if bytes[position] == value {
                    continue;
                }
                let mut altered = bytes.clone();
                altered[position] = value;
                let forged = format!("p~{}", engine.encode(&altered));
                let err = REFERENCE.reverse(&forged).unwrap_err();
                assert!(matches!(err, PseudonymError::InvalidToken(_)), "{err:?}");
                if err == PseudonymError::InvalidToken(TokenProblem::Forged) {
                    decrypted_but_forged += 1;
                }
            }
        }
        // Roughly 1 in 256 variations pads correctly: those are what the hash check stops.
        assert!(decrypted_but_forged > 0, "the hash check was never reached");
    }
}

/// A token made with the key but whose hash is not its original's (what a caller could
/// build from a padding oracle: a valid IV and hash, another plaintext) is refused,
/// whatever the original says.
#[test]
fn a_token_whose_hash_is_not_its_originals_is_refused() {
    for hostile in ["../admin", "a/b", "x?y=1", "a&b=c", "ENG"] {
        let forged = REFERENCE.main.reversible("12345", hostile).unwrap();
        let forged = format!("p~{}", super::super::hash::url_safe(&forged));
        let err = REFERENCE.reverse(&forged).unwrap_err();
        assert_eq!(
            err,
            PseudonymError::InvalidToken(TokenProblem::Forged),
            "{hostile}"
        );
        assert!(REFERENCE.reverse_all(&format!("/x/{forged}")).is_err());
        // The hostile value's own token is valid: it is what the proxy issues for it.
        let issued = REFERENCE.tokenize(hostile).unwrap();
        assert_eq!(REFERENCE.reverse(&issued).unwrap(), hostile);
    }
}
