//! The cross-instance refresh lock `OAUTH_REFRESH_TOKEN_lock` (docs/oauth.md).
//!
//! Protocol: create the parameter only if absent, holding `{"owner":<random id>,
//! "acquiredAt":<epoch millis>}`; read it back to confirm the owner; a lock whose
//! `acquiredAt` is more than [`LOCK_STALE_AFTER`] old on the injected clock is stale and is
//! broken (deleted, after re-checking it is still the same stale value); waiting is
//! bounded by a real-time budget and polls with jittered backoff.
//!
//! Invariants: the lock is released only by its owner (the value is re-read and compared
//! before the delete); a [`LockGuard`] dropped without `release` (error path, panic,
//! cancelled future) spawns the release on the runtime, so it is released on every path.
//! A lock value we cannot parse (another tool's format) is judged by the parameter's
//! last-modified time instead.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::{AuthError, epoch_millis};
use crate::config::Clock;
use crate::secrets::{Parameter, SecretStore};

/// A lock older than this (clock time) belongs to a crashed owner.
pub const LOCK_STALE_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockValue {
    owner: String,
    acquired_at: i64,
}

/// How to take the lock: where, with which clock, how long to wait.
#[derive(Debug, Clone)]
pub struct RefreshLock {
    pub store: Arc<dyn SecretStore>,
    /// Full parameter name.
    pub name: String,
    pub clock: Arc<dyn Clock>,
    /// Real-time bound on waiting for another owner (spec: about 20 s).
    pub wait: Duration,
    /// First poll interval while waiting (doubles, with jitter, up to 1 s).
    pub poll: Duration,
}

/// A held lock. Call [`LockGuard::release`]; dropping it releases in the background.
#[derive(Debug)]
pub struct LockGuard {
    store: Arc<dyn SecretStore>,
    name: String,
    owner: String,
    released: bool,
}

