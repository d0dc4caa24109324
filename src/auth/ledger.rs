//! Stored formats: the shared access token (Psoxy's JSON, so a Psoxy instance can run
//! side by side during a migration) and the token-family ledger `TOKEN_FAMILY`.
//!
//! Pure: parsing, formatting and the expiry arithmetic. Times are epoch milliseconds.
//! Invariant: `Debug` of [`SharedToken`] never shows the token.

use serde::{Deserialize, Serialize};

/// Atlassian refresh tokens die this long after the first consent, whatever the use.
pub(crate) const ABSOLUTE_LIFETIME_DAYS: i64 = 365;
/// …and after this long unused.
pub(crate) const INACTIVITY_LIFETIME_DAYS: i64 = 90;
/// The health check warns when either expiry is closer than this.
pub(crate) const WARN_DAYS: i64 = 30;
const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// `ACCESS_TOKEN` as JSON `{"token":"…","expirationDate":<epoch millis>}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedToken {
    pub token: String,
    pub expiration_date: i64,
}

impl std::fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedToken")
            .field("token", &"<redacted>")
            .field("expiration_date", &self.expiration_date)
            .finish()
    }
}

/// The one parser of a stored `ACCESS_TOKEN`: Psoxy's JSON form
/// `{"token":"…","expirationDate":<epoch millis>}` or a raw token (a hand-placed value).
/// Returns the token and its expiry when the value has one; `None` for a placeholder
/// (`fill me`), a blank value, or JSON without a non-blank `token`.
pub fn stored_access_token(value: &str) -> Option<(String, Option<i64>)> {
    let value = value.trim();
    if crate::config::resolve::is_placeholder(value) {
        return None;
    }
    if !value.starts_with('{') {
        return Some((value.to_owned(), None));
    }
    let json: serde_json::Value = serde_json::from_str(value).ok()?;
    let token = json.get("token")?.as_str()?.trim();
    let expiry = json
        .get("expirationDate")
        .and_then(serde_json::Value::as_i64);
    (!token.is_empty()).then(|| (token.to_owned(), expiry))
}

impl SharedToken {
    /// The stored value as a shared token; a raw token or anything else without an
    /// expiry is `None` (it cannot be trusted to be current, so the manager refreshes).
    pub fn parse(value: &str) -> Option<SharedToken> {
        match stored_access_token(value)? {
            (token, Some(expiration_date)) => Some(SharedToken {
                token,
                expiration_date,
            }),
            (_, None) => None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({ "token": self.token, "expirationDate": self.expiration_date })
            .to_string()
    }

    /// Milliseconds of validity left at `now_millis` (negative once expired).
    pub fn remaining_millis(&self, now_millis: i64) -> i64 {
        self.expiration_date.saturating_sub(now_millis)
    }
}

/// `TOKEN_FAMILY`: when the family was born (consent) and last refreshed. `issuedAt` is
/// `null` when unknown (a deployment migrated from Psoxy without a consent record).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenFamily {
    pub issued_at: Option<i64>,
    pub last_refresh_at: Option<i64>,
}

impl TokenFamily {
    pub fn parse(value: &str) -> Option<TokenFamily> {
        serde_json::from_str(value.trim()).ok()
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({ "issuedAt": self.issued_at, "lastRefreshAt": self.last_refresh_at })
            .to_string()
    }

    /// The ledger after a refresh at `now_millis`.
    pub fn refreshed(self, now_millis: i64) -> TokenFamily {
        TokenFamily {
            issued_at: self.issued_at,
            last_refresh_at: Some(now_millis),
        }
    }

    /// The countdowns the health check reports.
    pub fn health(&self, now_millis: i64) -> FamilyHealth {
        let days_left = |since: Option<i64>, lifetime: i64| {
            since.map(|t| (t + lifetime * DAY_MILLIS - now_millis).div_euclid(DAY_MILLIS))
        };
        FamilyHealth {
            issued_at: self.issued_at,
            last_refresh_at: self.last_refresh_at,
            days_to_absolute_expiry: days_left(self.issued_at, ABSOLUTE_LIFETIME_DAYS),
            days_to_inactivity_expiry: days_left(
                self.last_refresh_at.or(self.issued_at),
                INACTIVITY_LIFETIME_DAYS,
            ),
        }
    }
}

