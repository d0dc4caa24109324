//! The refresh critical section (docs/oauth.md), run by one detached task per process at
//! a time.
//!
//! Order, and why:
//! 1. adopt the shared `ACCESS_TOKEN` if another instance already refreshed;
//! 2. take `OAUTH_REFRESH_TOKEN_lock` (bounded wait);
//! 3. inside it re-read `ACCESS_TOKEN` and `REFRESH_TOKEN` straight from the store (no
//!    cache: another instance may have rotated a moment ago);
//! 4. call the token endpoint; an ambiguous failure (sent, no answer) is retried once with
//!    the same refresh token, inside Atlassian's reuse leeway;
//! 5. persist the rotated refresh token before the new access token is used, with
//!    retries within the refresh budget — each write only while the store still holds the
//!    token it replaces (never over a newer one), renewing the lock when the work has
//!    taken half its staleness window; if writing keeps failing, keep it in memory (the
//!    stored one is now spent);
//! 6. write `ACCESS_TOKEN` and the `TOKEN_FAMILY` ledger; release the lock on every path.

use std::time::{Duration, Instant};

use super::ledger::{SharedToken, TokenFamily};
use super::lock::LockGuard;
use super::manager::{Core, Current, PendingWrite, RefreshOutcome};
use super::{AuthError, EndpointError, LOCK_STALE_AFTER, RefreshLock, TokenGrant};

/// Atlassian's access tokens live an hour; an adopted token's issue time is estimated
/// from its expiry with it.
const ACCESS_TOKEN_LIFETIME_MILLIS: i64 = 3_600_000;

impl Core {
    /// Steps 1–6; returns the access token to use.
    pub(super) async fn refresh_guarded(
        &self,
        rejected: Option<&str>,
    ) -> Result<String, AuthError> {
        if let Some(token) = self.adopt_shared(rejected).await? {
            return Ok(token);
        }
        let guard = self.refresh_lock().acquire().await?;
        let result = self.critical(rejected, &guard).await;
        guard.release().await;
        result
    }

    /// This instance's handle on the cross-instance refresh lock.
    pub(super) fn refresh_lock(&self) -> RefreshLock {
        RefreshLock {
            store: self.store.clone(),
            name: self.names.lock.clone(),
            clock: self.clock.clone(),
            wait: self.config.lock_wait,
            poll: self.config.lock_poll,
        }
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
        let issued_at = shared.expiration_date - ACCESS_TOKEN_LIFETIME_MILLIS;
        self.inner().current = Some(Current {
            token: shared,
            margin_millis: margin,
            issued_at,
        });
        Ok(Some(token))
    }

