use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{eventually, Kurir, Receiver, Tenant};

const ZORT_KEYS: [&str; 3] = ["ref-1", "ref-2", "ref-3"];

async fn zort_source(tenant: &Tenant, strict: bool) -> Value {
    let verify = json!({"key1": ZORT_KEYS[0], "key2": ZORT_KEYS[1], "key3": ZORT_KEYS[2]});
    let body = json!({"dialect": "zort", "name": "zort", "verify": verify, "strict": strict});
    tenant.api.post_ok(&tenant.path("/sources"), body, StatusCode::CREATED).await
}

async fn dealpos_source(tenant: &Tenant, strict: bool) -> Value {
    let body = json!({"dialect": "dealpos", "name": "pos", "verify": {"api_key": "s3cret"}, "strict": strict});
    tenant.api.post_ok(&tenant.path("/sources"), body, StatusCode::CREATED).await
}

fn zort_post(http: &reqwest::Client, url: &str, query: &str) -> reqwest::RequestBuilder {
    http.post(format!("{url}?{query}"))
        .header("authorization", format!("Basic {}", ZORT_KEYS[0]))
        .header("key1", ZORT_KEYS[0])
        .header("key2", ZORT_KEYS[1])
        .header("key3", ZORT_KEYS[2])
}

fn form(payload: &str) -> String {
    form_urlencoded::Serializer::new(String::new()).append_pair("payload", payload).finish()
}

async fn event_count(tenant: &Tenant) -> usize {
    let (_, events) = tenant.api.get(&tenant.path("/events?limit=250")).await;
    events["data"].as_array().map_or(0, Vec::len)
}

async fn inbound_log(tenant: &Tenant, source: &Value) -> Vec<Value> {
    let (_, log) =
        tenant.api.get(&tenant.path(&format!("/sources/{}/inbound", source["id"].as_str().unwrap_or_default()))).await;
    log["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn every_dealpos_and_zort_example_posted_to_a_source_is_accepted_and_forwarded() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;
    let dealpos = dealpos_source(&tenant, true).await;
    let zort = zort_source(&tenant, true).await;
    assert!(dealpos["url"].as_str().unwrap_or_default().ends_with("/{event}"));
    let http = reqwest::Client::new();

    let (_, catalog) = tenant.api.get("/v1/event-types").await;
    let mut sent = 0;
    let vendors = catalog["data"].as_array().into_iter().flatten().filter(|t| t["platform"] != "kurir");
    for event_type in vendors {
        let name = event_type["name"].as_str().unwrap_or_default();
        for example in event_type["examples"].as_array().into_iter().flatten() {
            let payload = example["payload"].to_string();
            let response = if event_type["platform"] == "dealpos" {
                let url = dealpos["url"].as_str().unwrap_or_default().replace("{event}", name);
                http.post(url)
                    .header("x-api-key", "s3cret")
                    .header("content-type", "application/json")
                    .body(payload)
                    .send()
                    .await
            } else {
                let url = zort["url"].as_str().unwrap_or_default();
                let query = if name == "UPDATEORDERTRACKING" {
                    format!("method={name}&id=1234&number=SO-0001")
                } else {
                    format!("method={name}")
                };
                zort_post(&http, url, &query)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&payload))
                    .send()
                    .await
            };
            let response = response.unwrap_or_else(|e| panic!("{e}"));
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
            if event_type["platform"] == "dealpos" {
                assert_eq!(serde_json::from_str::<Value>(&body).ok(), Some(json!({"status": "success"})));
            }
            sent += 1;
        }
    }
    eventually("every received example forwarded", Duration::from_secs(20), || async {
        (receiver.count() == sent).then_some(())
    })
    .await;
    let forwarded: Vec<Value> = receiver.received().iter().map(|r| r.json()).collect();
    assert!(forwarded.iter().any(|b| b["type"] == "UPDATEORDERTRACKING" && b["data"][0]["trackingno"] == "THP0001"));
    assert!(forwarded.iter().any(|b| b["type"] == "closeShift"));
}

