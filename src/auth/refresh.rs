//! The refresh critical section (docs/oauth.md), run by one task per process at a time.
//!
//! Order, and why:
//! 1. adopt the shared `ACCESS_TOKEN` if another instance already refreshed;
//! 2. take `OAUTH_REFRESH_TOKEN_lock` (bounded wait);
//! 3. inside it re-read `ACCESS_TOKEN` and `REFRESH_TOKEN` straight from the store (no
//!    cache: another instance may have rotated a moment ago);
//! 4. call the token endpoint; an ambiguous failure (sent, no answer) is retried once with
//!    the same refresh token, inside Atlassian's reuse leeway;
//! 5. persist the rotated refresh token before the new access token is used, with
//!    retries; if that keeps failing keep it in memory (the stored one is now spent);
//! 6. write `ACCESS_TOKEN` and the `TOKEN_FAMILY` ledger; release the lock on every path.

use std::time::Duration;

use super::ledger::{SharedToken, TokenFamily};
use super::manager::{Current, RefreshOutcome, TokenManager};
use super::{AuthError, EndpointError, RefreshLock, TokenGrant};

impl TokenManager {
    /// Steps 1–6; returns the access token to use.
    pub(super) async fn refresh_guarded(
        &self,
        rejected: Option<&str>,
    ) -> Result<String, AuthError> {
        if let Some(token) = self.adopt_shared(rejected).await? {
            return Ok(token);
        }
        let lock = RefreshLock {
            store: self.store.clone(),
            name: self.names.lock.clone(),
            clock: self.clock.clone(),
            wait: self.config.lock_wait,
            poll: self.config.lock_poll,
        };
        let guard = lock.acquire().await?;
        let result = self.critical(rejected).await;
        guard.release().await;
        result
    }

    /// The shared token, adopted into memory when it has more than a margin left.
    async fn adopt_shared(&self, rejected: Option<&str>) -> Result<Option<String>, AuthError> {
        if !self.config.use_shared_token {
            return Ok(None);
        }
        let stored = self.store.get(&self.names.access_token).await?;
        let Some(shared) = stored.and_then(|p| SharedToken::parse(&p.value)) else {
            return Ok(None);
        };
        let margin = self.draw_margin();
        let usable = shared.remaining_millis(self.now_millis()) > margin
            && Some(shared.token.as_str()) != rejected;
        if !usable {
            return Ok(None);
        }
        let token = shared.token.clone();
        self.inner().current = Some(Current {
            token: shared,
            margin_millis: margin,
        });
        Ok(Some(token))
    }

    async fn critical(&self, rejected: Option<&str>) -> Result<String, AuthError> {
        if let Some(token) = self.adopt_shared(rejected).await? {
            return Ok(token);
        }
        let refresh_token = self.current_refresh_token().await?;
        let grant = self.call_endpoint(&refresh_token).await?;
        let now = self.now_millis();
        self.persist_refresh_token(grant.refresh_token.as_deref())
            .await;
        let shared = SharedToken {
            token: grant.access_token.clone(),
            expiration_date: now + i64::try_from(grant.expires_in).unwrap_or(3600) * 1000,
        };
        if self.config.use_shared_token
            && let Err(error) = self
                .store
                .put(&self.names.access_token, &shared.to_json())
                .await
        {
            // Not fatal: other instances refresh on their own (under the lock).
            tracing::warn!(parameter = %self.names.access_token, %error, "cannot share the new access token");
        }
        self.write_ledger(now).await;
        let mut inner = self.inner();
        inner.current = Some(Current {
            token: shared,
            margin_millis: self.draw_margin(),
        });
        inner.rejected_refresh = None;
        inner.last = Some(RefreshOutcome {
            status: "ok",
            at: now,
            message: match inner.pending_refresh {
                Some(_) => "refreshed; the rotated refresh token is not yet stored".into(),
                None => "refreshed".into(),
            },
        });
        Ok(grant.access_token)
    }

    /// The refresh token to spend: one held only in memory wins over the (spent) stored
    /// one; else the store, read fresh. A token already rejected is not sent again.
    async fn current_refresh_token(&self) -> Result<String, AuthError> {
        if let Some(pending) = self.inner().pending_refresh.clone() {
            return Ok(pending);
        }
        let stored = self.store.get(&self.names.refresh_token).await?;
        let token = stored
            .map(|p| p.value.trim().to_owned())
            .filter(|v| !crate::config::resolve::is_placeholder(v))
            .ok_or_else(|| AuthError::Missing(self.names.refresh_token.clone()))?;
        if self.inner().rejected_refresh.as_deref() == Some(token.as_str()) {
            return Err(AuthError::Revoked(format!(
                "{} is the token the endpoint already rejected",
                self.names.refresh_token
            )));
        }
        Ok(token)
    }