/// The health check's `tokenFamily` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyHealth {
    pub issued_at: Option<i64>,
    pub last_refresh_at: Option<i64>,
    /// Whole days until the 365-day expiry (floor; negative once past).
    pub days_to_absolute_expiry: Option<i64>,
    /// Whole days until the 90-days-unused expiry.
    pub days_to_inactivity_expiry: Option<i64>,
}

impl FamilyHealth {
    /// Warnings for the health check: an expiry closer than [`WARN_DAYS`], or an unknown
    /// consent date.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(days) = self.days_to_absolute_expiry.filter(|d| *d < WARN_DAYS) {
            warnings.push(format!(
                "token family expires in {days} days (365 days after consent); \
                 re-run the consent flow (pseudoproxy auth) before then"
            ));
        }
        if let Some(days) = self.days_to_inactivity_expiry.filter(|d| *d < WARN_DAYS) {
            warnings.push(format!(
                "refresh token expires in {days} days unless used (90 days unused); \
                 schedule a deep health check to keep it alive"
            ));
        }
        if self.issued_at.is_none() {
            warnings.push(
                "TOKEN_FAMILY has no issuedAt: the 365-day expiry is unknown; \
                 re-running the consent flow records it"
                    .to_owned(),
            );
        }
        warnings
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn stored_token_forms() {
        // (stored value, token, expiry)
        let cases = [
            ("abc.def", Some(("abc.def", None))),
            ("  abc \n", Some(("abc", None))),
            (
                r#"{"token":"xyz","expirationDate":1700000000000}"#,
                Some(("xyz", Some(1_700_000_000_000))),
            ),
            (r#"{"token":"xyz"}"#, Some(("xyz", None))),
            (r#"{"token":""}"#, None),
            (r#"{"expirationDate":1}"#, None),
            ("{not json", None),
            ("fill me", None),
            ("FILL ME", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let got = stored_access_token(input);
            let got = got.as_ref().map(|(t, e)| (t.as_str(), *e));
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn shared_token_round_trips_psoxy_json() {
        let stored = r#"{"token":"abc","expirationDate":1700000000000}"#;
        let token = SharedToken::parse(stored).unwrap();
        assert_eq!(token.expiration_date, 1_700_000_000_000);
        assert_eq!(SharedToken::parse(&token.to_json()).unwrap(), token);
        for bad in ["abc", "", r#"{"token":""}"#, r#"{"token":"x"}"#, "fill me"] {
            assert!(SharedToken::parse(bad).is_none(), "{bad:?}");
        }
        assert!(!format!("{token:?}").contains("abc"));
    }

    #[test]
    fn countdowns_and_warnings() {
        let day = DAY_MILLIS;
        // (issued days ago, refreshed days ago, absolute, inactivity, warnings)
        let cases = [
            (0, 0, 365, 90, 0),
            (300, 1, 65, 89, 0),
            (336, 0, 29, 90, 1),
            (364, 0, 1, 90, 1),
            (100, 61, 265, 29, 1),
            (340, 70, 25, 20, 2),
        ];
        let now = 1_000 * day;
        for (issued, refreshed, absolute, inactivity, warnings) in cases {
            let family = TokenFamily {
                issued_at: Some(now - issued * day),
                last_refresh_at: Some(now - refreshed * day),
            };
            let health = family.health(now);
            let got = (
                health.days_to_absolute_expiry.unwrap(),
                health.days_to_inactivity_expiry.unwrap(),
                health.warnings().len(),
            );
            assert_eq!(
                got,
                (absolute, inactivity, warnings),
                "issued {issued}d ago, refreshed {refreshed}d ago"
            );
        }
    }

    #[test]
    fn unknown_issue_date_is_reported() {
        let family = TokenFamily::parse(r#"{"issuedAt":null,"lastRefreshAt":5}"#).unwrap();
        let health = family.health(5);
        assert_eq!(health.days_to_absolute_expiry, None);
        assert_eq!(health.days_to_inactivity_expiry, Some(90));
        assert_eq!(health.warnings().len(), 1);
        assert_eq!(TokenFamily::parse(&family.to_json()).unwrap(), family);
    }
}
