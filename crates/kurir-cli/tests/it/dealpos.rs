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
    let (_, event) =
        tenant.api.get(&tenant.path(&format!("/events/{}", sent["event_id"].as_str().unwrap_or_default()))).await;
    assert_eq!(event["deliveries"].as_array().map(Vec::len), Some(1), "only the tested endpoint gets it: {event}");

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

/// An OAuth 2.0 token server on 127.0.0.1: client credentials with HTTP Basic, tokens `tok-1`, `tok-2`, ...
async fn token_server(issued: std::sync::Arc<std::sync::atomic::AtomicUsize>) -> String {
    use axum::http::HeaderMap;
    use std::sync::atomic::Ordering;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let app = axum::Router::new().route(
        "/token",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let issued = std::sync::Arc::clone(&issued);
            async move {
                // base64("kurir-client:client secret") with the secret form-encoded first (RFC 6749 §2.3.1).
                let expected = "Basic a3VyaXItY2xpZW50OmNsaWVudCtzZWNyZXQ=";
                let authorized = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected);
                if !authorized || !body.contains("grant_type=client_credentials") {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"})));
                }
                let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                (
                    StatusCode::OK,
                    axum::Json(json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600})),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/token")
}

#[tokio::test]
async fn oauth_tokens_are_fetched_cached_and_refreshed_once_after_a_401() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    let kurir = Kurir::start().await;
    let issued = Arc::new(AtomicUsize::new(0));
    let token_url = token_server(Arc::clone(&issued)).await;
    let accepted = Arc::new(Mutex::new("tok-1".to_owned()));
    let receiver = Receiver::start({
        let accepted = Arc::clone(&accepted);
        move |request, _| {
            let expected = format!("Bearer {}", accepted.lock().map(|t| t.clone()).unwrap_or_default());
            if request.header("authorization") == Some(expected.as_str()) {
                Reply::status(200)
            } else {
                Reply::status(401)
            }
        }
    })
    .await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let auth = json!({"type": "oauth2", "token_url": token_url, "client_id": "kurir-client", "client_secret": "client secret"});
    let endpoint =
        tenant.endpoint(&format!("{}/{{event}}", receiver.url), json!({"dialect": "dealpos", "auth": auth})).await;
    assert_eq!(endpoint["auth"]["client_id"], "kurir-client");
    assert!(endpoint["auth"].get("client_secret").is_none(), "the client secret is not shown: {}", endpoint["auth"]);

    for n in 0..5 {
        tenant.publish("ADDPRODUCT", json!({"id": n})).await;
    }
    eventually("five deliveries", Duration::from_secs(10), || async { (receiver.count() == 5).then_some(()) }).await;
    assert_eq!(issued.load(Ordering::SeqCst), 1, "one token serves every delivery while it is valid");

    // The receiver stops accepting the old token: kurir fetches a new one once and resends.
    if let Ok(mut token) = accepted.lock() {
        *token = "tok-2".into();
    }
    let event = tenant.publish("ADDPRODUCT", json!({"id": 99})).await;
    let delivery = eventually("the resend with a fresh token", Duration::from_secs(10), || async {
        tenant.deliveries_of(&event).await.into_iter().find(|d| d["state"] == "succeeded")
    })
    .await;
    assert_eq!(delivery["attempts"], 1, "the refresh happens within one attempt");
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let last = receiver.received().pop().and_then(|r| r.header("authorization").map(str::to_owned));
    assert_eq!(last.as_deref(), Some("Bearer tok-2"));

    // Wrong client credentials: nothing is sent, and the attempt says why.
    let bad_auth =
        json!({"type": "oauth2", "token_url": token_url, "client_id": "kurir-client", "client_secret": "wrong"});
    let other = Receiver::ok().await;
    tenant
        .endpoint(&other.url, json!({"auth": bad_auth, "retry_schedule": [], "event_types": ["DELETEPRODUCT"]}))
        .await;
    let event = tenant.publish("DELETEPRODUCT", json!({"id": 1})).await;
    let dead = eventually("the failed token request", Duration::from_secs(10), || async {
        tenant.deliveries_of(&event).await.into_iter().find(|d| d["state"] == "dead")
    })
    .await;
    let attempts = tenant.attempts(dead["id"].as_str().unwrap_or_default()).await;
    assert_eq!(attempts[0]["error_kind"], "auth");
    assert_eq!(other.count(), 0);
}

#[tokio::test]
async fn the_dealpos_preset_retries_only_what_dealpos_retries() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::script(vec![], Reply::status(400)).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let endpoint = tenant
        .endpoint(&format!("{}/{{event}}", receiver.url), json!({"dialect": "dealpos", "retry_schedule": "dealpos"}))
        .await;
    assert_eq!(endpoint["retry_preset"], "dealpos");
    assert_eq!(endpoint["retry_schedule"], json!([7]));
    assert_eq!(endpoint["timeout_ms"], 30_000, "DealPOS waits 30 s");

    let event = tenant.publish("productCreated", json!({"ID": "p-1"})).await;
    let dead = eventually("a 400 to end the delivery", Duration::from_secs(5), || async {
        tenant.deliveries_of(&event).await.into_iter().find(|d| d["state"] == "dead")
    })
    .await;
    assert_eq!(dead["attempts"], 1, "DealPOS does not retry a 400");

    // The preset survives a PATCH of something else.
    let path = tenant.path(&format!("/endpoints/{}", endpoint["id"].as_str().unwrap_or_default()));
    let (_, patched) = tenant.api.patch(&path, json!({"description": "pos"})).await;
    assert_eq!(patched["retry_preset"], "dealpos");
}

#[tokio::test]
async fn url_templates_are_checked_where_a_typo_would_go_unnoticed() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let path = tenant.path("/endpoints");
    let refused = |body: serde_json::Value| {
        let api = tenant.api.clone();
        let path = path.clone();
        async move {
            let (status, answer) = api.post(&path, body).await;
            assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{answer}");
            assert_eq!(answer["error"]["field"], "url", "{answer}");
            answer["error"]["message"].as_str().unwrap_or_default().to_owned()
        }
    };
    let said = refused(json!({"url": "https://example.com/hooks/{evnt}"})).await;
    assert!(said.contains("`{evnt}`") && said.contains("{event}"), "{said}");
    let said = refused(json!({"url": "https://example.com/hooks", "dialect": "dealpos"})).await;
    assert!(said.contains("needs {event}"), "{said}");
    let two = json!({"url": "https://example.com/hooks", "dialect": "dealpos",
                     "event_types": ["productCreated", "productUpdated"]});
    refused(two).await;
    let one = json!({"url": "https://example.com/hooks", "dialect": "dealpos", "event_types": ["productCreated"]});
    tenant.api.post_ok(&path, one, reqwest::StatusCode::CREATED).await;
}
