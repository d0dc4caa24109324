//! The token family under faults (docs/oauth.md, "Faults"): a caller gone at every await
//! point of a refresh, a Lambda deadline too close for one, refusals no new token cures,
//! a thawed instance with a stale pending token, a ledger unreadable at an instance's
//! first refresh or after a new consent, a token endpoint failing during an upstream-401
//! retry, expiry reported as 403/404. Time moves only on the injected clock; the tests
//! wait on gates and signals, never on sleeps.

use std::sync::Arc;
use std::time::Duration;

use pseudoproxy::auth::{SCOPE_OR_SITE_HINT, TokenFamily};
use pseudoproxy::proxy::AppState;
use pseudoproxy::secrets::MemoryStore;

use super::oauth_chaos::{ChaosStore, Op, When};
use super::oauth_mock::{Fault, MockAtlassian};
use super::oauth_support::{
    SPACES_QUERY, assert_ok, clock, get_spaces, instance, seed, stored, tuning,
};
use super::proxy_support::{Event, Reply, invoke_with_deadline};

const P: &str = "F_";
const RT: &str = "F_REFRESH_TOKEN";
const LOCK: &str = "F_OAUTH_REFRESH_TOKEN_lock";
const FAMILY: &str = "F_TOKEN_FAMILY";
const TWO_HOURS: Duration = Duration::from_secs(2 * 3600);

struct World {
    clock: Arc<pseudoproxy::config::ManualClock>,
    mock: MockAtlassian,
    store: Arc<ChaosStore>,
    app: Arc<AppState>,
}

async fn world(tuning: pseudoproxy::auth::ManagerConfig) -> World {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(ChaosStore::new(Arc::new(MemoryStore::with_clock(
        clock.clone(),
    ))));
    seed(store.inner.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning).await;
    World {
        clock,
        mock,
        store,
        app,
    }
}

