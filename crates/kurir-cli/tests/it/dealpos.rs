use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Reply, Tenant};

#[tokio::test]
async fn test_webhook_sends_the_catalog_example_to_one_endpoint() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let other = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant
        .endpoint(
            &format!("{}/dealpos/{{event}}", receiver.url),
            json!({"dialect": "dealpos", "event_types": ["productCreated"]}),
        )
        .await;
    tenant.endpoint(&other.url, json!({})).await;
    let path = tenant.path(&format!("/endpoints/{}/test", endpoint["id"].as_str().unwrap_or_default()));

    let sent = tenant.api.post_ok(&path, json!({"type": "closeShift"}), StatusCode::ACCEPTED).await;
    eventually("the test webhook", Duration::from_secs(5), || async { (receiver.count() == 1).then_some(()) }).await;
    let request = &receiver.received()[0];
    assert_eq!(request.path, "/dealpos/closeShift", "sent even though the endpoint filters other types");
    assert_eq!(request.json()["Cashier"], "admin");
    assert_eq!(request.header("webhook-id"), sent["event_id"].as_str());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(other.count(), 0, "only the tested endpoint gets it");

    let (status, error) = tenant.api.post(&path, json!({"type": "nope"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("type")));
}

async fn attempts_kept(mode: &str) -> (Value, Vec<Value>) {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![Reply::status(500)], Reply::status(200)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let (status, patched) = tenant.api.patch(&tenant.path(""), json!({"attempt_log": mode})).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["attempt_log"], mode);
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [0]})).await;
    let event = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    let delivery = eventually("success", Duration::from_secs(10), || async {
        tenant.deliveries_of(&event).await.into_iter().find(|d| d["state"] == "succeeded")
    })
    .await;
    let attempts = tenant.attempts(delivery["id"].as_str().unwrap_or_default()).await;
    (delivery, attempts)
}

#[tokio::test]
async fn the_attempt_log_keeps_what_the_tenants_mode_says() {
    let (delivery, full) = attempts_kept("full").await;
    assert_eq!(delivery["attempts"], 2);
    assert_eq!(full.iter().map(|a| a["status"].clone()).collect::<Vec<_>>(), [json!(500), json!(200)]);

    let (_, errors) = attempts_kept("errors").await;
    assert_eq!(errors.iter().map(|a| a["status"].clone()).collect::<Vec<_>>(), [json!(500)]);

    let (delivery, none) = attempts_kept("none").await;
    assert!(none.is_empty());
    assert_eq!(
        (delivery["attempts"].clone(), delivery["last_status"].clone()),
        (json!(2), json!(200)),
        "the delivery itself is kept"
    );
}

#[tokio::test]
async fn a_bad_attempt_log_mode_is_refused() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let (status, error) = tenant.api.patch(&tenant.path(""), json!({"attempt_log": "verbose"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("attempt_log")));
}
