//! Property tests: reversal inverts tokenization, pseudonyms are deterministic per salt and
//! differ across salts, hashes are always 43 characters.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::super::{PseudonymConfig, Pseudonymizer};
use super::{REFERENCE, reference_config};

static OTHER_SALT: LazyLock<Pseudonymizer> = LazyLock::new(|| {
    Pseudonymizer::new(PseudonymConfig {
        salt: "pepper".into(),
        ..reference_config()
    })
});

/// Text that is not blank, mixing arbitrary strings with email-shaped ones.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9._+-]{1,12}@[a-z0-9]{1,8}\\.[A-Za-z]{2,6}",
        "[A-Za-z ]{0,8} <[a-z]{1,8}@[a-z]{1,8}\\.com>",
    ]
    .prop_filter("not blank", |s| !super::super::is_java_blank(s))
}

proptest! {
    #[test]
    fn reverse_inverts_tokenize(text in any::<String>()) {
        let token = REFERENCE.tokenize(&text).unwrap();
        prop_assert_eq!(REFERENCE.reverse(&token).unwrap(), text.clone());
        prop_assert_eq!(REFERENCE.reverse_all(&format!("/x/{token}?y=1")).unwrap(), format!("/x/{text}?y=1"));
    }

    #[test]
    fn reverse_inverts_reversible_pseudonyms(text in value()) {
        let p = REFERENCE.pseudonymize(&text, true).unwrap().unwrap();
        prop_assert_eq!(REFERENCE.reverse(&p.url_safe_token()).unwrap(), text);
    }

    #[test]
    fn pseudonyms_are_deterministic_and_43_chars(text in value()) {
        let first = REFERENCE.pseudonymize(&text, false).unwrap().unwrap();
        let again = REFERENCE.pseudonymize(&text, false).unwrap().unwrap();
        prop_assert_eq!(first.hash.len(), 43);
        prop_assert_eq!(&first, &again);
    }

    #[test]
    fn salts_change_pseudonyms(text in value()) {
        let a = REFERENCE.pseudonymize(&text, false).unwrap().unwrap();
        let b = OTHER_SALT.pseudonymize(&text, false).unwrap().unwrap();
        prop_assert_eq!(b.hash.len(), 43);
        prop_assert_ne!(a.hash, b.hash);
        prop_assert_eq!(a.domain, b.domain);
    }
}
