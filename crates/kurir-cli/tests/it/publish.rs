use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Tenant};

async fn event_count(tenant: &Tenant) -> usize {
    let (_, events) = tenant.api.get(&tenant.path("/events")).await;
    events["data"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn schema_violations_are_422_naming_the_field_and_store_nothing() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let cases: [(Value, StatusCode, &str, Option<&str>); 6] = [
        (
            json!({"type": "productVariantCreated", "payload": {"ID": "v1", "UnitPrice": "cheap"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "schema_violation",
            Some("payload.UnitPrice"),
        ),
        (
            json!({"type": "productCreated", "payload": {"Variants": [{"UnitPrice": 1}, {"UnitPrice": "x"}]}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "schema_violation",
            Some("payload.Variants[1].UnitPrice"),
        ),
        (
            json!({"type": "ADDPRODUCT", "payload": {"id": "not a number"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "schema_violation",
            Some("payload.id"),
        ),
        (
            json!({"type": "noSuchEvent", "payload": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_event_type",
            Some("type"),
        ),
        (json!({"payload": {}}), StatusCode::BAD_REQUEST, "invalid_request", None),
        (
            json!({"type": "ADDPRODUCT", "payload": {}, "ordering_key": ""}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("ordering_key"),
        ),
    ];
    for (body, status, code, field) in cases {
        let (got, error) = tenant.api.post(&tenant.path("/events"), body.clone()).await;
        assert_eq!(got, status, "{body} -> {error}");
        assert_eq!(error["error"]["code"], code, "{body} -> {error}");
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{body} -> {error}");
        }
        assert!(!error["error"]["message"].as_str().unwrap_or_default().is_empty());
    }
    assert_eq!(event_count(&tenant).await, 0, "nothing is stored for a rejected publish");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_get_clear_errors() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let client = reqwest::Client::new();
    let token = {
        let key = kurir.admin().post_ok("/v1/tenants/acme/api-keys", json!({"name": "raw"}), StatusCode::CREATED).await;
        key["token"].as_str().unwrap_or_default().to_owned()
    };
    let url = format!("{}{}", kurir.base, tenant.path("/events"));
    let send = |body: Vec<u8>, content_type: &'static str| {
        client.post(&url).bearer_auth(&token).header("content-type", content_type).body(body).send()
    };

    let response = send(br#"{"type": "ADDPRODUCT", "payload": {"#.to_vec(), "application/json")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "invalid_json");

    let response =
        send(b"payload=1".to_vec(), "application/x-www-form-urlencoded").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let big = format!(r#"{{"type": "ADDPRODUCT", "payload": {{"name": "{}"}}}}"#, "x".repeat(1_100_000));
    let response = send(big.into_bytes(), "application/json").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body["error"]["code"], "payload_too_large");

    // The server keeps serving after all of that.
    tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    assert_eq!(event_count(&tenant).await, 1);
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;

    let bad = json!({"events": [
        {"type": "ADDPRODUCT", "payload": {"id": 1}},
        {"type": "productCreated", "payload": {"Discontinued": "no"}},
    ]});
    let (status, error) = tenant.api.post(&tenant.path("/events/batch"), bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "events[1].payload.Discontinued");
    assert_eq!(event_count(&tenant).await, 0);

    let events: Vec<Value> = (0..100).map(|n| json!({"type": "ADDPRODUCT", "payload": {"id": n}})).collect();
    let accepted =
        tenant.api.post_ok(&tenant.path("/events/batch"), json!({"events": events}), StatusCode::ACCEPTED).await;
    let ids = accepted["events"].as_array().cloned().unwrap_or_default();
    assert_eq!(ids.len(), 100);
    assert!(ids.iter().all(|e| e["deliveries"] == 1 && e["id"].as_str().is_some_and(|id| id.starts_with("evt_"))));
    eventually("100 deliveries", Duration::from_secs(10), || async { (receiver.count() == 100).then_some(()) }).await;

    let (status, error) = tenant.api.post(&tenant.path("/events/batch"), json!({"events": []})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("events")));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_event() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;
    let body = json!({"type": "ADDPRODUCT", "payload": {"id": 1}});
    let key = [("Idempotency-Key", "order-1-created")];

    let (status, first, headers) =
        tenant.api.send(reqwest::Method::POST, &tenant.path("/events"), Some(&body), &key).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(headers.get("idempotent-replayed").is_none());
    let (status, again, headers) =
        tenant.api.send(reqwest::Method::POST, &tenant.path("/events"), Some(&body), &key).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["deliveries"], 1);
    assert_eq!(headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));

    assert_eq!(event_count(&tenant).await, 1);
    eventually("the one delivery", Duration::from_secs(5), || async { (receiver.count() == 1).then_some(()) }).await;
    let (_, event) =
        tenant.api.get(&tenant.path(&format!("/events/{}", first["id"].as_str().unwrap_or_default()))).await;
    assert_eq!(event["deliveries"].as_array().map(Vec::len), Some(1), "a repeated publish is not delivered twice");
}

#[tokio::test]
async fn an_event_is_not_sent_back_to_the_endpoint_its_publisher_owns() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let other_key =
        kurir.admin().post_ok("/v1/tenants/acme/api-keys", json!({"name": "erp"}), StatusCode::CREATED).await;
    let other = tenant.api.with_token(other_key["token"].as_str().unwrap_or_default());
    tenant.endpoint(&receiver.url, json!({"owner_key": tenant.key_id})).await;

    let (_, own) = tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 1}})).await;
    assert_eq!(own["deliveries"], 0, "published with the owner's key: suppressed");
    let (_, foreign) = other.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 2}})).await;
    assert_eq!(foreign["deliveries"], 1, "published with another key: delivered");
    let (_, by_admin) =
        kurir.admin().post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 3}})).await;
    assert_eq!(by_admin["deliveries"], 1);

    let (status, error) =
        tenant.api.post(&tenant.path("/endpoints"), json!({"url": receiver.url, "owner_key": "key_nope"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("owner_key")));
}

