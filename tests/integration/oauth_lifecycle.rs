//! The token lifecycle through the real app and bootstrap against the mock Atlassian
//! (MemoryStore; moto in `oauth_moto`): write-back failures, timeout after rotation, a
//! crashed lock owner, revocation vs transient failure, upstream 401, health fields.
//! Time moves only on the injected clock.

use std::sync::Arc;
use std::time::Duration;

use pseudoproxy::auth::{LOCK_STALE_AFTER, epoch_millis};
use pseudoproxy::config::Clock;
use pseudoproxy::secrets::{MemoryStore, SecretStore};

use super::oauth_mock::{Fault, MockAtlassian};
use super::oauth_support::{
    FaultyStore, assert_ok, clock, get_spaces, health, instance, seed, stored, tuning,
};

const P: &str = "T_";
const RT: &str = "T_REFRESH_TOKEN";
const TWO_HOURS: Duration = Duration::from_secs(2 * 3600);

#[tokio::test]
async fn rotated_token_write_fails_twice_then_succeeds_and_family_survives() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let faulty = Arc::new(FaultyStore::new(Arc::new(MemoryStore::default()), 0.0));
    seed(faulty.as_ref(), P, &mock).await;
    let app = instance(&mock, faulty.clone(), clock.clone(), P, tuning()).await;
    faulty.fail_puts("REFRESH_TOKEN", 2);
    assert_ok(&get_spaces(&app).await, "first request");
    assert_eq!(
        *faulty.failed_puts.lock().unwrap(),
        2,
        "both injected failures hit"
    );
    assert_eq!(
        stored(faulty.as_ref(), RT).await,
        mock.current_refresh_token(),
        "third write landed"
    );
    for step in 1..=3 {
        clock.advance(TWO_HOURS); // far beyond the reuse leeway
        assert_ok(&get_spaces(&app).await, &format!("refresh {step} later"));
    }
    assert_eq!(mock.state().refresh_calls, 4);
    assert!(!mock.revoked(), "family must survive");
}

#[tokio::test]
async fn rotated_token_kept_in_memory_while_writes_fail_then_written_on_a_later_request() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let faulty = Arc::new(FaultyStore::new(Arc::new(MemoryStore::default()), 0.0));
    seed(faulty.as_ref(), P, &mock).await;
    let app = instance(&mock, faulty.clone(), clock.clone(), P, tuning()).await;
    faulty.fail_puts("REFRESH_TOKEN", 4); // 3 attempts in the refresh + 1 retry
    assert_ok(&get_spaces(&app).await, "served with the new access token");
    assert_ne!(
        stored(faulty.as_ref(), RT).await,
        mock.current_refresh_token()
    );
    let reply = health(&app, "true").await;
    assert!(
        reply.text().contains("held in memory"),
        "health reports it: {}",
        reply.text()
    );
    assert_ok(&get_spaces(&app).await, "retry 1 fails (injected)");
    assert_ok(&get_spaces(&app).await, "retry 2 writes it");
    assert_eq!(
        stored(faulty.as_ref(), RT).await,
        mock.current_refresh_token()
    );
    assert!(!health(&app, "true").await.text().contains("held in memory"));
    clock.advance(TWO_HOURS);
    assert_ok(
        &get_spaces(&app).await,
        "next refresh uses the persisted token",
    );
    assert!(!mock.revoked());
    assert_eq!(mock.state().refresh_calls, 2);
}

#[tokio::test]
async fn token_endpoint_timing_out_after_rotating_is_recovered() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    mock.state().faults.push_back(Fault::TimeoutAfterRotation);
    assert_ok(
        &get_spaces(&app).await,
        "recovered by one retry with the same token",
    );
    assert_eq!(
        mock.state().refresh_calls,
        2,
        "the lost rotation and the retry"
    );
    assert_eq!(
        stored(store.as_ref(), RT).await,
        mock.current_refresh_token()
    );
    clock.advance(TWO_HOURS);
    assert_ok(&get_spaces(&app).await, "later refresh");
    assert!(!mock.revoked(), "family must survive");
}

#[tokio::test]
async fn lock_left_by_a_crashed_owner_is_broken_after_two_minutes_of_clock_time() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    seed(store.as_ref(), P, &mock).await;
    let crashed =
        serde_json::json!({"owner": "crashed-instance", "acquiredAt": epoch_millis(clock.now())});
    store
        .put("T_OAUTH_REFRESH_TOKEN_lock", &crashed.to_string())
        .await
        .unwrap();
    let mut short_wait = tuning();
    short_wait.lock_wait = Duration::from_millis(200);
    let app = instance(&mock, store.clone(), clock.clone(), P, short_wait).await;
    let reply = get_spaces(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.error_code()),
        (503, Some("CONFIGURATION_FAILURE")),
        "bounded wait on a live lock: {}",
        reply.text()
    );
    clock.advance(LOCK_STALE_AFTER + Duration::from_secs(1));
    assert_ok(&get_spaces(&app).await, "stale lock broken");
    assert_eq!(mock.state().refresh_calls, 1);
    assert!(
        store
            .get("T_OAUTH_REFRESH_TOKEN_lock")
            .await
            .unwrap()
            .is_none(),
        "released"
    );
}

