//! The cross-instance refresh lock `OAUTH_REFRESH_TOKEN_lock` (docs/oauth.md).
//!
//! Protocol: create the parameter only if absent, holding `{"owner":<random id>,
//! "acquiredAt":<epoch millis>}`; read it back to confirm the owner. An owner that finds
//! its own id holds the lock, whatever happened to its create call (a lost response, an
//! SDK retry answered "already exists"). A lock whose *store* timestamp (SSM's
//! `LastModifiedDate`, set by AWS, not by the writer) is more than [`LOCK_STALE_AFTER`]
//! old on the breaker's clock is stale and is broken (deleted, after re-checking it is
//! still the same value), so a lock written by a machine with a skewed clock still
//! expires. Waiting is bounded by a real-time budget and polls with jittered backoff. A
//! holder whose work may outlast the staleness window renews the lock ([`LockGuard::renew`])
//! and re-checks that it still owns it before writing the rotated refresh token.
//!
//! What stays non-atomic, and why it is safe: SSM has no compare-and-delete, so release and
//! breaking are read-then-delete. A release deletes only a value that still names its
//! owner; between that read and the delete another instance can only *break* the lock if
//! it is stale, which a live owner prevents by renewing. Breaking re-reads the stale value
//! right before deleting; two breakers racing both delete the same stale value and then
//! race on create-if-absent, which exactly one wins. And the rotated refresh token itself
//! is written only while the store still holds the token it replaced (`refresh.rs`), so
//! even a holder that lost its lock never overwrites a newer family member.
//!
//! Invariants: the lock is released only by its owner; a [`LockGuard`] dropped without
//! `release` (error path, panic, cancelled future) spawns the release on the runtime, so
//! it is released on every path.

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
    /// The holder's random id. (`acquiredAt` is written for people reading the store;
    /// staleness is judged by the store's timestamp.)
    owner: String,
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
        let value = lock_value(owner, self.clock.now());
        if !self.store.create_if_absent(&self.name, &value).await? {
            let Some(existing) = self.store.get(&self.name).await? else {
                return Ok(false); // released meanwhile: the next poll may win
            };
            // Our own create landed although its answer did not (or an SDK retry of it
            // was told "already exists"): the lock is ours.
            if owner_of(&existing.value).as_deref() == Some(owner) {
                return Ok(true);
            }
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

    /// Judged by the store's timestamp, never by the `acquiredAt` the writer put in the
    /// value (its clock may be skewed by hours).
    fn is_stale(&self, lock: &Parameter) -> bool {
        self.clock
            .now()
            .duration_since(lock.last_modified)
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

fn lock_value(owner: &str, now: SystemTime) -> String {
    serde_json::json!({ "owner": owner, "acquiredAt": epoch_millis(now) }).to_string()
}

fn owner_of(value: &str) -> Option<String> {
    serde_json::from_str::<LockValue>(value)
        .ok()
        .map(|v| v.owner)
}

impl LockGuard {
    /// Whether the store still names us as the owner.
    pub async fn owned(&self) -> Result<bool, AuthError> {
        let current = self.store.get(&self.name).await?;
        Ok(current.is_some_and(|p| owner_of(&p.value).as_deref() == Some(self.owner.as_str())))
    }

    /// Rewrites the lock (same owner) so its store timestamp is fresh again: for a holder
    /// whose work may outlast [`LOCK_STALE_AFTER`]. Only while it is still ours.
    pub async fn renew(&self, now: SystemTime) -> Result<bool, AuthError> {
        if !self.owned().await? {
            return Ok(false);
        }
        self.store
            .put(&self.name, &lock_value(&self.owner, now))
            .await?;
        Ok(true)
    }

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

    /// A store whose timestamps follow `clock`, as SSM's follow AWS's.
    fn store_on(clock: &Arc<ManualClock>) -> Arc<MemoryStore> {
        Arc::new(MemoryStore::with_clock(clock.clone()))
    }

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
        let clock = Arc::new(ManualClock::default());
        let store = store_on(&clock);
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
        let clock = Arc::new(ManualClock::default());
        let store = store_on(&clock);
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
        let clock = Arc::new(ManualClock::default());
        let store = store_on(&clock);
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
        let clock = Arc::new(ManualClock::default());
        let store = store_on(&clock);
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

    /// A store whose next create-if-absent lands but whose answer is lost.
    #[derive(Debug)]
    struct LosingCreates {
        inner: Arc<MemoryStore>,
        lose: std::sync::atomic::AtomicBool,
    }

    #[async_trait::async_trait]
    impl SecretStore for LosingCreates {
        async fn get(&self, name: &str) -> Result<Option<Parameter>, crate::secrets::SecretError> {
            self.inner.get(name).await
        }
        async fn put(&self, name: &str, value: &str) -> Result<i64, crate::secrets::SecretError> {
            self.inner.put(name, value).await
        }
        async fn create_if_absent(
            &self,
            name: &str,
            value: &str,
        ) -> Result<bool, crate::secrets::SecretError> {
            let created = self.inner.create_if_absent(name, value).await?;
            match self.lose.swap(false, std::sync::atomic::Ordering::SeqCst) {
                true => Err(crate::secrets::SecretError::Transient {
                    name: name.to_owned(),
                    reason: "answer lost".into(),
                }),
                false => Ok(created),
            }
        }
        async fn delete(&self, name: &str) -> Result<(), crate::secrets::SecretError> {
            self.inner.delete(name).await
        }
    }

    #[tokio::test]
    async fn an_owner_whose_create_answer_was_lost_finds_its_own_lock() {
        let clock = Arc::new(ManualClock::default());
        let inner = store_on(&clock);
        let losing = Arc::new(LosingCreates {
            inner: inner.clone(),
            lose: true.into(),
        });
        let lock = RefreshLock {
            store: losing,
            name: "P_OAUTH_REFRESH_TOKEN_lock".into(),
            clock: clock.clone(),
            wait: Duration::from_millis(300),
            poll: Duration::from_millis(5),
        };
        // Without own-id recovery this waits for its own lock to go stale and times out.
        let guard = lock.acquire().await.unwrap();
        assert!(guard.owned().await.unwrap());
        guard.release().await;
        assert!(
            inner
                .get("P_OAUTH_REFRESH_TOKEN_lock")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_lock_stamped_in_the_future_expires_by_the_stores_clock() {
        let store_time = Arc::new(ManualClock::default());
        let store = store_on(&store_time);
        // An instance whose clock runs an hour ahead takes the lock and crashes.
        let skewed = Arc::new(ManualClock::default());
        skewed.advance(Duration::from_secs(3600));
        std::mem::forget(lock(&store, &skewed).acquire().await.unwrap());
        let value = store
            .get("P_OAUTH_REFRESH_TOKEN_lock")
            .await
            .unwrap()
            .unwrap();
        assert!(value.value.contains("acquiredAt"), "{}", value.value);
        // An instance on the store's time waits out the window of store time, no more.
        let honest = Arc::new(ManualClock::default());
        store_time.advance(LOCK_STALE_AFTER - Duration::from_secs(1));
        honest.advance(LOCK_STALE_AFTER - Duration::from_secs(1));
        assert!(
            lock(&store, &honest).acquire().await.is_err(),
            "still fresh"
        );
        store_time.advance(Duration::from_secs(2));
        honest.advance(Duration::from_secs(2));
        lock(&store, &honest)
            .acquire()
            .await
            .unwrap()
            .release()
            .await;
    }

    #[tokio::test]
    async fn a_holder_that_renews_is_not_broken_and_one_that_lost_it_knows() {
        let clock = Arc::new(ManualClock::default());
        let store = store_on(&clock);
        let holder = lock(&store, &clock).acquire().await.unwrap();
        clock.advance(LOCK_STALE_AFTER - Duration::from_secs(10));
        assert!(holder.renew(clock.now()).await.unwrap());
        clock.advance(Duration::from_secs(60));
        assert!(
            lock(&store, &clock).acquire().await.is_err(),
            "renewed: not stale"
        );
        clock.advance(LOCK_STALE_AFTER);
        let breaker = lock(&store, &clock).acquire().await.unwrap();
        assert!(
            !holder.owned().await.unwrap(),
            "the old holder learns it lost the lock"
        );
        assert!(
            !holder.renew(clock.now()).await.unwrap(),
            "and cannot renew it"
        );
        breaker.release().await;
        holder.release().await;
    }
}
