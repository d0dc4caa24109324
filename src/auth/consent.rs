//! The consent bootstrap behind `pseudoproxy auth` (spec "Consent bootstrap"): the
//! authorize URL with a random `state`, the one-shot local callback (or a pasted redirect
//! URL), and storing what a new token family needs.
//!
//! Invariants: the `state` is checked before the code is used; the callback server
//! answers exactly one request on loopback; stored values are never printed or logged.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::AuthError;
use std::time::Duration;

use super::ledger::TokenFamily;
use super::lock::RefreshLock;
use crate::config::{full_name, names};
use crate::secrets::SecretStore;

/// Atlassian's authorize endpoint.
pub(crate) const DEFAULT_AUTHORIZE_URL: &str = "https://auth.atlassian.com/authorize";

/// The exact scopes the shipped Confluence rules need (granular read scopes) plus
/// `offline_access`, without which Atlassian issues no refresh token. The deep health
/// check compares them with the scopes a site grants.
pub const SCOPES: [&str; 12] = [
    "read:page:confluence",
    "read:blogpost:confluence",
    "read:comment:confluence",
    "read:attachment:confluence",
    "read:space:confluence",
    "read:group:confluence",
    "read:user:confluence",
    "read:task:confluence",
    "read:content-details:confluence",
    "read:content:confluence",
    // `custom-content/{id}/versions`.
    "read:custom-content:confluence",
    "offline_access",
];

/// The scopes of [`SCOPES`] a site's grant must list (all but `offline_access`, which
/// Atlassian does not report per site) and are absent from `granted`.
pub(crate) fn missing_scopes(granted: &[String]) -> Vec<&'static str> {
    SCOPES
        .into_iter()
        .filter(|s| *s != "offline_access")
        .filter(|needed| !granted.iter().any(|g| g == needed))
        .collect()
}

/// A random, URL-safe `state` (128 bits).
pub(crate) fn random_state() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The authorize URL (`prompt=consent`, `audience=api.atlassian.com`).
pub(crate) fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<String, AuthError> {
    let scope = SCOPES.join(" ");
    let params = [
        ("audience", "api.atlassian.com"),
        ("client_id", client_id),
        ("scope", scope.as_str()),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("response_type", "code"),
        ("prompt", "consent"),
    ];
    reqwest::Url::parse_with_params(base, params)
        .map(String::from)
        .map_err(|_| AuthError::Invalid("the authorize URL is not a valid URL".into()))
}

/// The authorization code from a redirect URL (or just its `?query`), after checking
/// `state`. An `error` parameter (the operator declined) is reported by its code.
pub(crate) fn code_from_redirect(
    redirect: &str,
    expected_state: &str,
) -> Result<String, AuthError> {
    let redirect = redirect.trim();
    let absolute = match redirect.chars().next() {
        Some('/') => format!("http://localhost{redirect}"),
        Some('?') => format!("http://localhost/callback{redirect}"),
        _ => redirect.to_owned(),
    };
    let url = reqwest::Url::parse(&absolute)
        .map_err(|_| AuthError::Invalid("the pasted redirect is not a URL".into()))?;
    let param = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        let safe: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(AuthError::Revoked(format!("consent not given ({safe})")));
    }
    if param("state").as_deref() != Some(expected_state) {
        return Err(AuthError::Invalid(
            "the redirect's state does not match this run (stale or forged callback)".into(),
        ));
    }
    param("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AuthError::Invalid("the redirect carries no code".into()))
}

/// Serves one request on `listener` (the browser's redirect) and returns its code.
pub(crate) async fn await_callback(
    listener: TcpListener,
    expected_state: &str,
) -> Result<String, AuthError> {
    loop {
        let (mut socket, _) = listener
            .accept()
            .await
            .map_err(|e| AuthError::Transient(format!("callback listener failed: {e}")))?;
        let mut buffer = vec![0u8; 8192];
        let read = socket.read(&mut buffer).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&buffer[..read]).into_owned();
        let target = request.split_whitespace().nth(1).unwrap_or("").to_owned();
        if !target.starts_with("/callback") {
            let _ = socket
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue; // e.g. a favicon request: keep waiting for the redirect
        }
        let result = code_from_redirect(&target, expected_state);
        let page = match &result {
            Ok(_) => "Consent received. You can close this window and return to the terminal.",
            Err(_) => "Consent failed; see the terminal.",
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
        return result;
    }
}

/// What consent produced, to be stored.
pub(crate) struct Consent {
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: String,
    pub issued_at: i64,
}

/// Stores `CLIENT_ID`, `CLIENT_SECRET`, `REFRESH_TOKEN` and `TOKEN_FAMILY` under `prefix`,
/// holding the instance's refresh lock meanwhile — so a running proxy, which rotates only
/// under that lock and writes a rotated token only over the one it replaced, can never
/// overwrite the new family with a member of the old one. Returns the full names written
/// (values are never returned or printed).
pub(crate) async fn store_consent(
    store: &Arc<dyn SecretStore>,
    prefix: &str,
    consent: &Consent,
    clock: Arc<dyn crate::clock::Clock>,
) -> Result<Vec<String>, AuthError> {
    let lock = RefreshLock {
        store: store.clone(),
        name: full_name(prefix, names::REFRESH_LOCK),
        clock,
        // A refresh in progress finishes well within this (its whole budget is a minute).
        wait: Duration::from_secs(90),
        poll: Duration::from_millis(200),
    };
    let guard = lock.acquire().await?;
    let written = write_consent(store, prefix, consent).await;
    guard.release().await;
    written
}