#[tokio::test]
async fn invalid_grant_is_502_revoked_and_health_412_until_consent_is_rerun() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    mock.state().faults.push_back(Fault::InvalidGrant);
    let reply = get_spaces(&app).await;
    assert_eq!(
        (reply.status.as_u16(), reply.error_code()),
        (502, Some("SOURCE_AUTH_REVOKED"))
    );
    assert!(
        reply.text().contains("re-run the consent flow"),
        "{}",
        reply.text()
    );
    let reply = health(&app, "true").await;
    assert_eq!(reply.status.as_u16(), 412, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["lastRefreshOutcome"]["status"], "revoked");
    assert!(
        body["warningMessages"]
            .to_string()
            .contains("pseudoproxy auth"),
        "{body}"
    );
    let calls = mock.state().token_calls;
    assert_eq!(get_spaces(&app).await.status.as_u16(), 502);
    assert_eq!(
        mock.state().token_calls,
        calls,
        "a rejected token is not sent again"
    );
    // The operator re-runs consent: a new refresh token appears in the store.
    let fresh = mock.state().new_family();
    store.put(RT, &fresh).await.unwrap();
    assert_eq!(health(&app, "true").await.status.as_u16(), 200);
    assert_ok(&get_spaces(&app).await, "works again after consent");
}

#[tokio::test]
async fn token_endpoint_503_is_our_503_and_health_says_transient_not_revoked() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    for fault in [Fault::Status(503), Fault::Status(500), Fault::Status(429)] {
        mock.state().faults.push_back(fault);
        let reply = get_spaces(&app).await;
        assert_eq!(
            (reply.status.as_u16(), reply.error_code()),
            (503, Some("CONFIGURATION_FAILURE")),
            "{fault:?}: {}",
            reply.text()
        );
        let reply = health(&app, "true").await;
        let body = reply.json();
        assert_eq!(reply.status.as_u16(), 200, "{fault:?}: {body}");
        assert_eq!(body["lastRefreshOutcome"]["status"], "transient", "{body}");
        let text = body["warningMessages"].to_string();
        assert!(
            text.contains("transiently") && !text.contains("invalid_grant"),
            "{text}"
        );
    }
    assert_ok(&get_spaces(&app).await, "recovers on the next request");
    assert_eq!(
        stored(store.as_ref(), RT).await,
        mock.current_refresh_token()
    );
}

#[tokio::test]
async fn upstream_401_refreshes_once_and_retries() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    // A shared token in use for ten minutes (50 left) that the source no longer accepts:
    // old enough that a refresh may cure the 401.
    let forged = serde_json::json!({"token": "at-unknown", "expirationDate": epoch_millis(clock.now()) + 3_000_000});
    store
        .put("T_ACCESS_TOKEN", &forged.to_string())
        .await
        .unwrap();
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    assert_ok(&get_spaces(&app).await, "refreshed and retried");
    let state = mock.state();
    assert_eq!((state.refresh_calls, state.api_unauthorized), (1, 1));
}

#[tokio::test]
async fn fifty_concurrent_requests_in_one_instance_make_one_token_call() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    let replies = futures_join(50, &app).await;
    assert!(replies.iter().all(|s| *s == 200), "{replies:?}");
    assert_eq!(mock.state().token_calls, 1);
}

async fn futures_join(n: usize, app: &Arc<pseudoproxy::proxy::AppState>) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { get_spaces(&app).await.status.as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

#[tokio::test]
async fn health_reports_the_family_ledger_missing_client_settings_and_deep_check() {
    let clock = clock();
    let mock = MockAtlassian::start(clock.clone()).await;
    let store = Arc::new(MemoryStore::default());
    seed(store.as_ref(), P, &mock).await;
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    let body = health(&app, "true").await.json();
    let family = &body["tokenFamily"];
    assert_eq!(
        (
            &family["daysToAbsoluteExpiry"],
            &family["daysToInactivityExpiry"]
        ),
        (&serde_json::json!(365), &serde_json::json!(90)),
        "{body}"
    );
    clock.advance(Duration::from_secs(86_400 * 10));
    let reply = health(&app, "deep").await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text());
    assert_eq!(
        mock.state().refresh_calls,
        1,
        "deep obtains a token (refreshing when due)"
    );
    let body = reply.json();
    assert_eq!(
        body["tokenFamily"]["daysToInactivityExpiry"], 90,
        "refresh recorded: {body}"
    );
    assert_eq!(body["tokenFamily"]["daysToAbsoluteExpiry"], 355, "{body}");
    assert_eq!(body["lastRefreshOutcome"]["status"], "ok");

    store.delete("T_CLIENT_SECRET").await.unwrap();
    let app = instance(&mock, store.clone(), clock.clone(), P, tuning()).await;
    let reply = health(&app, "true").await;
    assert_eq!(reply.status.as_u16(), 412);
    assert_eq!(
        reply.json()["missingConfigProperties"],
        serde_json::json!(["CLIENT_SECRET"])
    );
    assert!(!reply.text().contains("mock-client"), "names only");
}