#[tokio::test]
async fn event_type_filters_and_custom_types() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let schema = json!({"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}}});
    tenant
        .api
        .post_ok(&tenant.path("/event-types"), json!({"name": "orderPaid", "schema": schema}), StatusCode::CREATED)
        .await;
    tenant.endpoint(&receiver.url, json!({"event_types": ["orderPaid"]})).await;

    let (status, error) = tenant.api.post(&tenant.path("/events"), json!({"type": "orderPaid", "payload": {}})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("payload.total")));
    let (_, skipped) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "ADDPRODUCT", "payload": {"id": 1}})).await;
    assert_eq!(skipped["deliveries"], 0, "the endpoint only wants orderPaid");
    let (_, paid) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "orderPaid", "payload": {"total": 9.5}})).await;
    assert_eq!(paid["deliveries"], 1);

    let (status, error) = tenant
        .api
        .post(&tenant.path("/endpoints"), json!({"url": receiver.url, "event_types": ["productCreated", "nope"]}))
        .await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("event_types[1]")));
    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let names: Vec<&str> =
        catalog["data"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
    for name in ["productCreated", "productVariantUpdated", "ADDPRODUCT", "UPDATEPRODUCTQUANTITY"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
}

#[tokio::test]
async fn a_publish_that_makes_no_delivery_says_why() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let why = || async {
        let body = json!({"type": "ADDPRODUCT", "payload": {"id": 1}});
        let answer = tenant.api.post_ok(&tenant.path("/events"), body, StatusCode::ACCEPTED).await;
        assert_eq!(answer["deliveries"], 0, "{answer}");
        answer["no_deliveries"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(why().await, "no enabled endpoint");
    tenant.endpoint("https://example.com/a", json!({"event_types": ["UPDATEPRODUCT"]})).await;
    assert_eq!(why().await, "no endpoint subscribes to this event type");
    tenant.endpoint("https://example.com/b", json!({"owner_key": tenant.key_id})).await;
    assert!(why().await.contains("loop suppression"));
    tenant.endpoint("https://example.com/c", json!({})).await;
    let body = json!({"type": "ADDPRODUCT", "payload": {"id": 2}});
    let (status, answer, _) = tenant
        .api
        .send(reqwest::Method::POST, &tenant.path("/events"), Some(&body), &[("idempotency-key", "order-2")])
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!((&answer["deliveries"], &answer["no_deliveries"]), (&json!(1), &Value::Null), "{answer}");
    // The answer names the delivery it made, which the delivery log knows; a replay names the same one.
    let id = answer["delivery_ids"][0].as_str().unwrap_or_default().to_owned();
    let (status, delivery) = tenant.api.get(&tenant.path(&format!("/deliveries/{id}"))).await;
    assert_eq!((status, &delivery["event_id"]), (StatusCode::OK, &answer["id"]), "{delivery}");
    let (_, replay, _) = tenant
        .api
        .send(reqwest::Method::POST, &tenant.path("/events"), Some(&body), &[("idempotency-key", "order-2")])
        .await;
    assert_eq!(replay["delivery_ids"], answer["delivery_ids"], "{replay}");
}

#[tokio::test]
async fn fields_the_vendor_doc_marks_required_are_required() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let close_shift = catalog["data"]
        .as_array()
        .and_then(|types| types.iter().find(|t| t["name"] == "closeShift"))
        .cloned()
        .unwrap_or_default();
    let required: Vec<&str> =
        close_shift["schema"]["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert_eq!(required.len(), 11, "DealPOS marks all eleven top-level fields of Close Shift required: {required:?}");
    let example = close_shift["examples"][0]["payload"].clone();
    let (status, _) = tenant.api.post(&tenant.path("/events"), json!({"type": "closeShift", "payload": example})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "the documented example is complete");

    let mut without_id = example.clone();
    without_id.as_object_mut().map(|o| o.remove("ID"));
    let (status, error) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "closeShift", "payload": without_id})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["message"].as_str().is_some_and(|m| m.contains("\"ID\"")), "{error}");
    assert_eq!(event_count(&tenant).await, 1, "the refused one is not stored");
}