async fn write_consent(
    store: &Arc<dyn SecretStore>,
    prefix: &str,
    consent: &Consent,
) -> Result<Vec<String>, AuthError> {
    let family = TokenFamily {
        issued_at: Some(consent.issued_at),
        last_refresh_at: Some(consent.issued_at),
    };
    let values = [
        (names::CLIENT_ID, consent.client_id.clone()),
        (names::CLIENT_SECRET, consent.client_secret.clone()),
        (names::REFRESH_TOKEN, consent.refresh_token.clone()),
        (names::TOKEN_FAMILY, family.to_json()),
    ];
    let mut written = Vec::new();
    for (short, value) in values {
        let name = full_name(prefix, short);
        store.put(&name, &value).await?;
        written.push(name);
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_every_parameter_encoded() {
        let url = authorize_url(
            DEFAULT_AUTHORIZE_URL,
            "cid",
            "http://localhost:8976/callback",
            "s1",
        )
        .unwrap();
        let parsed = reqwest::Url::parse(&url).unwrap();
        let get = |k: &str| {
            parsed
                .query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(get("scope").unwrap(), SCOPES.join(" "));
        assert_eq!(
            get("redirect_uri").as_deref(),
            Some("http://localhost:8976/callback")
        );
        assert_eq!(get("state").as_deref(), Some("s1"));
        assert_eq!(get("prompt").as_deref(), Some("consent"));
        assert_eq!(get("audience").as_deref(), Some("api.atlassian.com"));
        assert!(url.starts_with("https://auth.atlassian.com/authorize?"));
    }

    #[test]
    fn redirects() {
        // (pasted, expected code or error fragment)
        let cases = [
            (
                "http://localhost:8976/callback?code=abc&state=s1",
                Ok("abc"),
            ),
            (
                "  http://localhost:8976/callback?state=s1&code=a%2Bb \n",
                Ok("a+b"),
            ),
            ("/callback?code=abc&state=s1", Ok("abc")),
            (
                "http://localhost:8976/callback?code=abc&state=other",
                Err("state"),
            ),
            ("http://localhost:8976/callback?code=abc", Err("state")),
            ("http://localhost:8976/callback?state=s1", Err("no code")),
            (
                "http://localhost:8976/callback?error=access_denied&state=s1",
                Err("access_denied"),
            ),
            ("not a url", Err("not a URL")),
        ];
        for (pasted, expected) in cases {
            match (code_from_redirect(pasted, "s1"), expected) {
                (Ok(code), Ok(want)) => assert_eq!(code, want, "{pasted}"),
                (Err(e), Err(fragment)) => {
                    assert!(e.to_string().contains(fragment), "{pasted}: {e}")
                }
                (got, want) => panic!("{pasted}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[tokio::test]
    async fn consent_waits_for_a_refresh_in_progress_and_its_family_wins() {
        use crate::clock::ManualClock;
        use crate::secrets::MemoryStore;
        let clock = Arc::new(ManualClock::default());
        let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::with_clock(clock.clone()));
        store.put("P_REFRESH_TOKEN", "old-family-1").await.unwrap();
        // A running proxy holds the lock mid-refresh.
        let refreshing = RefreshLock {
            store: store.clone(),
            name: "P_OAUTH_REFRESH_TOKEN_lock".into(),
            clock: clock.clone(),
            wait: Duration::from_millis(200),
            poll: Duration::from_millis(10),
        }
        .acquire()
        .await
        .unwrap();
        let consent = Consent {
            client_id: "id".into(),
            client_secret: "secret".into(),
            refresh_token: "new-family-1".into(),
            issued_at: 1,
        };
        let writer = {
            let (store, clock) = (store.clone(), clock.clone());
            tokio::spawn(async move { store_consent(&store, "P_", &consent, clock).await })
        };
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        assert!(!writer.is_finished(), "consent must wait for the lock");
        assert_eq!(
            store.get("P_REFRESH_TOKEN").await.unwrap().unwrap().value,
            "old-family-1"
        );
        // The proxy finishes its rotation, then releases.
        store.put("P_REFRESH_TOKEN", "old-family-2").await.unwrap();
        refreshing.release().await;
        let written = writer.await.unwrap().unwrap();
        assert!(written.contains(&"P_REFRESH_TOKEN".to_owned()));
        assert_eq!(
            store.get("P_REFRESH_TOKEN").await.unwrap().unwrap().value,
            "new-family-1",
            "the new family is what stays stored"
        );
        assert!(
            store
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_none(),
            "consent released the lock"
        );
    }
}
