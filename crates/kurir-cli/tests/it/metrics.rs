//! `/metrics`: admin only, in the Prometheus text format, and its figures move as kurir works.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::util::{eventually, Kurir, Receiver, Tenant, ADMIN_TOKEN};

/// The scrape's text, as the admin.
async fn scrape(kurir: &Kurir, token: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/metrics", kurir.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    (response.status(), response.text().await.unwrap_or_default())
}

/// The value of the sample line that starts with `name` (labels included), if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))?.rsplit(' ').next()?.parse().ok()
}

#[tokio::test]
async fn metrics_are_scraped_by_the_admin_and_move_as_kurir_works() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::ok().await;
    let endpoint = tenant.endpoint(&receiver.url, json!({})).await;

    assert_eq!(scrape(&kurir, "not-a-token").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(&kurir, tenant.api.token()).await.0, StatusCode::FORBIDDEN, "admin only");
    let (status, before) = scrape(&kurir, ADMIN_TOKEN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sample(&before, "kurir_events_published_total"), Some(0.0), "{before}");
    assert!(before.ends_with("# EOF\n"));

    for id in 0..3 {
        tenant.publish("ADDPRODUCT", json!({"id": id})).await;
    }
    let source = tenant
        .api
        .post_ok(
            &tenant.path("/sources"),
            json!({"dialect": "dealpos", "name": "pos", "verify": {"api_key": "s3"}}),
            StatusCode::CREATED,
        )
        .await;
    let url = source["url"].as_str().unwrap_or_default().replace("{event}", "productCreated");
    let http = reqwest::Client::new();
    for key in ["s3", "wrong"] {
        let _ = http.post(&url).header("x-api-key", key).json(&json!({"ID": "p-1"})).send().await;
    }

    // An attempt is counted when it ends; its outcome reaches the store (and leaves the queue) just after.
    let text = eventually("the deliveries are counted and written", Duration::from_secs(10), || async {
        let (_, text) = scrape(&kurir, ADMIN_TOKEN).await;
        let succeeded = sample(&text, "kurir_deliveries_total{outcome=\"succeeded\",dialect=\"standard\"}");
        (succeeded == Some(4.0) && sample(&text, "kurir_queue_depth") == Some(0.0)).then_some(text)
    })
    .await;
    assert_eq!(sample(&text, "kurir_events_published_total"), Some(3.0), "the inbound one is not a publish");
    assert_eq!(sample(&text, "kurir_attempt_duration_seconds_count{dialect=\"standard\"}"), Some(4.0));
    assert_eq!(sample(&text, "kurir_publish_duration_seconds_count"), Some(3.0));
    let inbound =
        |verdict: &str| format!("kurir_inbound_requests_total{{tenant=\"acme\",source=\"pos\",verdict=\"{verdict}\"}}");
    assert_eq!(sample(&text, &inbound("accepted")), Some(1.0), "{text}");
    assert_eq!(sample(&text, &inbound("refused")), Some(1.0));
    assert!(sample(&text, "kurir_outcome_batch_size_count").is_some_and(|n| n >= 1.0));
    assert_eq!(sample(&text, "kurir_queue_depth"), Some(0.0));
    assert_eq!(sample(&text, "kurir_endpoints_disabled"), Some(0.0));

    let id = endpoint["id"].as_str().unwrap_or_default();
    tenant.api.patch(&tenant.path(&format!("/endpoints/{id}")), json!({"enabled": false})).await;
    let (_, text) = scrape(&kurir, ADMIN_TOKEN).await;
    assert_eq!(sample(&text, "kurir_endpoints_disabled"), Some(1.0));
}
