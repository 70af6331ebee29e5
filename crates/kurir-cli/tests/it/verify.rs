//! kurir-verify against what kurir really sends: every dialect's request, as a receiver got it, verifies with the
//! endpoint's secret (and fails with another) and decodes to the type and payload that were published, and to the
//! catalog type's own Rust type.

use std::time::Duration;

use kurir_verify::{
    decode, verify_request, CatalogEvent, Dialect, PublicKey, Request, VerifyError, VerifyKey, WebhookSecret,
};
use reqwest::StatusCode;
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

#[tokio::test]
async fn an_ed25519_endpoint_signs_v1a_that_its_public_key_verifies_and_rotates_like_v1() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let made = tenant.endpoint(&receiver.url, json!({"signature_scheme": "v1a", "event_types": ["ADDPRODUCT"]})).await;
    assert_eq!(made["signature_scheme"], "v1a");
    let public_text = made["secret"].as_str().unwrap_or_default().to_owned();
    assert!(public_text.starts_with("whpk_"), "receivers get the public key, never the signing key: {made}");
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}/secret"))).await;
    assert_eq!(
        (shown["secret"].as_str(), shown["signature_scheme"].as_str()),
        (Some(public_text.as_str()), Some("v1a"))
    );

    tenant.publish("ADDPRODUCT", json!({"id": 7})).await;
    eventually("the first delivery", Duration::from_secs(10), || async { (receiver.count() == 1).then_some(()) }).await;
    let public = PublicKey::parse(&public_text).unwrap_or_else(|e| panic!("{e}"));
    let first = &receiver.received()[0];
    assert!(first.header("webhook-signature").is_some_and(|s| s.starts_with("v1a,") && !s.contains(' ')));
    assert_eq!(check(first, &[VerifyKey::from(public.clone())]), Ok(()));
    let stranger = kurir_verify::SigningKey::from_seed([1; 32]).public_key();
    assert_eq!(check(first, &[VerifyKey::from(stranger)]), Err(VerifyError::InvalidSignature));

    // Switching back to HMAC: for 24 hours both signatures go out, and either key verifies.
    let rotated = tenant
        .api
        .post_ok(
            &tenant.path(&format!("/endpoints/{id}/rotate-secret")),
            json!({"signature_scheme": "v1"}),
            StatusCode::OK,
        )
        .await;
    let secret = WebhookSecret::parse(rotated["secret"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    tenant.publish("ADDPRODUCT", json!({"id": 8})).await;
    eventually("the second delivery", Duration::from_secs(10), || async { (receiver.count() == 2).then_some(()) })
        .await;
    let second = &receiver.received()[1];
    let signatures = second.header("webhook-signature").unwrap_or_default();
    assert!(signatures.contains("v1,") && signatures.contains("v1a,"), "{signatures}");
    assert_eq!(check(second, &[VerifyKey::from(public)]), Ok(()));
    assert_eq!(check(second, &[VerifyKey::from(secret)]), Ok(()));

    // A key pair made elsewhere (Svix's own test key) is taken as it is.
    let svix = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
    let imported = tenant.endpoint(&receiver.url, json!({"secret": svix})).await;
    assert_eq!(imported["secret"], "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
    for (body, field) in [
        (json!({"url": receiver.url, "signature_scheme": "v2"}), "signature_scheme"),
        (json!({"url": receiver.url, "secret": "whsk_AAAA"}), "secret"),
        (json!({"url": receiver.url, "secret": svix, "signature_scheme": "v1"}), "signature_scheme"),
    ] {
        let (status, refused) = tenant.api.post(&tenant.path("/endpoints"), body).await;
        assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{refused}");
    }
}

/// Verifies a request a receiver got, now, against `keys`.
fn check(received: &crate::util::Received, keys: &[VerifyKey]) -> Result<(), VerifyError> {
    let headers: Vec<(&str, &str)> = received.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let request = Request { target: &received.path, headers: &headers, body: &received.body };
    verify_request(&request, keys, now_secs())
}
