//! kurir-verify against what kurir really sends: every dialect's request, as a receiver got it, verifies with the
//! endpoint's secret (and fails with another) and decodes to the type and payload that were published, and to the
//! catalog type's own Rust type.

use std::time::Duration;

use kurir_verify::{decode, verify_request, CatalogEvent, Dialect, Request, VerifyError, WebhookSecret};
use serde_json::json;

use crate::util::{eventually, Kurir, Receiver, Tenant};

#[tokio::test]
async fn requests_kurir_sent_verify_and_decode_in_every_dialect() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::ok().await;
    let keys = json!({"key1": "k1", "key2": "k2", "key3": "k3"});
    let endpoints = [
        tenant.endpoint(&format!("{}/standard", receiver.url), json!({"event_types": ["productCreated"]})).await,
        tenant
            .endpoint(
                &format!("{}/dealpos/{{event}}", receiver.url),
                json!({"dialect": "dealpos", "event_types": ["productCreated"]}),
            )
            .await,
        tenant
            .endpoint(
                &format!("{}/zort", receiver.url),
                json!({"dialect": "zort", "zort": keys, "event_types": ["ADDPRODUCT"]}),
            )
            .await,
    ];
    let product = json!({"ID": "p-1", "Name": "Batik Shirt", "Code": "BS-1"});
    tenant.publish("productCreated", product.clone()).await;
    tenant.publish("ADDPRODUCT", json!({"id": 7, "name": "Sarong"})).await;
    eventually("three deliveries", Duration::from_secs(10), || async { (receiver.count() == 3).then_some(()) }).await;

    for received in receiver.received() {
        let (dialect, secret, event_type, payload) = match received.path.as_str() {
            "/standard" => (Dialect::Standard, &endpoints[0]["secret"], "productCreated", product.clone()),
            "/dealpos/productCreated" => (Dialect::Dealpos, &endpoints[1]["secret"], "productCreated", product.clone()),
            "/zort" => (Dialect::Zort, &endpoints[2]["secret"], "ADDPRODUCT", json!({"id": 7, "name": "Sarong"})),
            other => panic!("unexpected request to {other}"),
        };
        let secret = WebhookSecret::parse(secret.as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        let target = match &received.query {
            Some(query) => format!("{}?{query}", received.path),
            None => received.path.clone(),
        };
        let headers: Vec<(&str, &str)> = received.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let request = Request { target: &target, headers: &headers, body: &received.body };
        let now = now_secs();
        assert_eq!(verify_request(&request, &[secret], now), Ok(()), "{target} verifies");
        let stranger = WebhookSecret::from_random([9; 24]);
        assert_eq!(verify_request(&request, &[stranger], now), Err(VerifyError::InvalidSignature));
        let webhook = decode(&request).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert_eq!((webhook.dialect, webhook.event_type.as_str()), (dialect, event_type), "{target}");
        assert_eq!(webhook.payload, payload, "{target}");
        // And typed, as the catalog's own Rust type.
        match webhook.event().unwrap_or_else(|e| panic!("{target}: {e}")) {
            CatalogEvent::ProductCreated(product) => {
                assert_eq!(
                    (product.id.as_deref(), product.name.as_deref()),
                    (Some("p-1"), Some("Batik Shirt")),
                    "{target}"
                );
            }
            CatalogEvent::AddProduct(product) => {
                assert_eq!(product.id.and_then(|id| id.as_f64()), Some(7.0), "{target}");
                assert_eq!(product.name.map(|n| n.to_string()).as_deref(), Some("Sarong"), "{target}");
            }
            other => panic!("{target}: decoded as {other:?}"),
        }
        assert!(webhook.id.is_some_and(|id| id.starts_with("evt_")), "{target}");
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
