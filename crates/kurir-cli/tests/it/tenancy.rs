use reqwest::StatusCode;
use serde_json::json;

use crate::util::{Kurir, Options, Receiver, Tenant};

#[tokio::test]
async fn tokens_are_checked() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let admin = kurir.admin();
    for token in ["", "wrong-admin-token-123456", "key_01ABC.secret", &format!("{}.wrong", tenant.key_id)] {
        let (status, error) = admin.with_token(token).get("/v1/tenants").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "token {token:?}: {error}");
        assert_eq!(error["error"]["code"], "unauthorized");
    }
    let (status, _) = tenant.api.post("/v1/tenants", json!({"id": "evil", "name": "Evil"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a tenant key cannot create tenants");

    // A revoked key stops working at once.
    let (status, _, _) =
        admin.send(reqwest::Method::DELETE, &format!("/v1/tenants/acme/api-keys/{}", tenant.key_id), None, &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = tenant.api.get("/v1/tenants").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_tenant_cannot_see_another() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let a = Tenant::create(&kurir, "store-a").await;
    let b = Tenant::create(&kurir, "store-b").await;
    let b_endpoint = b.endpoint(&receiver.url, json!({})).await;
    let b_event = b.publish("ADDPRODUCT", json!({"id": 1})).await;

    let (_, visible) = a.api.get("/v1/tenants").await;
    assert_eq!(visible["data"].as_array().map(Vec::len), Some(1), "{visible}");
    assert_eq!(visible["data"][0]["id"], "store-a");

    let b_endpoint_id = b_endpoint["id"].as_str().unwrap_or_default();
    for path in [
        "/v1/tenants/store-b/endpoints".to_owned(),
        format!("/v1/tenants/store-b/events/{b_event}"),
        format!("/v1/tenants/store-a/events/{b_event}"),
        format!("/v1/tenants/store-a/endpoints/{b_endpoint_id}"),
        "/v1/tenants/no-such-store/events".to_owned(),
    ] {
        let (status, error) = a.api.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {error}");
    }
    let (status, _) =
        a.api.post("/v1/tenants/store-b/events", json!({"type": "ADDPRODUCT", "payload": {"id": 2}})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = kurir.admin().post("/v1/tenants", json!({"id": "store-a", "name": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_generated_admin_token_is_printed_once_and_survives_a_restart() {
    // About the SQLite file on disk (PostgreSQL keeps the same hash in the same settings row).
    let mut kurir = Kurir::start_with(Options { admin_token: None, sqlite_only: true, ..Options::standard() }).await;
    let token = kurir
        .startup_output
        .split_whitespace()
        .find(|word| word.starts_with("kurir_admin_"))
        .unwrap_or_else(|| panic!("no generated token in: {}", kurir.startup_output))
        .to_owned();
    let admin = kurir.admin().with_token(&token);
    admin.post_ok("/v1/tenants", json!({"id": "acme", "name": "Acme Marker Store"}), StatusCode::CREATED).await;
    // The database file and its write-ahead log (fresh rows sit there until a checkpoint).
    let mut stored = std::fs::read(kurir.data_dir.join("kurir.db")).unwrap_or_else(|err| panic!("kurir.db: {err}"));
    stored.extend(std::fs::read(kurir.data_dir.join("kurir.db-wal")).unwrap_or_default());
    let holds = |text: &str| stored.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(holds("Acme Marker Store"), "the files read hold what was just written (else this test proves nothing)");
    assert!(!holds(&token), "only the hash is stored");

    assert!(kurir.terminate());
    let dir = kurir.data_dir.clone();
    let restarted = Kurir::launch(&dir, Options { admin_token: None, sqlite_only: true, ..Options::standard() }).await;
    assert!(!restarted.startup_output.contains("kurir_admin_"), "printed only once: {}", restarted.startup_output);
    let (status, tenants) = restarted.admin().with_token(&token).get("/v1/tenants").await;
    assert_eq!(status, StatusCode::OK, "{tenants}");
    drop(kurir);
}

#[tokio::test]
async fn an_endpoint_saved_while_private_targets_were_allowed_is_blocked_at_send_time_without_the_allowance() {
    let mut kurir = Kurir::start().await; // the suite's default allows private targets
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::ok().await;
    tenant.endpoint(&receiver.url, json!({"retry_schedule": [1]})).await;
    assert!(kurir.terminate());

    // The operator restarts without the allowance: the saved loopback endpoint must not be reached.
    let data_dir = kurir.data_dir.clone();
    let strict = Kurir::launch(&data_dir, Options { allow_private_targets: false, ..Options::standard() }).await;
    let tenant = Tenant { api: strict.admin(), ..tenant };
    let event = tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    let attempts = crate::util::eventually("the blocked attempt", std::time::Duration::from_secs(10), || async {
        let delivery = tenant.deliveries_of(&event).await.first()?["id"].as_str()?.to_owned();
        let attempts = tenant.attempts(&delivery).await;
        (!attempts.is_empty()).then_some(attempts)
    })
    .await;
    assert_eq!(attempts[0]["error_kind"], "blocked", "{attempts:?}");
    assert!(attempts[0]["status"].is_null());
    assert_eq!(receiver.count(), 0, "nothing reached the private address");
    drop(kurir);
}

#[tokio::test]
async fn endpoints_on_private_addresses_are_refused_unless_the_operator_allows_them() {
    let kurir = Kurir::start_with(Options { allow_private_targets: false, ..Options::standard() }).await;
    let tenant = Tenant::create(&kurir, "acme").await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://10.0.0.8/x",
    ] {
        let (status, error) = tenant.api.post(&tenant.path("/endpoints"), json!({"url": url})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {error}");
        assert_eq!(error["error"]["field"], "url", "{url}: {error}");
    }
    let (status, error) = tenant.api.post(&tenant.path("/endpoints"), json!({"url": "ftp://example.com/"})).await;
    assert_eq!((status, &error["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("url")));
    // A public host name is accepted when saved; its DNS answers are checked again at every send.
    let (status, _) =
        tenant.api.post(&tenant.path("/endpoints"), json!({"url": "https://hooks.example.com/{event}"})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_standard_error_body() {
    let kurir = Kurir::start().await;
    let admin = kurir.admin();
    let (status, body, _) = admin.send(reqwest::Method::DELETE, "/v1/tenants", None, &[]).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("/v1/tenants"), "{body}");
    let (status, body) = admin.get("/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
}

#[tokio::test]
async fn errors_say_the_rule_in_the_users_words_and_name_the_field() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let cases = [
        (json!({"url": "https://example.com/h", "timeout_ms": "fast"}), "timeout_ms", "whole number"),
        (json!({"url": "example.com/hooks"}), "url", "absolute http(s) URL"),
        (json!({"url": "https://example.com/h", "colour": "red"}), "colour", "not a field here"),
        (json!({}), "url", "url is required"),
        (json!({"url": "https://example.com/h", "max_in_flight": 0}), "max_in_flight", "between 1 and 1000"),
        (json!({"url": "https://example.com/h", "circuit_failures": 0}), "circuit_failures", "between 1 and 100"),
        (json!({"url": "https://example.com/h", "circuit_cooldown_ms": 5}), "circuit_cooldown_ms", "between 1000"),
        (
            json!({"url": "https://example.com/h", "rate_limit": {"count": 0, "per": "second"}}),
            "rate_limit.count",
            "between 1",
        ),
        (
            json!({"url": "https://example.com/h", "rate_limit": {"count": 5, "per": "hour"}}),
            "rate_limit.per",
            "second",
        ),
    ];
    for (body, field, words) in cases {
        let (status, answer) = tenant.api.post(&tenant.path("/endpoints"), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap_or_default().contains(words), "{body}: {answer}");
    }
    let endpoint = tenant.endpoint("https://example.com/h", json!({"max_in_flight": 2})).await;
    assert_eq!(endpoint["max_in_flight"], 2);
    let id = endpoint["id"].as_str().unwrap_or_default();
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    assert_eq!(shown["circuit"]["concurrency_window"], 2, "the window never above its own limit: {shown}");
    let (_, patched) =
        tenant.api.patch(&tenant.path(&format!("/endpoints/{id}")), json!({"max_in_flight": null})).await;
    assert!(patched["max_in_flight"].is_null(), "null goes back to the server's limit: {patched}");
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    assert_eq!(shown["circuit"]["concurrency_window"], 4, "a new endpoint starts at 4 at once: {shown}");
    let (status, answer) = tenant.api.post(&tenant.path(&format!("/endpoints/{id}/recover")), json!({})).await;
    assert_eq!((status, &answer["error"]["field"]), (StatusCode::BAD_REQUEST, &json!("since")), "{answer}");
}

#[tokio::test]
async fn endpoint_responses_mask_header_values_and_zort_keys_but_deliveries_carry_them() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let receiver = Receiver::ok().await;
    let keys = json!({"key1": "zort-key-one-1111", "key2": "zort-key-two-2222", "key3": "k3"});
    let settings = json!({"dialect": "zort", "zort": keys, "headers": {"X-Api-Key": "sk_live_12345678"}});
    let made = tenant.endpoint(&receiver.url, settings).await;
    let id = made["id"].as_str().unwrap_or_default();
    let (_, listed) = tenant.api.get(&tenant.path("/endpoints")).await;
    let (_, shown) = tenant.api.get(&tenant.path(&format!("/endpoints/{id}"))).await;
    for endpoint in [&made, &listed["data"][0], &shown] {
        assert_eq!(endpoint["headers"]["X-Api-Key"], "••••5678", "{endpoint}");
        assert_eq!(endpoint["zort"], json!({"key1": "••••1111", "key2": "••••2222", "key3": "••••"}), "{endpoint}");
        assert!(!endpoint.to_string().contains("sk_live") && !endpoint.to_string().contains("zort-key"));
    }
    // A PATCH of another field keeps the real values, which go out on the wire.
    tenant.api.patch(&tenant.path(&format!("/endpoints/{id}")), json!({"description": "stock"})).await;
    tenant.publish("ADDPRODUCT", json!({"id": 1})).await;
    crate::util::eventually("the delivery", std::time::Duration::from_secs(10), || async {
        (receiver.count() == 1).then_some(())
    })
    .await;
    let sent = &receiver.received()[0];
    assert_eq!(sent.header("x-api-key"), Some("sk_live_12345678"));
    assert_eq!(sent.header("key1"), Some("zort-key-one-1111"));
}

#[tokio::test]
async fn a_burst_of_failed_authentications_is_slowed_down_per_address_and_per_source() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let verify = json!({"api_key": "s3cret"});
    let pos = tenant
        .api
        .post_ok(
            &tenant.path("/sources"),
            json!({"dialect": "dealpos", "name": "pos", "verify": verify}),
            StatusCode::CREATED,
        )
        .await;
    let other = tenant
        .api
        .post_ok(
            &tenant.path("/sources"),
            json!({"dialect": "dealpos", "name": "web", "verify": verify}),
            StatusCode::CREATED,
        )
        .await;
    let url =
        |source: &serde_json::Value| source["url"].as_str().unwrap_or_default().replace("{event}", "productCreated");
    let http = reqwest::Client::new();
    let post = |url: String, key: &'static str| {
        let http = http.clone();
        async move {
            let sent = http.post(url).header("x-api-key", key).json(&json!({"ID": "p-1"})).send().await;
            sent.map(|r| r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    // A source: after a burst of wrong keys, even the right key waits; another source does not.
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(post(url(&pos), "wrong").await);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(post(url(&pos), "s3cret").await, StatusCode::TOO_MANY_REQUESTS, "held, whatever the key");
    assert_eq!(post(url(&other), "s3cret").await, StatusCode::OK, "another source is not held");

    // The API: a burst of bad tokens holds the address, valid token included, with Retry-After.
    let bad = tenant.api.with_token("kurir_nope.nope");
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(bad.get("/v1/tenants").await.0);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let (status, body, headers) = tenant.api.send(reqwest::Method::GET, "/v1/tenants", None, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| s >= 1));
}