    async fn critical(
        &self,
        rejected: Option<&str>,
        guard: &LockGuard,
    ) -> Result<String, AuthError> {
        let started = Instant::now();
        if let Some(token) = self.adopt_shared(rejected).await? {
            return Ok(token);
        }
        let refresh_token = self.current_refresh_token().await?;
        let grant = self.call_endpoint(&refresh_token).await?;
        let now = self.now_millis();
        if let Some(rotated) = grant.refresh_token.as_deref() {
            let write = PendingWrite {
                rotated: rotated.to_owned(),
                replaced: refresh_token.clone(),
            };
            self.persist_refresh_token(write, guard, started).await;
        }
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
            issued_at: now,
        });
        inner.rejected_refresh = None;
        inner.last = Some(RefreshOutcome {
            status: "ok",
            at: now,
            message: match inner.pending {
                Some(_) => "refreshed; the rotated refresh token is not yet stored".into(),
                None => "refreshed".into(),
            },
        });
        Ok(grant.access_token)
    }

    /// The refresh token to spend, read fresh: one held only in memory wins while the
    /// store still holds the token it replaced (the stored one is spent); a pending token
    /// the store has moved past (another instance rotated since — e.g. this instance was
    /// frozen for hours) is dropped. A token already rejected is not sent again.
    async fn current_refresh_token(&self) -> Result<String, AuthError> {
        let stored = self.store.get(&self.names.refresh_token).await?;
        let stored = stored
            .map(|p| p.value.trim().to_owned())
            .filter(|v| !crate::config::resolve::is_placeholder(v));
        let pending = self.inner().pending.clone();
        if let Some(pending) = pending {
            match stored.as_deref() {
                Some(s) if s == pending.replaced => return Ok(pending.rotated),
                _ => {
                    tracing::warn!(
                        parameter = %self.names.refresh_token,
                        "the store moved past a rotated refresh token held in memory; dropping it"
                    );
                    self.inner().pending = None;
                }
            }
        }
        let token = stored.ok_or_else(|| AuthError::Missing(self.names.refresh_token.clone()))?;
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
                let newer = stored
                    .map(|p| p.value.trim().to_owned())
                    .filter(|v| v.as_str() != refresh_token);
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
            if inner
                .pending
                .as_ref()
                .is_some_and(|p| p.rotated == refresh_token)
            {
                inner.pending = None;
            }
        }
    }

    /// Step 5: write the rotated token with retries within the refresh budget, else keep
    /// it in memory. Before each write the lock's ownership is re-checked (and the lock
    /// renewed once the work has taken half its staleness window). A holder that lost the
    /// lock does not write: whoever took it over has read the parent token and may be
    /// rotating it right now, and a sibling written under its feet would make it drop its
    /// own, newer token. The rotated token then stays pending and is written later under
    /// the lock — only if the store still holds the parent (nobody rotated after all).
    async fn persist_refresh_token(
        &self,
        write: PendingWrite,
        guard: &LockGuard,
        started: Instant,
    ) {
        let mut pause = self.config.write_backoff;
        let attempts = self.config.write_attempts.max(1);
        for attempt in 1..=attempts {
            let still_ours = if started.elapsed() > LOCK_STALE_AFTER / 2 {
                guard.renew(self.clock.now()).await
            } else {
                guard.owned().await
            };
            let result = match still_ours {
                Ok(true) => self.write_rotated(&write).await,
                Ok(false) => {
                    tracing::warn!(parameter = %self.names.lock, "refresh lock taken over while refreshing; the rotated token stays pending until it can be written under the lock");
                    break;
                }
                Err(error) => Err(error),
            };
            match result {
                Ok(()) => {
                    self.inner().pending = None;
                    return;
                }
                Err(error) => {
                    let out_of_budget = started.elapsed() + pause > self.config.refresh_budget;
                    if attempt == attempts || out_of_budget {
                        tracing::error!(
                            target: "pseudoproxy::auth",
                            event = "refresh_token_unsaved",
                            parameter = %self.names.refresh_token, %error,
                            "rotated refresh token NOT persisted (the stored one is spent); kept in memory, retrying on every request"
                        );
                        break;
                    }
                    tracing::warn!(parameter = %self.names.refresh_token, attempt, %error, "writing the rotated refresh token failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
        self.inner().pending = Some(write);
    }

    /// Writes `write.rotated` if the store still holds `write.replaced` (or already holds
    /// the rotated one). When the store holds anything else, a newer member of the family
    /// is stored — by another instance, or by consent — and the rotated token is dropped:
    /// `Ok` too, there is nothing left to write. SSM has no compare-and-set: the read and
    /// the write are separate, and the window between them is what the lock protects.
    pub(super) async fn write_rotated(&self, write: &PendingWrite) -> Result<(), AuthError> {
        let stored = self.store.get(&self.names.refresh_token).await?;
        let stored = stored.map(|p| p.value.trim().to_owned());
        match stored.as_deref() {
            Some(s) if s == write.rotated => Ok(()),
            Some(s) if s != write.replaced => {
                tracing::warn!(
                    parameter = %self.names.refresh_token,
                    "a newer refresh token is stored; not overwriting it with this one"
                );
                Ok(())
            }
            _ => {
                self.store
                    .put(&self.names.refresh_token, &write.rotated)
                    .await?;
                Ok(())
            }
        }
    }

    /// Moves the ledger's `lastRefreshAt` to `now`, on the ledger as read now. A ledger
    /// that cannot be read is left as it is until a later refresh: rebuilt from nothing,
    /// or from what this instance read before an operator re-ran consent, it would
    /// overwrite the consent date (`issuedAt`), and the 365-day warning would come wrong
    /// or never. None stored (a family moved from Psoxy), or one that does not parse,
    /// starts one without a consent date, which the health check warns about.
    async fn write_ledger(&self, now: i64) {
        let stored = match self.store.get(&self.names.family).await {
            Ok(None) => TokenFamily::default(),
            Ok(Some(p)) => TokenFamily::parse(&p.value).unwrap_or_else(|| {
                tracing::warn!(parameter = %self.names.family, "the token-family ledger does not parse; starting one without a consent date");
                TokenFamily::default()
            }),
            Err(error) => {
                tracing::warn!(parameter = %self.names.family, %error, "cannot read the token-family ledger; not updating it");
                return;
            }
        };
        let family = stored.refreshed(now);
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