impl World {
    /// The store holds the family's current refresh token, no lock is left, and the
    /// family still refreshes (two hours on, beyond the reuse leeway).
    async fn assert_family_intact(&self, what: &str) {
        self.store.until_absent(LOCK).await;
        assert_eq!(
            stored(self.store.inner.as_ref(), RT).await,
            self.mock.current_refresh_token(),
            "{what}: the store holds the newest refresh token"
        );
        self.clock.advance(TWO_HOURS);
        assert_ok(
            &get_spaces(&self.app).await,
            &format!("{what}: a later refresh"),
        );
        assert_eq!(
            stored(self.store.inner.as_ref(), RT).await,
            self.mock.current_refresh_token(),
            "{what}: the later rotation is stored"
        );
        assert!(!self.mock.revoked(), "{what}: family revoked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_gone_at_any_await_point_of_a_refresh_loses_no_token() {
    let points = [
        (
            Op::Get,
            "REFRESH_TOKEN",
            When::Before,
            "lock held, refresh token being read",
        ),
        (
            Op::Put,
            "REFRESH_TOKEN",
            When::Before,
            "token endpoint answered",
        ),
        (
            Op::Put,
            "REFRESH_TOKEN",
            When::After,
            "store write in flight",
        ),
        (
            Op::Put,
            "ACCESS_TOKEN",
            When::Before,
            "sharing the access token",
        ),
        (Op::Delete, "_lock", When::Before, "lock release pending"),
    ];
    for (op, suffix, when, what) in points {
        let w = world(tuning()).await;
        let gate = w.store.gate(op, suffix, when);
        let request = tokio::spawn(get_spaces_owned(w.app.clone()));
        gate.reached().await;
        request.abort(); // the client disconnects; the request future is dropped
        assert!(request.await.unwrap_err().is_cancelled(), "{what}");
        gate.open();
        // The next caller waits for the detached refresh rather than starting another.
        w.app.tokens.bearer().await.unwrap();
        w.store.until_absent(LOCK).await;
        assert_eq!(w.mock.state().refresh_calls, 1, "{what}");
        w.assert_family_intact(what).await;
        assert_eq!(w.mock.state().refresh_calls, 2, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_timing_out_while_the_token_call_is_in_flight_loses_no_token() {
    let mut slow_answer = tuning();
    slow_answer.token_timeout = Duration::from_secs(5);
    let w = world(slow_answer).await;
    w.mock.state().late_by = Duration::from_millis(300);
    w.mock.state().faults.push_back(Fault::TimeoutAfterRotation);
    // The request gives up long before the token endpoint answers.
    let gave_up = tokio::time::timeout(Duration::from_millis(50), get_spaces(&w.app)).await;
    assert!(gave_up.is_err(), "the request should have timed out");
    w.app.tokens.bearer().await.unwrap();
    // The detached refresh still owns the lock and stores the rotated token.
    w.assert_family_intact("request timeout").await;
    assert_eq!(w.mock.state().refresh_calls, 2);
}

async fn get_spaces_owned(app: Arc<AppState>) -> Reply {
    get_spaces(&app).await
}

#[tokio::test]
async fn a_lambda_deadline_too_close_for_a_refresh_starts_none() {
    let mut fixed_margin = tuning();
    fixed_margin.margin = (Duration::from_secs(300), Duration::from_secs(300));
    let w = world(fixed_margin).await;
    let before = stored(w.store.inner.as_ref(), RT).await;
    // The shared token has expired and 5 s are left: no refresh may start.
    let reply = invoke_with_deadline(
        w.app.clone(),
        &Event::get(SPACES_QUERY),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(reply.headers.contains_key("retry-after"));
    assert_eq!(w.mock.state().token_calls, 0, "no token call started");
    assert_eq!(stored(w.store.inner.as_ref(), RT).await, before);
    // With time, the refresh happens.
    let reply = invoke_with_deadline(
        w.app.clone(),
        &Event::get(SPACES_QUERY),
        Duration::from_secs(120),
    )
    .await;
    assert_ok(&reply, "deadline far enough");
    assert_eq!(w.mock.state().refresh_calls, 1);
    // 57 minutes on the token is inside its 5-minute margin but alive: a request with
    // too little time left uses it rather than starting a refresh.
    w.clock.advance(Duration::from_secs(57 * 60));
    let reply = invoke_with_deadline(
        w.app.clone(),
        &Event::get(SPACES_QUERY),
        Duration::from_secs(5),
    )
    .await;
    assert_ok(&reply, "token near its end, deadline close");
    assert_eq!(w.mock.state().refresh_calls, 1, "no refresh started");
}

#[tokio::test]
async fn a_hundred_scope_mismatch_refusals_make_at_most_one_token_call() {
    let w = world(tuning()).await;
    w.mock.state().scope_mismatch = true;
    for i in 0..100 {
        w.clock.advance(Duration::from_secs(1));
        let reply = get_spaces(&w.app).await;
        assert_eq!(reply.status, 401, "request {i}: {}", reply.text());
        assert_eq!(
            reply.json()["hint"],
            SCOPE_OR_SITE_HINT,
            "request {i} names the likely cause"
        );
        assert!(reply.text().contains("scope"), "request {i}");
    }
    let calls = w.mock.state().token_calls;
    assert!(calls <= 1, "{calls} token calls for 100 refusals");
    // With time passing (30 s a request for 50 minutes), refusals still do not rotate
    // more than once per cool-down.
    for _ in 0..100 {
        w.clock.advance(Duration::from_secs(30));
        assert_eq!(get_spaces(&w.app).await.status, 401);
    }
    let calls = w.mock.state().token_calls;
    // One refusal refresh per 5-minute cool-down, plus the token's own hourly refresh.
    assert!(
        calls <= 1 + 10 + 1,
        "{calls} token calls in 50 minutes of refusals"
    );
    assert!(!w.mock.revoked());
}

/// The stored ledger, parsed.
async fn stored_ledger(w: &World) -> TokenFamily {
    let ledger = stored(w.store.inner.as_ref(), FAMILY)
        .await
        .expect("a stored ledger");
    TokenFamily::parse(&ledger).expect("a readable ledger")
}

/// A refresh on an instance that has not read the ledger yet, while the ledger cannot be
/// read, must not overwrite it with one that has lost the consent date (the simulated
/// year found this: the 30-day warning then never came).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_ledger_at_the_first_refresh_keeps_the_consent_date() {
    let w = world(tuning()).await;
    let seeded = stored_ledger(&w).await;
    assert!(seeded.issued_at.is_some(), "seeded with a consent date");
    w.store.plan(Op::Get, "TOKEN_FAMILY", 0, 1, false);
    assert_ok(
        &get_spaces(&w.app).await,
        "a refresh while the ledger is unreadable",
    );
    assert_eq!(w.mock.state().refresh_calls, 1, "the refresh happened");
    // Untouched, lastRefreshAt included: the planned read is the one that failed.
    assert_eq!(stored_ledger(&w).await, seeded, "ledger left as it was");
    // The next refresh, with the store readable again, records it as usual.
    w.clock.advance(TWO_HOURS);
    assert_ok(&get_spaces(&w.app).await, "a later refresh");
    assert_eq!(w.mock.state().refresh_calls, 2);
    let ledger = stored_ledger(&w).await;
    assert_eq!(ledger.issued_at, seeded.issued_at);
    assert!(ledger.last_refresh_at > seeded.last_refresh_at);
    let family = w.app.tokens.status().await.unwrap().family.unwrap();
    assert_eq!(family.issued_at, seeded.issued_at);
    assert_eq!(family.days_to_absolute_expiry, Some(364));
}

/// An instance that read the ledger before the operator re-ran consent must not write its
/// older consent date back when the new ledger cannot be read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_ledger_after_a_new_consent_keeps_the_new_date() {
    let w = world(tuning()).await;
    assert_ok(
        &get_spaces(&w.app).await,
        "a first refresh reads the ledger",
    );
    w.clock.advance(TWO_HOURS);
    let renewed = TokenFamily {
        issued_at: Some(stored_ledger(&w).await.issued_at.unwrap() + 7_200_000),
        last_refresh_at: None,
    };
    w.store.inner.put(FAMILY, &renewed.to_json()).await.unwrap();
    w.store.plan(Op::Get, "TOKEN_FAMILY", 0, 1, false);
    assert_ok(
        &get_spaces(&w.app).await,
        "a refresh while the ledger is unreadable",
    );
    assert_eq!(w.mock.state().refresh_calls, 2, "the refresh happened");
    assert_eq!(
        stored_ledger(&w).await,
        renewed,
        "the new consent's ledger kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thawed_instance_drops_its_stale_pending_token_and_the_family_survives() {
    let w = world(tuning()).await;
    // Instance A: its write of the rotated token lands but the answer is lost, and the
    // reads that would show it landed fail; A keeps the token pending, then freezes.
    w.store.plan(Op::Put, "REFRESH_TOKEN", 0, 1, true);
    w.store.plan(Op::Get, "REFRESH_TOKEN", 2, 100, false);
    assert_ok(&get_spaces(&w.app).await, "A refreshes");
    let status = w.app.tokens.status().await.unwrap();
    assert!(status.unsaved_refresh_token, "A holds a pending write");
    // Instance B (same store, no faults) rotates twice over the next hours.
    let b = instance(&w.mock, w.store.inner.clone(), w.clock.clone(), P, tuning()).await;
    for step in 0..2 {
        w.clock.advance(TWO_HOURS);
        assert_ok(&get_spaces(&b).await, &format!("B refresh {step}"));
    }
    let newest = w.mock.current_refresh_token();
    assert_eq!(stored(w.store.inner.as_ref(), RT).await, newest);
    // A thaws hours later; its store calls work again.
    w.clock.advance(TWO_HOURS);
    w.store.clear_plan();
    assert_ok(&get_spaces(&w.app).await, "A after thawing");
    assert!(!w.app.tokens.status().await.unwrap().unsaved_refresh_token);
    assert!(!w.mock.revoked(), "family revoked by a stale write");
    assert_eq!(w.mock.state().refresh_calls, 4);
    // B goes on with whatever A stored.
    w.clock.advance(TWO_HOURS);
    assert_ok(&get_spaces(&b).await, "B after A thawed");
    assert!(!w.mock.revoked());
    assert_eq!(
        stored(w.store.inner.as_ref(), RT).await,
        w.mock.current_refresh_token()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_lost_its_lock_does_not_write_under_the_instance_that_took_over() {
    let w = world(tuning()).await;
    let store_b = Arc::new(ChaosStore::new(w.store.inner.clone()));
    let b = instance(&w.mock, store_b.clone(), w.clock.clone(), P, tuning()).await;
    let parent = stored(w.store.inner.as_ref(), RT).await;
    // A holds the lock and the rotated token, and is paused before re-checking the lock
    // (the first lock read is the acquire's confirmation).
    let paused_a = w.store.gate_after(Op::Get, "_lock", When::Before, 1);
    let a = tokio::spawn(get_spaces_owned(w.app.clone()));
    paused_a.reached().await;
    // Three minutes on A's lock is stale by the store's clock. B breaks it, spends the
    // parent again (inside the reuse leeway) and is paused before writing its token.
    w.clock.advance(Duration::from_secs(3 * 60));
    let paused_b = store_b.gate(Op::Put, "REFRESH_TOKEN", When::Before);
    let b_request = tokio::spawn(get_spaces_owned(b.clone()));
    paused_b.reached().await;
    assert_eq!(w.mock.state().refresh_calls, 2);
    // A resumes: it no longer owns the lock, so it writes nothing.
    paused_a.open();
    assert_ok(&a.await.unwrap(), "A served with its new access token");
    assert_eq!(
        stored(w.store.inner.as_ref(), RT).await,
        parent,
        "A wrote under B"
    );
    assert!(w.app.tokens.status().await.unwrap().unsaved_refresh_token);
    // B writes the family's current token over the parent.
    paused_b.open();
    assert_ok(&b_request.await.unwrap(), "B");
    assert_eq!(
        stored(w.store.inner.as_ref(), RT).await,
        w.mock.current_refresh_token()
    );
    // Later A drops its pending sibling (under the lock) and refreshes from B's token.
    w.clock.advance(TWO_HOURS);
    assert_ok(&get_spaces(&w.app).await, "A later");
    assert!(!w.app.tokens.status().await.unwrap().unsaved_refresh_token);
    assert!(!w.mock.revoked(), "family revoked");
    assert_eq!(
        stored(w.store.inner.as_ref(), RT).await,
        w.mock.current_refresh_token()
    );
}

#[tokio::test]
async fn a_token_endpoint_failing_during_a_401_retry_is_503_with_retry_after() {
    for status in [503, 429] {
        let w = world(tuning()).await;
        assert_ok(&get_spaces(&w.app).await, "first refresh");
        w.clock.advance(Duration::from_secs(5 * 60));
        {
            let mut state = w.mock.state();
            state.refuse_next.push_back(401);
            state.faults.push_back(Fault::Status(status));
        }
        let reply = get_spaces(&w.app).await;
        assert_eq!(reply.status, 503, "endpoint {status}: {}", reply.text());
        assert!(
            reply.headers.contains_key("retry-after"),
            "endpoint {status}"
        );
        assert_ne!(reply.error_code(), Some("API_ERROR"));
        assert!(!reply.text().contains("401"), "{}", reply.text());
        // The next request works (the token was refused once, not revoked).
        assert_ok(&get_spaces(&w.app).await, "after the transient failure");
        assert!(!w.mock.revoked());
    }
}

#[tokio::test]
async fn expiry_reported_as_403_or_404_refreshes_only_near_the_end_of_the_token() {
    for status in [403, 404] {
        let mut fixed_margin = tuning();
        fixed_margin.margin = (Duration::from_secs(60), Duration::from_secs(60));
        let w = world(fixed_margin).await;
        assert_ok(&get_spaces(&w.app).await, "first refresh");
        // A fresh token refused 403/404: a real refusal, passed on, no refresh.
        w.mock.state().refuse_next.push_back(status);
        assert_eq!(get_spaces(&w.app).await.status, status);
        assert_eq!(w.mock.state().refresh_calls, 1, "{status} on a fresh token");
        // 58 minutes on (outside the 1-minute margin, inside the 5-minute expiry
        // window), the same answer means "expired": refresh once and retry.
        w.clock.advance(Duration::from_secs(58 * 60));
        w.mock.state().refuse_next.push_back(status);
        let reply = get_spaces(&w.app).await;
        assert_ok(&reply, &format!("{status} near expiry"));
        assert_eq!(w.mock.state().refresh_calls, 2, "{status}");
        assert!(!w.mock.revoked());
    }
}