impl RefreshLock {
    /// Takes the lock, waiting at most `self.wait`; `LockTimeout` after that.
    pub async fn acquire(&self) -> Result<LockGuard, AuthError> {
        let owner = format!("{:032x}", rand::random::<u128>());
        let started = Instant::now();
        let mut pause = self.poll;
        loop {
            let last_error = match self.try_acquire(&owner).await {
                Ok(true) => {
                    return Ok(LockGuard {
                        store: self.store.clone(),
                        name: self.name.clone(),
                        owner,
                        released: false,
                    });
                }
                Ok(false) => None,
                // A store hiccup while polling is retried within the same budget.
                Err(error) => Some(error),
            };
            if started.elapsed() + pause > self.wait {
                return Err(last_error.unwrap_or_else(|| AuthError::LockTimeout(self.name.clone())));
            }
            let jitter = rand::random_range(0..=pause.as_millis() as u64 / 2);
            tokio::time::sleep(pause + Duration::from_millis(jitter)).await;
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    /// One attempt: create, or break a stale lock; then confirm by reading back.
    async fn try_acquire(&self, owner: &str) -> Result<bool, AuthError> {
        let value = serde_json::json!({
            "owner": owner,
            "acquiredAt": epoch_millis(self.clock.now()),
        })
        .to_string();
        if !self.store.create_if_absent(&self.name, &value).await? {
            let Some(existing) = self.store.get(&self.name).await? else {
                return Ok(false); // released meanwhile: the next poll may win
            };
            if !self.is_stale(&existing) {
                return Ok(false);
            }
            self.break_stale(&existing).await?;
            if !self.store.create_if_absent(&self.name, &value).await? {
                return Ok(false);
            }
        }
        let confirmed = self.store.get(&self.name).await?;
        Ok(confirmed.is_some_and(|p| owner_of(&p.value).as_deref() == Some(owner)))
    }

    fn is_stale(&self, lock: &Parameter) -> bool {
        let now = self.clock.now();
        let taken = match serde_json::from_str::<LockValue>(&lock.value) {
            Ok(value) => {
                SystemTime::UNIX_EPOCH
                    + Duration::from_millis(u64::try_from(value.acquired_at).unwrap_or(0))
            }
            Err(_) => lock.last_modified,
        };
        now.duration_since(taken)
            .is_ok_and(|age| age > LOCK_STALE_AFTER)
    }

    async fn break_stale(&self, stale: &Parameter) -> Result<(), AuthError> {
        // Re-check right before deleting: another breaker may already have replaced it.
        let current = self.store.get(&self.name).await?;
        if current.is_some_and(|c| c.value == stale.value) {
            tracing::warn!(parameter = %self.name, "breaking a stale refresh lock (owner crashed?)");
            self.store.delete(&self.name).await?;
        }
        Ok(())
    }
}

fn owner_of(value: &str) -> Option<String> {
    serde_json::from_str::<LockValue>(value)
        .ok()
        .map(|v| v.owner)
}

impl LockGuard {
    /// Deletes the lock if it is still ours.
    pub async fn release(mut self) {
        self.released = true;
        release(self.store.clone(), self.name.clone(), self.owner.clone()).await;
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (store, name, owner) = (self.store.clone(), self.name.clone(), self.owner.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(release(store, name, owner));
            }
            Err(_) => tracing::error!(
                parameter = %self.name,
                "refresh lock dropped outside a runtime; it goes stale in 2 minutes"
            ),
        }
    }
}

async fn release(store: Arc<dyn SecretStore>, name: String, owner: String) {
    let ours = match store.get(&name).await {
        Ok(Some(p)) => owner_of(&p.value).as_deref() == Some(owner.as_str()),
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(parameter = %name, %error, "cannot read the refresh lock to release it");
            // Deleting unconfirmed could remove another owner's lock: leave it to go stale.
            return;
        }
    };
    if !ours {
        tracing::warn!(parameter = %name, "refresh lock was taken over; not releasing it");
        return;
    }
    if let Err(error) = store.delete(&name).await {
        tracing::warn!(parameter = %name, %error, "cannot release the refresh lock; it goes stale in 2 minutes");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::ManualClock;
    use crate::secrets::MemoryStore;

    fn lock(store: &Arc<MemoryStore>, clock: &Arc<ManualClock>) -> RefreshLock {
        RefreshLock {
            store: store.clone(),
            name: "P_OAUTH_REFRESH_TOKEN_lock".into(),
            clock: clock.clone(),
            wait: Duration::from_millis(300),
            poll: Duration::from_millis(20),
        }
    }

    #[tokio::test]
    async fn second_owner_waits_bounded_then_wins_after_release() {
        let (store, clock) = (
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::default()),
        );
        let first = lock(&store, &clock).acquire().await.unwrap();
        let err = lock(&store, &clock).acquire().await.unwrap_err();
        assert!(matches!(err, AuthError::LockTimeout(_)), "{err}");
        first.release().await;
        assert!(
            store
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_none()
        );
        lock(&store, &clock)
            .acquire()
            .await
            .unwrap()
            .release()
            .await;
    }

    #[tokio::test]
    async fn stale_lock_is_broken_only_after_two_minutes_of_clock_time() {
        let (store, clock) = (
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::default()),
        );
        let crashed = lock(&store, &clock).acquire().await.unwrap();
        std::mem::forget(crashed); // the owner crashed: nothing releases it
        clock.advance(LOCK_STALE_AFTER - Duration::from_secs(1));
        assert!(lock(&store, &clock).acquire().await.is_err(), "still fresh");
        clock.advance(Duration::from_secs(2));
        let guard = lock(&store, &clock).acquire().await.unwrap();
        guard.release().await;
        assert!(
            store
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn release_never_deletes_another_owners_lock() {
        let (store, clock) = (
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::default()),
        );
        let ours = lock(&store, &clock).acquire().await.unwrap();
        store
            .put(
                "P_OAUTH_REFRESH_TOKEN_lock",
                r#"{"owner":"other","acquiredAt":1}"#,
            )
            .await
            .unwrap();
        ours.release().await;
        assert!(
            store
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn dropped_guard_releases_in_the_background() {
        let (store, clock) = (
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::default()),
        );
        drop(lock(&store, &clock).acquire().await.unwrap());
        for _ in 0..50 {
            if store
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_none()
            {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("a dropped guard must release the lock");
    }
}
