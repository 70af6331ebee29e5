use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Reply, Tenant};

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply { body: body.to_string(), ..Reply::status(status).header("content-type", "application/json") }
    }
}

async fn provider(tenant: &Tenant, name: &str, url: &str, timeout_ms: u32) {
    let body = json!({"url": url, "timeout_ms": timeout_ms, "headers": {"X-Loyalty-Key": "lk"}});
    let (status, answer, _) = tenant
        .api
        .send(reqwest::Method::PUT, &tenant.path(&format!("/callout-providers/{name}")), Some(&body), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn call(tenant: &Tenant, name: &str, body: Value) -> (StatusCode, Value) {
    tenant.api.post(&tenant.path(&format!("/callouts/{name}")), body).await
}

#[tokio::test]
async fn the_provider_answers_and_kurir_relays_it() {
    let kurir = Kurir::start().await;
    let loyalty = Receiver::start(|_, _| Reply::json(200, json!({"Point": 1208}))).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    provider(&tenant, "fetchLoyaltyPoints", &format!("{}/points", loyalty.url), 2_000).await;

    let request = json!({"Outlet": "Outlet1", "Phone": "+628159137777", "Email": "john.doe@gmail.com", "Code": "4650865270308696"});
    let (status, answer) = call(&tenant, "fetchLoyaltyPoints", request.clone()).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"Point": 1208})));
    let received = &loyalty.received()[0];
    assert_eq!(received.json(), request);
    assert_eq!(received.header("x-loyalty-key"), Some("lk"));

    // DealPOS itself calls the call-out URL of a DealPOS source.
    let source = tenant
        .api
        .post_ok(
            &tenant.path("/sources"),
            json!({"dialect": "dealpos", "name": "pos", "verify": {"api_key": "s3"}}),
            StatusCode::CREATED,
        )
        .await;
    let url = source["url"].as_str().unwrap_or_default().replace("{event}", "callouts/fetchLoyaltyPoints");
    let http = reqwest::Client::new();
    let ok = http.post(&url).header("x-api-key", "s3").json(&request).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.ok(), Some(json!({"Point": 1208})));
    let refused = http.post(&url).header("x-api-key", "wrong").json(&request).send().await.map(|r| r.status());
    assert_eq!(refused.ok(), Some(StatusCode::UNAUTHORIZED));

    let log = eventually("the call-out log", Duration::from_secs(5), || async {
        let (_, log) = tenant.api.get(&tenant.path("/callout-providers/fetchLoyaltyPoints/log")).await;
        log["data"].as_array().filter(|d| d.len() == 2).cloned()
    })
    .await;
    assert!(log.iter().all(|entry| entry["outcome"] == "ok" && entry["status"] == 200));
}

#[tokio::test]
async fn a_documented_coupon_refusal_is_relayed_as_400() {
    let kurir = Kurir::start().await;
    let refusal = json!({"status": "used", "expiredAt": "2026-01-01", "Message": "Coupon already used"});
    let loyalty = Receiver::start({
        let refusal = refusal.clone();
        move |_, _| Reply::json(400, refusal.clone())
    })
    .await;
    let tenant = Tenant::create(&kurir, "acme").await;
    provider(&tenant, "loyaltyValidateCoupon", &loyalty.url, 2_000).await;
    let request = json!({"Key": "1234", "Outlet": "Outlet1", "Customer": {"Email": "a@b.c", "Phone": "0812"}});
    assert_eq!(call(&tenant, "loyaltyValidateCoupon", request).await, (StatusCode::BAD_REQUEST, refusal));
}

#[tokio::test]
async fn a_slow_provider_gets_504_in_time() {
    let kurir = Kurir::start().await;
    let slow = Receiver::start(|_, _| Reply::json(200, json!({"reward": 9000})).delayed(Duration::from_secs(3))).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    provider(&tenant, "loyaltyPointOnOrderComplete", &slow.url, 300).await;
    let started = Instant::now();
    let (status, error) = call(&tenant, "loyaltyPointOnOrderComplete", json!({"ID": "inv-1"})).await;
    assert_eq!((status, &error["error"]["code"]), (StatusCode::GATEWAY_TIMEOUT, &json!("provider_timeout")));
    assert!(started.elapsed() < Duration::from_millis(2_000), "answered after {:?}", started.elapsed());
}

#[tokio::test]
async fn a_bad_answer_is_a_502_that_names_the_field() {
    let kurir = Kurir::start().await;
    let loyalty = Receiver::start(|_, _| Reply::json(200, json!({"Type": "Percentage", "Amount": "ten"}))).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    provider(&tenant, "validateCoupon", &loyalty.url, 2_000).await;
    let (status, error) = call(&tenant, "validateCoupon", json!({"Code": "1234"})).await;
    assert_eq!((status, &error["error"]["code"]), (StatusCode::BAD_GATEWAY, &json!("provider_bad_answer")));
    assert!(error["error"]["message"].as_str().unwrap_or_default().contains("response.Amount"), "{error}");
}

#[tokio::test]
async fn a_dead_provider_opens_the_circuit_and_the_pos_is_answered_at_once() {
    let kurir = Kurir::start().await;
    let broken = Receiver::start(|_, _| Reply::status(500)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    provider(&tenant, "fetchLoyaltyPoints", &broken.url, 2_000).await;
    for _ in 0..3 {
        let (status, _) = call(&tenant, "fetchLoyaltyPoints", json!({"Outlet": "Outlet1"})).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
    }
    let (status, error) = call(&tenant, "fetchLoyaltyPoints", json!({"Outlet": "Outlet1"})).await;
    assert_eq!((status, &error["error"]["code"]), (StatusCode::BAD_GATEWAY, &json!("provider_circuit_open")));
    assert_eq!(broken.count(), 3, "an open circuit does not call the provider");

    // A provider that cannot be reached at all is a 502 too.
    provider(&tenant, "validateCoupon", "http://127.0.0.1:9/nothing-listens-here", 2_000).await;
    let (status, error) = call(&tenant, "validateCoupon", json!({"Code": "1"})).await;
    assert_eq!((status, &error["error"]["code"]), (StatusCode::BAD_GATEWAY, &json!("provider_unreachable")));
    let (status, _) = call(&tenant, "noSuchCallout", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
