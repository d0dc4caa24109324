//! A simulated year: three instances over one store refresh about every 55 minutes of
//! clock time for 364 days against the mock, with ~1% injected faults (token endpoint
//! 5xx, timeouts after rotation, failed store writes). The family is never revoked and
//! the ledger's countdown reaches the 30-day warning.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pseudoproxy::secrets::MemoryStore;

use super::oauth_mock::{Fault, MockAtlassian};
use super::oauth_support::{FaultyStore, clock, health, instance, seed, stored, tuning};

const STEP: Duration = Duration::from_secs(55 * 60);
const DAY_SECS: u64 = 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_refreshes_with_faults_never_loses_the_family() {
    let started = Instant::now();
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    mock.state().late_by = Duration::from_millis(400);
    let store = Arc::new(FaultyStore::new(Arc::new(MemoryStore::default()), 0.01));
    seed(store.inner.as_ref(), "Y_", &mock).await;
    let mut quick = tuning();
    quick.token_timeout = Duration::from_millis(150);
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(instance(&mock, store.clone(), clock.clone(), "Y_", quick.clone()).await);
    }
    let steps = 364 * DAY_SECS / STEP.as_secs();
    let (mut transient, mut first_warning) = (0usize, None);
    for step in 0..steps {
        clock.advance(STEP);
        let dice: f64 = rand::random();
        if dice < 0.004 {
            mock.state().faults.push_back(Fault::Status(503));
        } else if dice < 0.007 {
            mock.state().faults.push_back(Fault::TimeoutAfterRotation);
        }
        for app in &apps {
            match app.tokens.bearer().await {
                Ok(_) => {}
                Err(pseudoproxy::auth::TokenError::Unavailable(_)) => transient += 1,
                Err(other) => panic!("step {step}: {other}"),
            }
        }
        let day = (step + 1) * STEP.as_secs() / DAY_SECS;
        if first_warning.is_none() && step % 24 == 0 {
            let body = health(&apps[0], "true").await.json();
            if body["warningMessages"]
                .to_string()
                .contains("token family expires in")
            {
                first_warning = Some((day, body["tokenFamily"]["daysToAbsoluteExpiry"].clone()));
            }
        }
    }
    let current = {
        let state = mock.state();
        eprintln!(
            "simulated year: {steps} steps, {} refresh calls, {} transient failures, {} failed store writes, {:?} wall",
            state.refresh_calls,
            transient,
            *store.failed_puts.lock().unwrap(),
            started.elapsed()
        );
        assert_eq!(state.revocations, 0, "zero family revocations");
        assert!(state.family.as_ref().is_some_and(|f| !f.revoked));
        assert!(
            state.refresh_calls > 364 * 24 / 2,
            "refreshed all year: {}",
            state.refresh_calls
        );
        state.family.as_ref().map(|f| f.current.clone())
    };
    let (day, days_left) = first_warning.expect("the 30-day warning appeared");
    assert!(
        (335..=337).contains(&day),
        "warning first seen on day {day}"
    );
    assert_eq!(days_left, serde_json::json!(29));
    // The newest refresh token is stored (or, after an unlucky final write, about to be).
    let saved = stored(store.inner.as_ref(), "Y_REFRESH_TOKEN").await;
    let _ = apps[0].tokens.bearer().await;
    let saved_after = stored(store.inner.as_ref(), "Y_REFRESH_TOKEN").await;
    assert!(
        saved == current || saved_after == current,
        "newest refresh token persisted"
    );
}