    /// Refresh with `refresh_token`; retry once on an ambiguous outcome; on a rejection,
    /// retry once if the store now holds a different token (rotated by someone else).
    async fn call_endpoint(&self, refresh_token: &str) -> Result<TokenGrant, AuthError> {
        let (id, secret) = (&self.client.id, &self.client.secret);
        let first = match self.endpoint.refresh(id, secret, refresh_token).await {
            Err(EndpointError::Ambiguous(why)) => {
                tracing::warn!(reason = %why, "token call outcome unknown; retrying once with the same refresh token");
                self.endpoint.refresh(id, secret, refresh_token).await
            }
            other => other,
        };
        match first {
            Ok(grant) => Ok(grant),
            Err(EndpointError::Rejected(why)) => {
                let stored = self.store.get(&self.names.refresh_token).await?;
                let newer = stored.map(|p| p.value.trim().to_owned()).filter(|v| {
                    v.as_str() != refresh_token && self.inner().pending_refresh.is_none()
                });
                if let Some(newer) = newer {
                    tracing::warn!(
                        "refresh token rejected but the store holds a newer one; trying it"
                    );
                    return self
                        .endpoint
                        .refresh(id, secret, &newer)
                        .await
                        .map_err(|e| {
                            self.note_rejection(&e, &newer);
                            AuthError::from(e)
                        });
                }
                let error = EndpointError::Rejected(why);
                self.note_rejection(&error, refresh_token);
                Err(error.into())
            }
            Err(other) => Err(other.into()),
        }
    }

    fn note_rejection(&self, error: &EndpointError, refresh_token: &str) {
        if matches!(error, EndpointError::Rejected(_)) {
            tracing::error!(
                parameter = %self.names.refresh_token,
                "refresh token rejected by the token endpoint: re-run the consent flow (pseudoproxy auth)"
            );
            let mut inner = self.inner();
            inner.rejected_refresh = Some(refresh_token.to_owned());
            if inner.pending_refresh.as_deref() == Some(refresh_token) {
                inner.pending_refresh = None;
            }
        }
    }

    /// Step 5: write the rotated token with retries, else keep it in memory.
    async fn persist_refresh_token(&self, rotated: Option<&str>) {
        let Some(rotated) = rotated else {
            return; // not rotated: the current token stays valid (and stays where it is)
        };
        let mut pause = self.config.write_backoff;
        for attempt in 1..=self.config.write_attempts.max(1) {
            match self.store.put(&self.names.refresh_token, rotated).await {
                Ok(_) => {
                    self.inner().pending_refresh = None;
                    return;
                }
                Err(error) if attempt < self.config.write_attempts => {
                    tracing::warn!(parameter = %self.names.refresh_token, attempt, %error, "writing the rotated refresh token failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(error) => tracing::error!(
                    target: "pseudoproxy::auth",
                    event = "refresh_token_unsaved",
                    parameter = %self.names.refresh_token, %error,
                    "rotated refresh token NOT persisted (the stored one is spent); kept in memory, retrying on every request"
                ),
            }
        }
        self.inner().pending_refresh = Some(rotated.to_owned());
    }

    async fn write_ledger(&self, now: i64) {
        let stored = match self.store.get(&self.names.family).await {
            Ok(p) => p.and_then(|p| TokenFamily::parse(&p.value)),
            Err(_) => self.inner().family,
        };
        let family = stored.unwrap_or_default().refreshed(now);
        self.inner().family = Some(family);
        if let Err(error) = self.store.put(&self.names.family, &family.to_json()).await {
            tracing::warn!(parameter = %self.names.family, %error, "cannot update the token-family ledger");
        }
    }

    /// A margin drawn uniformly from the configured range, in millis.
    pub(super) fn draw_margin(&self) -> i64 {
        let (low, high) = self.config.margin;
        let (low, high) = (
            low.as_millis() as i64,
            high.as_millis().max(low.as_millis()) as i64,
        );
        rand::random_range(low..=high)
    }
}