#[tokio::test]
async fn only_the_customer_code_accepts_a_number_as_its_documented_drift() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let product = json!({"type": "productCreated", "payload": {"ID": "p-1", "Code": 1011}});
    let (status, error) = tenant.api.post(&tenant.path("/events"), product).await;
    assert_eq!(
        (status, &error["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("payload.Code")),
        "{error}"
    );
    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let customer = catalog["data"]
        .as_array()
        .and_then(|types| types.iter().find(|t| t["name"] == "customerCreated"))
        .map(|t| t["examples"][0]["payload"].clone())
        .unwrap_or_default();
    let mut numeric = customer.clone();
    numeric["Code"] = json!(1011);
    let (status, error) =
        tenant.api.post(&tenant.path("/events"), json!({"type": "customerCreated", "payload": numeric})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{error}");
}

#[tokio::test]
async fn a_tenant_over_its_publish_rate_gets_429_with_retry_after_and_nothing_is_kept() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let admin = kurir.admin();
    // Only the admin sets the limit.
    let (status, _) = tenant.api.patch("/v1/tenants/acme", json!({"publish_rate": 1000})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = admin.patch("/v1/tenants/acme", json!({"publish_rate": 0})).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("publish_rate")));
    let (status, set) = admin.patch("/v1/tenants/acme", json!({"publish_rate": 5})).await;
    assert_eq!((status, set["publish_rate"].as_u64()), (StatusCode::OK, Some(5)));

    for n in 0..5 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    let (status, refused, headers) = tenant
        .api
        .send(
            reqwest::Method::POST,
            &tenant.path("/events"),
            Some(&json!({"type": "ADDPRODUCT", "payload": {"id": 5}})),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{refused}");
    assert_eq!(refused["error"]["code"], "rate_limited");
    let wait: u64 = headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    let batch =
        json!({"events": (0..6).map(|n| json!({"type": "ADDPRODUCT", "payload": {"id": n}})).collect::<Vec<_>>()});
    let (status, too_many) = tenant.api.post(&tenant.path("/events/batch"), batch).await;
    assert_eq!(
        (status, too_many["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("over_rate_limit"))
    );
    let (_, events) = tenant.api.get(&tenant.path("/events")).await;
    assert_eq!(events["data"].as_array().map(Vec::len), Some(5), "the refused publishes kept nothing");

    // The allowance comes back with time; another tenant never shared it.
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    tenant.publish("ADDPRODUCT", json!({"id": 6})).await;
    let other = Tenant::create(&kurir, "other").await;
    for n in 0..10 {
        other.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    // null lifts the limit.
    let (_, lifted) = admin.patch("/v1/tenants/acme", json!({"publish_rate": null})).await;
    assert!(lifted["publish_rate"].is_null(), "{lifted}");
    for n in 0..10 {
        tenant.publish("ADDPRODUCT", json!({"id": 100 + n})).await;
    }
}
