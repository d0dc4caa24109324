//! A simulated year (364 days, 5-minute steps of clock time) of three instances over one
//! store against the mock Atlassian, with about 2 % faults of every kind the token
//! lifecycle must survive: cancelled requests, store calls throttled or timing out with
//! their answer lost (gets, puts, lock create and delete), token-endpoint 5xx/429 and
//! answers lost after rotating, instance clocks skewed by up to 90 s, instances frozen
//! for hours, and one hour in which the source refuses every token ("scope does not
//! match"). The family is never revoked, refreshes stay within 10 % of one per access
//! token lifetime, and the ledger's countdown reaches the 30-day warning. Figures are
//! printed (`cargo test oauth_year -- --nocapture`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use pseudoproxy::auth::TokenError;
use pseudoproxy::proxy::AppState;
use pseudoproxy::secrets::MemoryStore;

use super::oauth_chaos::{ChaosStore, SkewedClock};
use super::oauth_mock::MockAtlassian;
use super::oauth_support::{clock, get_spaces, health, instance, seed, stored, tuning};

const STEP: Duration = Duration::from_secs(5 * 60);
const STEPS_PER_HOUR: u64 = 12;
const DAY_SECS: u64 = 86_400;
const DAYS: u64 = 364;
const FAULT_RATE: f64 = 0.02;
const MAX_SKEW_SECS: i64 = 90;

struct Instance {
    app: Arc<AppState>,
    store: Arc<ChaosStore>,
    clock: Arc<SkewedClock>,
    frozen_until: u64,
}

