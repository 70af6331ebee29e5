//! What only the PostgreSQL backend has: wake-ups across nodes, and a server that goes away and comes back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kurir_store::{Database, StoreError, StoreOptions};

use crate::backends::*;

/// Waits up to `within` for `counter` to reach `at_least`.
async fn reaches(counter: &AtomicUsize, at_least: usize, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if counter.load(Ordering::SeqCst) >= at_least {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_on_one_node_wakes_the_others() {
    let fx = fixture(Backend::Postgres).await;
    let other_node = fx.db.handle().await;
    let wakes = Arc::new(AtomicUsize::new(0));
    other_node.on_due({
        let wakes = Arc::clone(&wakes);
        Arc::new(move || {
            wakes.fetch_add(1, Ordering::SeqCst);
        })
    });
    assert!(reaches(&wakes, 1, Duration::from_secs(10)).await, "one wake once listening");
    let before = wakes.load(Ordering::SeqCst);
    publish_many(&fx, 1, None).await;
    assert!(reaches(&wakes, before + 1, Duration::from_secs(10)).await, "the publish woke the other node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_is_unavailable_then_used_again() {
    let cluster = kurir_testpg::TestCluster::start()
        .unwrap_or_else(|err| panic!("PostgreSQL is needed for this test and none could be had: {err}"));
    let url = cluster.fresh_database("outage").unwrap_or_else(|err| panic!("{err}"));
    let options =
        StoreOptions { database: Database::Postgres { url }, secret_key: Some(SECRET_KEY.into()), metrics: None };
    let store = kurir_store::open(&options).await.unwrap_or_else(|err| panic!("{err}"));
    let tenant = tenant_id("acme");
    add_tenant(store.as_ref(), tenant.clone(), "Acme").await;

    cluster.stop_server().unwrap_or_else(|err| panic!("{err}"));
    let down = store.publish(&tenant, vec![event(&tenant, None, NOW)]).await;
    assert!(matches!(down, Err(StoreError::Unavailable { .. })), "a retryable error, not a failure: {down:?}");
    assert!(store.ping().await.is_err(), "not ready while the server is down");

    cluster.start_server().unwrap_or_else(|err| panic!("{err}"));
    let mut answer = store.ping().await;
    for _ in 0..50 {
        if answer.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = store.ping().await;
    }
    answer.unwrap_or_else(|err| panic!("the store carries on by itself once the server is back: {err}"));
    let published = store.publish(&tenant, vec![event(&tenant, None, NOW)]).await;
    assert_eq!(published.map(|p| p.len()).ok(), Some(1));
}