#[tokio::test]
async fn wrong_credentials_get_401_and_nothing_is_stored() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let dealpos = dealpos_source(&tenant, false).await;
    let zort = zort_source(&tenant, false).await;
    let http = reqwest::Client::new();

    let url = dealpos["url"].as_str().unwrap_or_default().replace("{event}", "productCreated");
    for key in [None, Some("wrong")] {
        let mut request = http.post(&url).header("content-type", "application/json").body(r#"{"ID": "p"}"#);
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let status = request.send().await.map(|r| r.status()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let bearer = http.post(&url).header("authorization", "Bearer s3cret").body(r#"{"ID": "p"}"#).send().await;
    assert_eq!(bearer.map(|r| r.status()).ok(), Some(StatusCode::OK), "a Bearer token works too");

    let zort_url = zort["url"].as_str().unwrap_or_default();
    let wrong = http
        .post(format!("{zort_url}?method=ADDPRODUCT"))
        .header("key1", ZORT_KEYS[0])
        .header("key2", "nope")
        .header("key3", ZORT_KEYS[2])
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(r#"{"id": 1}"#))
        .send()
        .await;
    assert_eq!(wrong.map(|r| r.status()).ok(), Some(StatusCode::UNAUTHORIZED));
    let unknown = http.post(format!("{}/in/src_AAAAAAAAAAAAAAAAAAAAAAAA?method=ADDPRODUCT", kurir.base)).send().await;
    assert_eq!(unknown.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));

    assert_eq!(event_count(&tenant).await, 1, "only the request with the right Bearer token was stored");
    assert!(inbound_log(&tenant, &zort).await.is_empty());
}

#[tokio::test]
async fn a_vendor_retry_is_not_stored_twice() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let zort = zort_source(&tenant, false).await;
    let http = reqwest::Client::new();
    let url = zort["url"].as_str().unwrap_or_default();
    for _ in 0..2 {
        let response = zort_post(&http, url, "method=UPDATEPRODUCT")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(r#"{"id": 1234, "sku": "P0001"}"#))
            .send()
            .await;
        assert_eq!(response.map(|r| r.status()).ok(), Some(StatusCode::OK));
    }
    assert_eq!(event_count(&tenant).await, 1);
    let log = inbound_log(&tenant, &zort).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["duplicate"], true);
    assert_eq!(log[0]["event_id"], log[1]["event_id"]);

    // A different payload is a different event.
    let other = zort_post(&http, url, "method=UPDATEPRODUCT")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(r#"{"id": 1234, "sku": "P0002"}"#))
        .send()
        .await;
    assert_eq!(other.map(|r| r.status()).ok(), Some(StatusCode::OK));
    assert_eq!(event_count(&tenant).await, 2);
}

#[tokio::test]
async fn zort_bodies_in_every_shape_and_the_malformed_doc_example() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let zort = zort_source(&tenant, false).await;
    let http = reqwest::Client::new();
    let url = zort["url"].as_str().unwrap_or_default();

    let raw = zort_post(&http, url, "method=ADDWAREHOUSE")
        .header("content-type", "application/json")
        .body(r#"{"id": 1, "code": "W1"}"#);
    let wrapped = zort_post(&http, url, "method=ADDWAREHOUSE")
        .header("content-type", "application/json")
        .body(r#"{"payload": "{\"id\": 2}"}"#);
    let multipart = reqwest::multipart::Form::new().text("payload", r#"{"id": 3, "code": "W3"}"#);
    let multipart = zort_post(&http, url, "method=ADDWAREHOUSE").multipart(multipart);
    for request in [raw, wrapped, multipart] {
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap_or_default());
    }
    assert_eq!(event_count(&tenant).await, 3);

    // The docs' own ADDCONTACT example is malformed JSON: a clear 400, nothing stored.
    let malformed = "{\n  \"id\": \"1234,\n  \"code\": \"C0001\",\n  \"name\": \"Contact1\"\n}";
    let response = zort_post(&http, url, "method=ADDCONTACT")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(malformed))
        .send()
        .await;
    let response = response.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error: Value = response.json().await.unwrap_or_default();
    assert!(error["error"]["message"].as_str().unwrap_or_default().contains("not valid JSON"), "{error}");

    // ZORT's "Verify and Save" posts without a method: 200, nothing stored.
    let verify = http.post(url).send().await.map(|r| r.status()).ok();
    assert_eq!(verify, Some(StatusCode::OK));
    assert_eq!(event_count(&tenant).await, 3);
}

#[tokio::test]
async fn lenient_sources_store_and_flag_a_bad_payload_strict_ones_refuse_it() {
    let kurir = Kurir::start().await;
    let receiver = Receiver::ok().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    tenant.endpoint(&receiver.url, json!({})).await;
    let lenient = dealpos_source(&tenant, false).await;
    let strict = dealpos_source(&tenant, true).await;
    let http = reqwest::Client::new();
    let bad = r#"{"ID": "v1", "UnitPrice": "cheap"}"#;

    let url = |source: &Value| source["url"].as_str().unwrap_or_default().replace("{event}", "productVariantCreated");
    let refused =
        http.post(url(&strict)).header("x-api-key", "s3cret").body(bad).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let error: Value = refused.json().await.unwrap_or_default();
    assert_eq!(error["error"]["code"], "schema_violation");

    let accepted = http.post(url(&lenient)).header("x-api-key", "s3cret").body(bad).send().await.map(|r| r.status());
    assert_eq!(accepted.ok(), Some(StatusCode::OK));
    let log = inbound_log(&tenant, &lenient).await;
    assert_eq!(log[0]["valid"], false);
    assert!(log[0]["validation_error"].as_str().unwrap_or_default().contains("UnitPrice"), "{}", log[0]);
    eventually("the flagged event forwarded", Duration::from_secs(5), || async {
        (receiver.count() == 1).then_some(())
    })
    .await;
    assert!(inbound_log(&tenant, &strict).await.is_empty());
}

#[tokio::test]
async fn a_standard_source_verifies_signatures() {
    use kurir_wire::signature;
    use kurir_wire::WebhookSecret;

    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let source = tenant
        .api
        .post_ok(&tenant.path("/sources"), json!({"dialect": "standard", "name": "partner"}), StatusCode::CREATED)
        .await;
    let secret =
        WebhookSecret::parse(source["verify"]["secret"].as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
    let body = br#"{"type":"ADDPRODUCT","timestamp":"2026-11-23T00:00:00Z","data":{"id":5}}"#;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let http = reqwest::Client::new();
    let send = |signature: String| {
        http.post(source["url"].as_str().unwrap_or_default())
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signature)
            .body(body.to_vec())
            .send()
    };
    let good = send(signature::sign(&secret, "msg_1", now, body)).await.map(|r| r.status());
    assert_eq!(good.ok(), Some(StatusCode::NO_CONTENT));
    let forged =
        send(signature::sign(&WebhookSecret::from_random([1; 24]), "msg_1", now, body)).await.map(|r| r.status());
    assert_eq!(forged.ok(), Some(StatusCode::UNAUTHORIZED));
    let (_, events) = tenant.api.get(&tenant.path("/events")).await;
    assert_eq!(events["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(events["data"][0]["payload"], json!({"id": 5}));
}

#[tokio::test]
async fn an_unknown_event_type_is_an_error_the_sender_hears_and_stores_nothing() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let http = reqwest::Client::new();

    // A lenient DealPOS source: its page lists the URL of each DealPOS webhook.
    let dealpos = dealpos_source(&tenant, false).await;
    let id = dealpos["id"].as_str().unwrap_or_default();
    let created = dealpos["event_urls"]["productCreated"].as_str().unwrap_or_default().to_owned();
    assert!(created.ends_with(&format!("/in/{id}/productCreated")), "{dealpos}");
    assert_eq!(dealpos["event_urls"].as_object().map(|urls| urls.len()), Some(23), "every DealPOS webhook");

    let template = dealpos["url"].as_str().unwrap_or_default().to_owned(); // ends in /{event}, pasted as it is
    let typo = created.replace("productCreated", "productCreatd");
    for url in [template, typo] {
        let answer = http
            .post(&url)
            .header("X-API-Key", "s3cret")
            .json(&json!({"ID": "p1"}))
            .send()
            .await
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{url}");
        let body: Value = answer.json().await.unwrap_or_default();
        assert_eq!(body["error"]["code"], "unknown_event_type", "{body}");
        assert!(body["error"]["message"].as_str().unwrap_or_default().contains("/productCreated"), "{body}");
    }
    let sent = http.post(&created).header("X-API-Key", "s3cret").json(&json!({"ID": "p1"})).send().await;
    assert_eq!(sent.map(|r| r.status()).ok(), Some(StatusCode::OK), "the listed URL works");

    // A ZORT source: an unknown ?method= is refused the same way.
    let zort = zort_source(&tenant, false).await;
    let url = zort["url"].as_str().unwrap_or_default();
    let answer = zort_post(&http, url, "method=ADDPRODUKT")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(r#"{"id": 1}"#))
        .send()
        .await;
    assert_eq!(answer.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));
    assert_eq!(event_count(&tenant).await, 1, "only the event posted to a listed URL was stored");
}

#[tokio::test]
async fn a_source_is_edited_in_place_and_keeps_its_url() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let http = reqwest::Client::new();
    let source = dealpos_source(&tenant, false).await;
    let id = source["id"].as_str().unwrap_or_default();
    let url = source["event_urls"]["productCreated"].as_str().unwrap_or_default().to_owned();
    let post = |key: &'static str, payload: Value| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let sent = http.post(&url).header("X-API-Key", key).json(&payload).send().await;
            sent.map(|r| r.status()).unwrap_or_else(|err| panic!("{err}"))
        }
    };
    let broken = json!({"ID": ["not", "a", "string"]});
    assert_eq!(post("s3cret", broken.clone()).await, StatusCode::OK, "lenient: stored and flagged");

    // Rotate the DealPOS key and switch to strict; the URL stays.
    let body = json!({"verify": {"api_key": "n3w-key"}, "strict": true, "name": "pos 2"});
    let (status, edited) = tenant.api.patch(&tenant.path(&format!("/sources/{id}")), body).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!((&edited["id"], &edited["strict"], &edited["name"]), (&source["id"], &json!(true), &json!("pos 2")));
    assert_eq!(edited["event_urls"]["productCreated"], source["event_urls"]["productCreated"]);
    assert_eq!(post("s3cret", json!({"ID": "p1"})).await, StatusCode::UNAUTHORIZED, "the old key no longer works");
    assert_eq!(post("n3w-key", json!({"ID": "p1"})).await, StatusCode::OK, "the new one does");
    assert_eq!(post("n3w-key", broken).await, StatusCode::BAD_REQUEST, "strict now: a broken payload is refused");

    let (status, refused) = tenant.api.patch(&tenant.path(&format!("/sources/{id}")), json!({"dialect": "zort"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let other = Tenant::create(&kurir, "other").await;
    let (status, _) = other.api.patch(&other.path(&format!("/sources/{id}")), json!({"strict": false})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's source looks missing");
}

#[tokio::test]
async fn refused_requests_are_kept_bounded_without_their_bodies() {
    let kurir = Kurir::start().await;
    let tenant = Tenant::create(&kurir, "acme").await;
    let http = reqwest::Client::new();
    let source = dealpos_source(&tenant, false).await;
    let id = source["id"].as_str().unwrap_or_default();
    let url = source["event_urls"]["productCreated"].as_str().unwrap_or_default().to_owned();
    let refusals = || async {
        let (status, log) = tenant.api.get(&tenant.path(&format!("/sources/{id}/refusals"))).await;
        assert_eq!(status, StatusCode::OK, "{log}");
        log["data"].as_array().cloned().unwrap_or_default()
    };

    let sent = http.post(&url).header("X-API-Key", "wrong").body("secret-body-text").send().await;
    assert_eq!(sent.map(|r| r.status()).ok(), Some(StatusCode::UNAUTHORIZED));
    let log = refusals().await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!((&log[0]["status"], &log[0]["address"]), (&json!(401), &json!("127.0.0.1")), "{log:?}");
    assert!(!log[0].to_string().contains("secret-body-text"), "no body is kept");

    // A flood is recorded only up to the per-minute bound; the rest is only counted in the server log.
    for _ in 0..30 {
        let _ = http.post(&url).header("X-API-Key", "wrong").send().await;
    }
    assert_eq!(refusals().await.len(), 10, "at most ten a minute per source");
    // A request to a source that does not exist finds nothing to record against.
    let missing = url.replace(id, "src_doesnotexist");
    let sent = http.post(&missing).header("X-API-Key", "wrong").send().await;
    assert_eq!(sent.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));
}