#[derive(Debug, Default)]
struct Figures {
    calls: usize,
    transient: usize,
    cancelled: usize,
    freezes: usize,
    mismatch_answers: usize,
    mismatch_token_calls: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_faults_never_loses_the_family_nor_burns_refreshes() {
    let started = Instant::now();
    let truth = clock();
    let mock = MockAtlassian::start(truth.clone()).await;
    mock.state().late_by = Duration::from_millis(400);
    let shared = Arc::new(MemoryStore::with_clock(truth.clone()));
    seed(shared.as_ref(), "Y_", &mock).await;
    let mut quick = tuning();
    quick.token_timeout = Duration::from_millis(150);
    quick.lock_wait = Duration::from_millis(200);
    let mut fleet = Vec::new();
    for _ in 0..3 {
        let store = Arc::new(ChaosStore::new(shared.clone()));
        let clock = Arc::new(SkewedClock::new(truth.clone()));
        let app = instance(&mock, store.clone(), clock.clone(), "Y_", quick.clone()).await;
        store.set_fault_rate(FAULT_RATE);
        fleet.push(Instance {
            app,
            store,
            clock,
            frozen_until: 0,
        });
    }
    mock.state().random_fault_rate = FAULT_RATE;

    let steps = DAYS * DAY_SECS / STEP.as_secs();
    let mismatch_hour = steps / 2..steps / 2 + STEPS_PER_HOUR;
    let mut figures = Figures::default();
    let mut first_warning = None;
    for step in 0..steps {
        truth.advance(STEP);
        if step % (DAY_SECS / STEP.as_secs()) == 0 {
            for member in &fleet {
                member
                    .clock
                    .set_skew(rand::random_range(-MAX_SKEW_SECS..=MAX_SKEW_SECS));
            }
        }
        let mismatch = mismatch_hour.contains(&step);
        mock.state().scope_mismatch = mismatch;
        let calls_before = mock.state().token_calls;
        for (index, member) in fleet.iter_mut().enumerate() {
            if step < member.frozen_until {
                continue;
            }
            if rand::random::<f64>() < FAULT_RATE / 10.0 {
                // Frozen between invocations for 2–8 hours (it keeps whatever it holds).
                member.frozen_until = step + rand::random_range(2..=8) * STEPS_PER_HOUR;
                figures.freezes += 1;
                continue;
            }
            figures.calls += 1;
            if mismatch {
                let reply = get_spaces(&member.app).await;
                assert_ne!(
                    reply.status, 200,
                    "step {step}: the source refuses every token"
                );
                if reply.status == 401 {
                    assert!(
                        reply.text().contains("scope"),
                        "step {step}: {}",
                        reply.text()
                    );
                    figures.mismatch_answers += 1;
                }
                continue;
            }
            if rand::random::<f64>() < FAULT_RATE {
                // The caller goes away at a random point of the request.
                let app = member.app.clone();
                let request = tokio::spawn(async move { app.tokens.bearer().await });
                tokio::task::yield_now().await;
                request.abort();
                let _ = request.await;
                // A refresh it started runs on, detached; on Lambda the invocation (and so
                // the instance) is never frozen while one runs, so time moves on after.
                member.app.tokens.settle().await;
                figures.cancelled += 1;
                continue;
            }
            let outcome = if step % (6 * STEPS_PER_HOUR) == index as u64 {
                let reply = get_spaces(&member.app).await;
                match reply.status.as_u16() {
                    200 => Ok(()),
                    503 => Err(TokenError::Unavailable("503".into())),
                    other => panic!("step {step}: {other} {}", reply.text()),
                }
            } else {
                member.app.tokens.bearer().await.map(|_| ())
            };
            match outcome {
                Ok(()) => {}
                Err(TokenError::Unavailable(_)) => figures.transient += 1,
                Err(other) => {
                    let logs = super::proxy_support::captured_logs();
                    let tail: Vec<_> = logs.lines().rev().take(60).collect();
                    panic!(
                        "step {step} instance {index}: {other}\n{}\nLOGS\n{}",
                        mock.state()
                            .history
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("\n"),
                        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                    )
                }
            }
        }
        if mismatch {
            figures.mismatch_token_calls += mock.state().token_calls - calls_before;
        }
        let day = (step + 1) * STEP.as_secs() / DAY_SECS;
        if first_warning.is_none() && step % (DAY_SECS / STEP.as_secs()) == 0 {
            let body = health(&fleet[0].app, "true").await.json();
            if body["warningMessages"]
                .to_string()
                .contains("token family expires in")
            {
                first_warning = Some((day, body["tokenFamily"]["daysToAbsoluteExpiry"].clone()));
            }
        }
    }

    let lifetimes = (DAYS * DAY_SECS / 3600) as f64;
    let (refreshes, revocations, current) = {
        let state = mock.state();
        let current = state.family.as_ref().map(|f| f.current.clone());
        (state.refresh_calls, state.revocations, current)
    };
    let store_faults: Vec<_> = fleet
        .iter()
        .map(|m| m.store.counts.lock().unwrap().clone())
        .collect();
    eprintln!(
        "simulated year: {steps} steps × 3 instances, {} calls, {refreshes} refresh calls \
         ({:.3} per access-token lifetime of {lifetimes}), {revocations} revocations, \
         {} transient answers, {} cancelled, {} freezes, store faults {store_faults:?}, \
         scope-mismatch hour: {} answers naming the scope, {} token calls; {:?} wall",
        figures.calls,
        refreshes as f64 / lifetimes,
        figures.transient,
        figures.cancelled,
        figures.freezes,
        figures.mismatch_answers,
        figures.mismatch_token_calls,
        started.elapsed()
    );
    assert_eq!(revocations, 0, "zero family revocations");
    assert!(!mock.revoked());
    let ratio = refreshes as f64 / lifetimes;
    assert!(
        (0.9..=1.1).contains(&ratio),
        "refreshes per access-token lifetime: {ratio:.3}"
    );
    assert!(
        figures.mismatch_token_calls <= 3 * 12,
        "at most one refusal refresh per instance per cool-down: {}",
        figures.mismatch_token_calls
    );
    let (day, days_left) = first_warning.expect("the 30-day warning appeared");
    assert!(
        (335..=337).contains(&day),
        "warning first seen on day {day}"
    );
    assert_eq!(days_left, serde_json::json!(29));
    // The newest refresh token is stored (or, after an unlucky final write, is held
    // pending and written by the next call).
    for member in &fleet {
        member.store.set_fault_rate(0.0);
    }
    let saved = stored(shared.as_ref(), "Y_REFRESH_TOKEN").await;
    for member in &fleet {
        let _ = member.app.tokens.bearer().await;
    }
    let saved_after = stored(shared.as_ref(), "Y_REFRESH_TOKEN").await;
    assert!(
        saved == current || saved_after == current,
        "newest refresh token persisted"
    );
}
