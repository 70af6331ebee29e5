use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::util::{event_ids, eventually, Kurir, Receiver, Reply, Tenant};

/// Every event id the receiver has seen (by `webhook-id`).
fn seen_ids(receiver: &Receiver) -> HashSet<String> {
    event_ids(&receiver.received())
}

#[tokio::test]
async fn a_restart_resumes_pending_retries() {
    let mut kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![Reply::status(500)], Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [2]})).await;
    let event_id = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    eventually("the first attempt", Duration::from_secs(5), || async { (receiver.count() == 1).then_some(()) }).await;

    assert!(kurir.terminate(), "kurir should exit cleanly on SIGTERM; log:\n{}", kurir.log());
    let data_dir = kurir.data_dir.clone();
    let restarted = Kurir::start_in(&data_dir).await;
    let tenant = Tenant { api: restarted.admin(), ..tenant };
    eventually("the retry after the restart", Duration::from_secs(10), || async {
        let deliveries = tenant.deliveries_of(&event_id).await;
        (deliveries.first().is_some_and(|d| d["state"] == "succeeded")).then_some(())
    })
    .await;
    assert_eq!(receiver.count(), 2);
    drop(kurir);
}

#[tokio::test]
async fn kill_9_loses_no_accepted_event() {
    let mut kurir = Kurir::start().await;
    // A slow receiver and ten ordering keys (each key's deliveries go one at a time), so that ten deliveries are
    // in flight and most wait when the process dies, however fast or slow this machine publishes.
    let receiver = Receiver::start(|_, _| Reply::status(200).delayed(Duration::from_millis(300))).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;

    let mut accepted = HashSet::new();
    for n in 0..200 {
        let (status, body) =
            tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": n % 10}})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        accepted.insert(body["id"].as_str().unwrap_or_default().to_owned());
    }
    // Kill while something is in flight: how soon the first delivery goes out depends on the machine's load.
    eventually("a delivery in flight", Duration::from_secs(10), || async {
        (seen_ids(&receiver).len() > event_ids(&receiver.answered()).len()).then_some(())
    })
    .await;
    kurir.kill9();
    // A delivery counts once the receiver answered 2xx; those that had arrived and were still waiting for their
    // answer were in flight when kurir died: nothing can have recorded them as delivered.
    let answered = event_ids(&receiver.answered());
    let in_flight: HashSet<String> = seen_ids(&receiver).difference(&answered).cloned().collect();
    assert!(answered.len() < accepted.len(), "the kill should interrupt the run ({} answered)", answered.len());
    assert!(!in_flight.is_empty(), "some deliveries were in flight at the kill");

    let data_dir = kurir.data_dir.clone();
    let _restarted = Kurir::start_in(&data_dir).await;
    eventually("every accepted event to be answered", Duration::from_secs(30), || async {
        accepted.is_subset(&event_ids(&receiver.answered())).then_some(())
    })
    .await;
    // What was in flight at the kill arrived again after the restart.
    let received = receiver.received();
    for id in &in_flight {
        let arrivals = received.iter().filter(|r| r.header("webhook-id") == Some(id.as_str())).count();
        assert!(arrivals >= 2, "{id} was in flight at the kill and was not sent again");
    }
    drop(kurir);
}
